using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Components;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>A <see cref="PayTestContext"/> that pays two items (an invoice and a credit memo) and shows the receipt.</summary>
public abstract class ReceiptTestContext : PayTestContext
{
    /// <summary>Pays INV-3001 (USD 1,000.00, USD 20.00 discount) and CM-3002 (USD -100.00) with a card of <paramref name="number"/>.</summary>
    protected async Task<PaymentOutcome> PayAsync(string number = "4242424242424242")
    {
        var ids = await SeedAsync(("INV-3001", 100_000, 2_000, OpenItemType.Invoice), ("CM-3002", -10_000, null, OpenItemType.CreditMemo));
        var card = await AddCardAsync(number);
        return await Payments.PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Guid.NewGuid().ToString("N")));
    }

    /// <summary>Marks <paramref name="paymentId"/> as a debit the bank returned, for <paramref name="reason"/> (with its code).</summary>
    protected async Task ReturnAsync(Guid paymentId, string? reason, string? code)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        await db.Payments.Where(p => p.Id == paymentId).ExecuteUpdateAsync(u => u
            .SetProperty(p => p.Status, PaymentStatus.Returned)
            .SetProperty(p => p.FailureReason, reason)
            .SetProperty(p => p.FailureCode, code));
    }

    /// <summary>Renders the receipt of <paramref name="paymentId"/> and waits until it has loaded.</summary>
    protected IRenderedComponent<ReceiptView> RenderLoaded(Guid paymentId)
    {
        var cut = Render<ReceiptView>(p => p.Add(x => x.PaymentId, paymentId));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[role=status]")), Timeout);
        return cut;
    }

    /// <summary>The value the receipt's facts list gives for <paramref name="term"/>.</summary>
    protected static string Fact(IRenderedComponent<ReceiptView> cut, string term)
    {
        var dt = Assert.Single(cut.FindAll("[data-testid=receipt-facts] dt"), d => d.TextContent.Trim() == term);
        return dt.NextElementSibling!.TextContent.Trim();
    }
}
