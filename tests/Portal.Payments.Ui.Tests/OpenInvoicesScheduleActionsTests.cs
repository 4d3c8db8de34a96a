using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Services.Payments;
using Portal.Payments.Sync;
using Portal.Payments.Ui.Components;

namespace Portal.Payments.Ui.Tests;

/// <summary>The open-invoices grid's scheduling actions on real services and SQLite. Today is 10 March 2027.</summary>
public class OpenInvoicesScheduleActionsTests : PayTestContext
{
    private async Task<(IRenderedComponent<OpenInvoicesGrid> Cut, long[] Ids, ScheduledPaymentOutcome Scheduled)> ArrangeAsync()
    {
        await StartAsync();
        await Services.GetRequiredService<ErpSyncService>().SyncAccountAsync(AccountId);
        var ids = await SeedAsync(("SCH-4001", 30_000, null, OpenItemType.Invoice), ("SCH-4002", 12_000, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var scheduled = await Services.GetRequiredService<ScheduledPaymentService>()
            .ScheduleAsync(new SchedulePaymentRequest([ids[0]], new DateOnly(2027, 3, 15), card.Id, Guid.NewGuid().ToString("N")));
        var cut = Render<OpenInvoicesGrid>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".pp-inv-number")), Timeout);
        cut.Find("input[type=search]").Input("SCH-");
        cut.Find("form[role=search]").Submit();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll(".pp-inv-number").Count), Timeout);
        return (cut, ids, scheduled);
    }

    private static AngleSharp.Dom.IElement Box(IRenderedComponent<OpenInvoicesGrid> cut, string number) =>
        cut.Find($"input[aria-label='Select invoice {number}']");

    [Fact]
    public async Task A_scheduled_row_shows_its_date_is_selectable_and_Cancel_selected_scheduled_payments_reopens_it()
    {
        var (cut, ids, scheduled) = await ArrangeAsync();
        Assert.Contains(cut.FindAll("[data-testid=row-status]"), s => s.TextContent.Trim() == "Scheduled for 3/15/2027");
        Assert.True(cut.Find("[data-testid=cancel-scheduled]").HasAttribute("disabled"));
        Assert.False(Box(cut, "SCH-4001").HasAttribute("disabled"));

        Box(cut, "SCH-4001").Change(true);
        Assert.True(cut.Find("[data-testid=schedule-selected]").HasAttribute("disabled"));   // a Scheduled row is not payable again
        cut.Find("[data-testid=cancel-scheduled]").Click();

        cut.WaitForAssertion(() => Assert.Contains($"Cancelled {scheduled.ReceiptNumber}.", cut.Markup), Timeout);
        Assert.Equal(InvoiceStatus.Open, (await InvoicesAsync([ids[0]])).Single().Status);
        cut.WaitForAssertion(() => Assert.DoesNotContain(cut.FindAll("[data-testid=row-status]"), s => s.TextContent.Trim().StartsWith("Scheduled", StringComparison.Ordinal)), Timeout);
    }

    [Fact]
    public async Task Schedule_payment_for_selected_invoices_opens_the_scheduling_panel_with_the_selection()
    {
        var (cut, _, _) = await ArrangeAsync();

        Box(cut, "SCH-4002").Change(true);
        cut.Find("[data-testid=schedule-selected]").Click();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=schedule-panel] [data-testid=pay-line]")), Timeout);
        Assert.Contains("SCH-4002", cut.Find("[data-testid=schedule-panel] [data-testid=pay-lines]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=pay-panel]"));
    }
}
