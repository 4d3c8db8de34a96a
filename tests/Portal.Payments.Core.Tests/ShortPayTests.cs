using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.History;
using Portal.Payments.Services.Payments;
using Portal.Payments.Testing;
using Portal.Payments.Users;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// Short payments. The harness clock reads 2026-03-02; the $1,000 invoice is dated 2026-02-25 on terms 2/10 net 30
/// (discount $20 until 2026-03-07, due 2026-03-27), so today is day 5 of its terms.
/// </summary>
public abstract class ShortPayTests(TestDatabase database)
{
    private static readonly DateOnly InvoiceDate = Today.AddDays(-5);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static PortalHarness Harness(TestDatabase db, out string account, string policy = "prorate", List<string>? reasons = null) =>
        PaymentSeed.Harness(db, out account, options: o =>
        {
            o.DiscountPolicy = policy;
            o.ShortPayReasons = reasons;
        });

    /// <summary>Seeds invoices (number, open cents, discount cents) dated <see cref="InvoiceDate"/> on 2/10 net 30.</summary>
    private static Task<long[]> SeedAsync(PortalHarness h, string account, params (string Number, long OpenMinor, long? DiscountMinor)[] items) =>
        InvoicesAsync(h, account, items.Select(i => new Item(i.Number, i.OpenMinor, i.DiscountMinor,
            i.DiscountMinor is null ? null : InvoiceDate.AddDays(10), DueInDays: 25,
            Type: i.OpenMinor < 0 ? OpenItemType.CreditMemo : OpenItemType.Invoice, DocumentDate: InvoiceDate)).ToArray());

    private static PayLine Short(long id, decimal amount, string? reason = null, string? comment = null) =>
        new(id) { Amount = Usd(amount), Reason = reason, Comment = comment };

    private static async Task<PortalValidationException> RefusedAsync(PortalHarness h, long[] ids, params PayLine[] lines) =>
        await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<PaymentService>().PreviewAsync(ids, lines));

    /// <summary>
    /// $1,000 open, $20 discount available (2%), $600 paid on day 5; short amount = 1,000 − 600 − discount:
    /// keep: discount 20.00, short 1,000 − 600 − 20 = 380.00;
    /// prorate: discount 2% × 600 = 12.00, short 1,000 − 600 − 12 = 388.00;
    /// forfeit: discount 0, short 1,000 − 600 − 0 = 400.00.
    /// </summary>
    [Theory]
    [InlineData("keep", 20.00, 380.00)]
    [InlineData("prorate", 12.00, 388.00)]
    [InlineData("forfeit", 0.00, 400.00)]
    public async Task Paying_600_of_a_1000_invoice_on_day_5_under_each_policy(string policy, decimal discount, decimal shortAmount)
    {
        await using var h = Harness(database, out var account, policy);
        var ids = await SeedAsync(h, account, ("INV-1000", 100_000, 2_000));

        var full = await h.Get<PaymentService>().PreviewAsync(ids);
        Assert.Equal((Usd(20m), Usd(980m)), (full.Lines[0].Discount, full.Total));

        var preview = await h.Get<PaymentService>().PreviewAsync(ids, [Short(ids[0], 600m, "Damaged")]);
        var line = Assert.Single(preview.Lines);
        Assert.Equal((Usd(1000m), Usd(discount), Usd(600m), Usd(shortAmount)), (line.OpenBalance, line.Discount, line.AmountToPay, line.ShortAmount));
        Assert.Equal((Usd(600m), Usd(980m), "Damaged"), (line.AmountEntered, line.FullPayment, line.ShortReason));
        Assert.Equal((Usd(1000m), Usd(discount), Usd(shortAmount), Usd(600m)), (preview.InvoiceBalanceTotal, preview.DiscountTotal, preview.ShortTotal, preview.Total));
        if (policy == "keep")
        {
            Assert.Null(line.DiscountNotice);
            Assert.False(preview.DiscountChanged);
        }
        else
        {
            Assert.Equal($"The amount entered for INV-1000 changes its discount from USD 20.00 to USD {discount.ToString("N2", CultureInfo.InvariantCulture)}.", line.DiscountNotice);
            Assert.True(preview.DiscountChanged);
        }
        // The grid's "Short by" beside an amount typed in the row says what the preview says (it said balance − discount
        // − amount, 380.00 under every policy).
        var row = Assert.Single((await h.Get<Services.Invoices.InvoiceQueryService>().QueryAsync(new Services.Invoices.InvoiceQuery { Take = 10, Search = "INV-1000" })).Items, r => r.Number == "INV-1000");
        var discounts = h.Get<Discounts.IDiscountPolicy>();
        Assert.Equal((Usd(980m), Usd(shortAmount)), (row.FullPaymentToday, row.ShortBy(Usd(600m), discounts)));
        Assert.Equal((Usd(0m), Usd(0m)), (row.ShortBy(Usd(980m), discounts), row.ShortBy(Usd(1000m), discounts)));
    }

    [Fact]
    public async Task A_short_payment_is_stored_posted_to_the_erp_and_shown_on_the_receipt_with_its_reason_and_comment()
    {
        await using var h = Harness(database, out var account);
        var ids = await SeedAsync(h, account, ("INV-1", 100_000, 2_000), ("INV-2", 30_000, null), ("CM-3", -5_000, null));
        var visa = await CardAsync(h);
        var payments = h.Get<PaymentService>();
        PayLine[] lines = [Short(ids[0], 600m, "Other", "Two pallets arrived crushed <b>see photos</b>")];
        var preview = await payments.PreviewAsync(ids, lines);
        Assert.Equal(Usd(850m), preview.Total);                         // 600 (short) + 300 (full) − 50 (credit)

        var outcome = await payments.PayInvoicesAsync(new PayInvoicesRequest(ids, visa.Id, Key()) { Lines = lines, ExpectedTotal = preview.Total });

        Assert.Equal((PaymentStatus.Succeeded, Usd(850m)), (outcome.Status, outcome.Amount));
        var row = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((85_000L, 1_200L, 38_800L), (row.AmountMinor, row.DiscountMinor, row.ShortMinor));
        Assert.Equal(
            [("INV-1", 60_000L, 1_200L, 38_800L, "Other", "Two pallets arrived crushed <b>see photos</b>"), ("INV-2", 30_000L, 0L, 0L, null, null), ("CM-3", -5_000L, 0L, 0L, null, null)],
            row.Allocations.OrderBy(a => a.Id).Select(a => (a.InvoiceNumber, a.AppliedMinor, a.DiscountMinor, a.ShortMinor, a.ShortReason, a.Comment)));

        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            var message = await db.Outbox.AsNoTracking().SingleAsync(m => m.AccountId == account && m.Kind == OutboxKind.ErpPayment);
            var posting = JsonSerializer.Deserialize<ErpPaymentPosting>(message.PayloadJson, Json)!;
            Assert.Equal(Usd(850m), posting.Amount);
            Assert.Equal(
                [("X-INV-1", Usd(600m), Usd(12m), (Money?)Usd(388m), "Other", "Two pallets arrived crushed <b>see photos</b>"), ("X-INV-2", Usd(300m), Usd(0m), null, null, null), ("X-CM-3", Usd(-50m), Usd(0m), null, null, null)],
                posting.Allocations.Select(a => (a.ItemExternalId, a.Applied, a.DiscountTaken ?? Usd(0m), a.ShortAmount, a.ShortPayReason, a.Comment)));
        }

        var receipt = await payments.GetReceiptAsync(outcome.PaymentId);
        Assert.Equal((Usd(850m), Usd(12m), Usd(388m)), (receipt.Amount, receipt.DiscountTotal, receipt.ShortTotal));
        var first = receipt.Lines[0];
        Assert.Equal(("INV-1", Usd(1000m), Usd(12m), Usd(388m), "Other", "Two pallets arrived crushed <b>see photos</b>", Usd(600m)),
            (first.InvoiceNumber, first.OpenBalance, first.Discount, first.ShortAmount, first.ShortReason, first.Comment, first.Applied));
        Assert.Equal((Usd(0m), (string?)null), (receipt.Lines[1].ShortAmount, receipt.Lines[1].ShortReason));

        // The remittance detail carries the reason and the comment, each in its own column.
        var csv = new StringWriter();
        await h.Get<PaymentHistoryService>().WriteRemittanceCsvAsync(outcome.PaymentId, csv);
        var remittance = csv.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("\"Short-pay reason\",\"Short-pay comment\",\"Amount applied\"", remittance[0]);
        Assert.EndsWith("\"Other\",\"Two pallets arrived crushed <b>see photos</b>\",600.00", remittance[1]);
    }

    [Fact]
    public async Task A_short_payment_needs_a_listed_reason_and_other_needs_a_comment_of_at_most_2000_characters()
    {
        await using var h = Harness(database, out var account, reasons: ["Damaged", "Other"]);
        var ids = await SeedAsync(h, account, ("INV-7", 50_000, null));
        var id = ids[0];

        var none = await RefusedAsync(h, ids, Short(id, 100m));
        Assert.Equal(($"reason-{id}", "Choose why you are paying less than USD 500.00 for INV-7."), (none.Field, none.Message));
        var unknown = await RefusedAsync(h, ids, Short(id, 100m, "Incorrect price"));
        Assert.Equal(($"reason-{id}", "Choose one of the listed reasons for paying less on INV-7."), (unknown.Field, unknown.Message));
        var other = await RefusedAsync(h, ids, Short(id, 100m, "Other", "   "));
        Assert.Equal(($"comment-{id}", "Explain the reason \"Other\" for INV-7 in the comment."), (other.Field, other.Message));
        var tooLong = await RefusedAsync(h, ids, Short(id, 100m, "Other", new string('x', 2001)));
        Assert.Equal($"comment-{id}", tooLong.Field);
        Assert.Contains("2,000 or fewer", tooLong.Message);

        var longest = await h.Get<PaymentService>().PreviewAsync(ids, [Short(id, 100m, "Other", new string('x', 2000))]);
        Assert.Equal(2000, longest.Lines[0].Comment!.Length);
        var spelled = await h.Get<PaymentService>().PreviewAsync(ids, [Short(id, 100m, " damaged ")]);
        Assert.Equal(("Damaged", Usd(400m)), (spelled.Lines[0].ShortReason, spelled.Lines[0].ShortAmount!.Value));
    }

    [Fact]
    public async Task A_reason_or_comment_on_a_full_payment_is_refused_and_between_full_and_balance_takes_less_discount()
    {
        await using var h = Harness(database, out var account);
        var ids = await SeedAsync(h, account, ("INV-8", 100_000, 2_000));
        var id = ids[0];

        var noAmount = await RefusedAsync(h, ids, new PayLine(id) { Reason = "Damaged" });
        Assert.Equal($"reason-{id}", noAmount.Field);
        Assert.Contains("paid in full (USD 980.00)", noAmount.Message);
        var fullAmount = await RefusedAsync(h, ids, Short(id, 980m, comment: "thanks"));
        Assert.Equal($"comment-{id}", fullAmount.Field);

        // 990 of 1,000: not short; the discount shrinks to the 10.00 still needed to settle the invoice.
        var preview = await h.Get<PaymentService>().PreviewAsync(ids, [Short(id, 990m)]);
        var line = preview.Lines[0];
        Assert.Equal((Usd(10m), Usd(990m), (Money?)null, false), (line.Discount, line.AmountToPay, line.ShortAmount, line.IsShort));
        Assert.NotNull(line.DiscountNotice);
    }

    [Fact]
    public async Task Zero_negative_foreign_and_more_than_the_balance_are_refused_at_the_field_naming_the_invoice()
    {
        await using var h = Harness(database, out var account);
        var ids = await SeedAsync(h, account, ("INV-9", 25_000, null), ("CM-9", -1_000, null));
        var id = ids[0];

        var zero = await RefusedAsync(h, ids, Short(id, 0m, "Damaged"));
        Assert.Equal(($"amount-{id}", "The amount to pay for INV-9 must be greater than zero."), (zero.Field, zero.Message));
        var negative = await RefusedAsync(h, ids, Short(id, -5m, "Damaged"));
        Assert.Equal($"amount-{id}", negative.Field);
        var over = await RefusedAsync(h, ids, Short(id, 250.01m));
        Assert.Equal(($"amount-{id}", "The amount to pay for INV-9 is more than its open balance of USD 250.00. To pay more than you owe, make a deposit."), (over.Field, over.Message));
        var euros = await RefusedAsync(h, ids, new PayLine(id) { Amount = Money.Create(100m, "EUR"), Reason = "Damaged" });
        Assert.Equal(($"amount-{id}", "The amount to pay for INV-9 must be in USD."), (euros.Field, euros.Message));
        var credit = await RefusedAsync(h, ids, new PayLine(ids[1]) { Amount = Usd(5m), Reason = "Damaged" });
        Assert.Equal(($"amount-{ids[1]}", "CM-9 is a credit: it is applied in full and cannot be short-paid."), (credit.Field, credit.Message));
        var twice = await RefusedAsync(h, ids, Short(id, 100m, "Damaged"), Short(id, 90m, "Damaged"));
        Assert.Equal($"amount-{id}", twice.Field);
        Assert.Empty(await PaymentsAsync(h, account));
    }

    [Fact]
    public async Task The_server_recomputes_a_tampered_total_and_a_double_submit_charges_once()
    {
        await using var h = Harness(database, out var account);
        var ids = await SeedAsync(h, account, ("INV-11", 40_000, null), ("INV-12", 10_000, null));
        var visa = await CardAsync(h);
        var payments = h.Get<PaymentService>();
        PayLine[] lines = [Short(ids[0], 150m, "Incorrect price")];

        var tampered = await Assert.ThrowsAsync<PortalValidationException>(() =>
            payments.PayInvoicesAsync(new PayInvoicesRequest(ids, visa.Id, Key()) { Lines = lines, ExpectedTotal = Usd(100m) }));
        Assert.Equal(("total", PaymentService.AmountsChangedMessage), (tampered.Field, tampered.Message));
        Assert.Equal(0, await ChargeCountAsync(h, account));

        var request = new PayInvoicesRequest(ids, visa.Id, Key()) { Lines = lines, ExpectedTotal = Usd(250m) };
        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
        {
            await using var scope = new PortalHarnessScope(h);
            return await scope.Get<PaymentService>().PayInvoicesAsync(request);
        }));
        var again = await payments.PayInvoicesAsync(request);

        Assert.Single(results.Select(r => r.PaymentId).Append(again.PaymentId).Distinct());
        Assert.True(again.Replayed);
        Assert.Equal(1, await ChargeCountAsync(h, account));
        Assert.Equal(25_000L, Assert.Single(await PaymentsAsync(h, account)).AmountMinor);   // 150 (short) + 100 (full)
    }

    /// <summary>What an ERP sync does to a stored invoice between the clerk's review and confirm.</summary>
    private static async Task SyncAsync(PortalHarness h, long id, long? openMinor = null, bool endDiscount = false)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var row = await db.Invoices.SingleAsync(i => i.Id == id);
        row.OpenMinor = openMinor ?? row.OpenMinor;
        if (endDiscount)
        {
            (row.DiscountMinor, row.DiscountDate) = (null, null);
        }
        await db.SaveChangesAsync();
    }

    private static async Task<PortalValidationException> ConfirmRefusedAsync(PortalHarness h, long[] ids, Guid method, PaymentPreview reviewed, params PayLine[] lines) =>
        await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, method, Key())
        {
            Lines = lines,
            ExpectedTotal = reviewed.TotalCharged,
            ExpectedDiscountTotal = reviewed.DiscountTotal,
            ExpectedShortTotal = reviewed.ShortTotal,
        }));

    /// <summary>
    /// The ERP syncs an invoice between review and confirm while the payment's total stays what the clerk reviewed: confirm
    /// prices every line again and refuses — nothing charged, nothing held — an amount now above its invoice's balance, an
    /// amount that became short, and a short payment whose discount or short-paid amount is no longer the one reviewed.
    /// </summary>
    [Fact]
    public async Task Confirm_refuses_a_line_the_ERP_changed_since_the_review_even_when_the_total_still_matches()
    {
        await using var h = Harness(database, out var account);
        var visa = await CardAsync(h);

        // Typed 600 of 1,000; the ERP lowers that invoice to 500 (a credit applied there): the total would still be 900.
        var over = await SeedAsync(h, account, ("INV-31", 100_000, null), ("INV-32", 30_000, null));
        PayLine[] overLines = [Short(over[0], 600m, "Damaged")];
        var overReview = await h.Get<PaymentService>().PreviewAsync(over, overLines);
        await SyncAsync(h, over[0], openMinor: 50_000);
        var refused = await ConfirmRefusedAsync(h, over, visa.Id, overReview, overLines);
        Assert.Equal(($"amount-{over[0]}", "The amount to pay for INV-31 is more than its open balance of USD 500.00. To pay more than you owe, make a deposit."),
            (refused.Field, refused.Message));

        // Typed 990 of 1,000 with its $20 discount (not short: 10 of the discount settles it); the ERP ends the discount:
        // 990 is now short of 1,000 and needs a reason. The total would still be 990.
        var shortNow = await SeedAsync(h, account, ("INV-33", 100_000, 2_000));
        PayLine[] shortNowLines = [Short(shortNow[0], 990m)];
        var shortNowReview = await h.Get<PaymentService>().PreviewAsync(shortNow, shortNowLines);
        await SyncAsync(h, shortNow[0], endDiscount: true);
        refused = await ConfirmRefusedAsync(h, shortNow, visa.Id, shortNowReview, shortNowLines);
        Assert.Equal(($"reason-{shortNow[0]}", "Choose why you are paying less than USD 1,000.00 for INV-33."), (refused.Field, refused.Message));

        // Short-paid 600 with the pro-rated discount of 12.00 (388.00 short); the ERP ends the discount: still 600 charged,
        // but 0.00 discount and 400.00 short-paid, not what the clerk reviewed and would post to the ERP.
        var discount = await SeedAsync(h, account, ("INV-34", 100_000, 2_000));
        PayLine[] discountLines = [Short(discount[0], 600m, "Damaged")];
        var discountReview = await h.Get<PaymentService>().PreviewAsync(discount, discountLines);
        Assert.Equal((Usd(600m), Usd(12m), Usd(388m)), (discountReview.Total, discountReview.DiscountTotal, discountReview.ShortTotal));
        await SyncAsync(h, discount[0], endDiscount: true);
        refused = await ConfirmRefusedAsync(h, discount, visa.Id, discountReview, discountLines);
        Assert.Equal(("total", PaymentService.AmountsChangedMessage), (refused.Field, refused.Message));

        // Short-paid 600 of 1,000 (400.00 short, no discount); the ERP lowers it to 900: 300.00 short now.
        var balance = await SeedAsync(h, account, ("INV-35", 100_000, null));
        PayLine[] balanceLines = [Short(balance[0], 600m, "Damaged")];
        var balanceReview = await h.Get<PaymentService>().PreviewAsync(balance, balanceLines);
        await SyncAsync(h, balance[0], openMinor: 90_000);
        refused = await ConfirmRefusedAsync(h, balance, visa.Id, balanceReview, balanceLines);
        Assert.Equal(("total", PaymentService.AmountsChangedMessage), (refused.Field, refused.Message));

        Assert.Equal(0, await ChargeCountAsync(h, account));
        Assert.Empty(await PaymentsAsync(h, account));
        Assert.All(await InvoiceRowsAsync(h, [.. over, .. shortNow, .. discount, .. balance]), i => Assert.Equal((InvoiceStatus.Open, (Guid?)null), (i.Status, i.ActivePaymentId)));

        // Reviewed again, the new figures are paid as shown.
        var again = await h.Get<PaymentService>().PreviewAsync(discount, discountLines);
        var paid = await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(discount, visa.Id, Key())
        {
            Lines = discountLines, ExpectedTotal = again.TotalCharged, ExpectedDiscountTotal = again.DiscountTotal, ExpectedShortTotal = again.ShortTotal,
        });
        Assert.Equal((PaymentStatus.Succeeded, Usd(600m)), (paid.Status, paid.Amount));
        var receipt = await h.Get<PaymentService>().GetReceiptAsync(paid.PaymentId);
        Assert.Equal((Usd(0m), Usd(400m)), (receipt.DiscountTotal, receipt.ShortTotal));
    }

    [Fact]
    public async Task View_only_users_cannot_short_pay_and_another_accounts_invoice_is_not_found()
    {
        await using var h = Harness(database, out var account);
        var mine = await SeedAsync(h, account, ("INV-21", 10_000, null));
        var other = PortalHarness.NewAccount();
        var theirs = await SeedAsync(h, other, ("INV-22", 10_000, null));
        var visa = await CardAsync(h);
        var payments = h.Get<PaymentService>();

        await Assert.ThrowsAsync<PortalNotFoundException>(() => payments.PreviewAsync(mine, [Short(theirs[0], 50m, "Damaged")]));
        await Assert.ThrowsAsync<PortalNotFoundException>(() =>
            payments.PayInvoicesAsync(new PayInvoicesRequest(mine, visa.Id, Key()) { Lines = [Short(theirs[0], 50m, "Damaged")] }));

        h.SignIn(account, PortalPermissions.View);
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => payments.PreviewAsync(mine, [Short(mine[0], 50m, "Damaged")]));
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() =>
            payments.PayInvoicesAsync(new PayInvoicesRequest(mine, visa.Id, Key()) { Lines = [Short(mine[0], 50m, "Damaged")] }));
        Assert.Empty(await PaymentsAsync(h, account));
        Assert.Empty(await PaymentsAsync(h, other));
    }
}

public sealed class ShortPayTests_Sqlite(SqliteDatabase db) : ShortPayTests(db), IClassFixture<SqliteDatabase>;

public sealed class ShortPayTests_Postgres(PostgresDatabase db) : ShortPayTests(db), IClassFixture<PostgresDatabase>;

/// <summary>What the payment form checks as the payer types, with the server's wording.</summary>
public class ShortPayAmountInputTests
{
    [Theory]
    [InlineData("abc", "USD", "Enter the amount to pay for INV-5 as a number, e.g. 1,234.50.")]
    [InlineData("", "USD", "Enter the amount to pay for INV-5 as a number, e.g. 1,234.50.")]
    [InlineData("0", "USD", "The amount to pay for INV-5 must be greater than zero.")]
    [InlineData("-12.50", "USD", "The amount to pay for INV-5 must be greater than zero.")]
    [InlineData("12.345", "USD", "The amount to pay for INV-5: USD amounts have at most 2 decimal places.")]
    [InlineData("10.5", "JPY", "The amount to pay for INV-5: JPY amounts have no decimal places.")]
    public void Bad_amounts_get_a_message_naming_the_invoice(string text, string currency, string message)
    {
        Assert.False(ShortPayRules.TryParseAmount(text, currency, "INV-5", CultureInfo.InvariantCulture, out _, out var error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void Good_amounts_parse_in_the_users_culture()
    {
        Assert.True(ShortPayRules.TryParseAmount(" 1,234.50 ", "USD", "INV-5", CultureInfo.GetCultureInfo("en-US"), out var us, out _));
        Assert.Equal(Money.Create(1234.50m, "USD"), us);
        Assert.True(ShortPayRules.TryParseAmount("1.234,5", "EUR", "INV-5", CultureInfo.GetCultureInfo("de-DE"), out var de, out _));
        Assert.Equal(Money.Create(1234.5m, "EUR"), de);
    }
}
