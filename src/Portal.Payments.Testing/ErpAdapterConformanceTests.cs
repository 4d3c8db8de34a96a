using Portal.Payments.Erp;
using Xunit;

namespace Portal.Payments.Testing;

/// <summary>
/// Conformance suite for <see cref="IErpAdapter"/> implementations. Subclass it, point it at a test
/// account of your ERP, and every [Fact] checks your adapter: incremental pulls with cursors,
/// consistent item data, documents, postings that drop duplicates, the payments applied to each item (which release
/// the portal's holds), and reversals of returned payments.
/// </summary>
public abstract class ErpAdapterConformanceTests
{
    /// <summary>The adapter under test.</summary>
    protected abstract IErpAdapter Adapter { get; }

    /// <summary>A test account with at least a dozen open invoices; postings will be made against it.</summary>
    protected abstract string AccountId { get; }

    /// <summary>Makes postings made so far settle in the ERP (run the ERP's posting job, or advance a fake clock).</summary>
    protected abstract Task SettlePostingsAsync();

    /// <summary>
    /// The portal's currency for this account (its <c>Currency</c> option), in which the suite posts. Null (the default):
    /// the currency most of the account's invoices carry. Items in another currency may be listed (the portal shows them
    /// but never pays them); the suite posts nothing against them.
    /// </summary>
    protected virtual string? Currency => null;

    /// <summary>The account's currency: <see cref="Currency"/>, or the one most of its invoices carry.</summary>
    protected string AccountCurrency(IEnumerable<ErpOpenItem> items) =>
        Currency ?? items.Where(i => i.Type == OpenItemType.Invoice)
            .GroupBy(i => i.OpenAmount.Currency)
            .OrderByDescending(g => g.Count())
            .Select(g => g.Key)
            .FirstOrDefault()
        ?? throw new InvalidOperationException("The test account has no invoices.");

    /// <summary>Open invoices the portal could pay (in the account's currency, above 10), in the order pulled.</summary>
    protected List<ErpOpenItem> Payable(IReadOnlyCollection<ErpOpenItem> items)
    {
        var currency = AccountCurrency(items);
        return [.. items.Where(i => i.Type == OpenItemType.Invoice && i.IsOpen && i.OpenAmount.Currency == currency && i.OpenAmount.Amount > 10m)];
    }

    /// <summary>Pulls every item from <paramref name="cursor"/> on, page by page.</summary>
    protected async Task<(List<ErpOpenItem> Items, string Cursor)> PullAllAsync(string? cursor, int pageSize)
    {
        var items = new List<ErpOpenItem>();
        for (var guard = 0; guard < 100_000; guard++)
        {
            var page = await Adapter.PullOpenItemsAsync(AccountId, cursor, pageSize);
            Assert.NotNull(page.NextCursor);
            items.AddRange(page.Items);
            cursor = page.NextCursor;
            if (!page.HasMore)
            {
                return (items, cursor);
            }
        }
        throw new InvalidOperationException("The adapter never said HasMore = false.");
    }

    /// <summary>Small pages give the same items as one big page, each page within the size asked for.</summary>
    [Fact]
    public async Task Paged_pull_returns_the_same_items_as_one_pull()
    {
        var (all, _) = await PullAllAsync(null, 100_000);
        var (paged, _) = await PullAllAsync(null, 7);
        Assert.NotEmpty(all);
        Assert.Equal(all.Select(i => i.ExternalId).Order(), paged.Select(i => i.ExternalId).Order());
        var first = await Adapter.PullOpenItemsAsync(AccountId, null, 7);
        Assert.InRange(first.Items.Count, 1, 7);
    }

    /// <summary>Pulling again from the last cursor returns nothing when nothing changed.</summary>
    [Fact]
    public async Task Pull_from_the_last_cursor_returns_no_unchanged_items()
    {
        var (_, cursor) = await PullAllAsync(null, 500);
        var again = await Adapter.PullOpenItemsAsync(AccountId, cursor, 500);
        Assert.Empty(again.Items);
        Assert.False(again.HasMore);
    }

    /// <summary>
    /// Items are consistent: each item's amounts in one currency, most of them in the account's, invoices positive with
    /// open ≤ original, credits negative, unique ids.
    /// </summary>
    [Fact]
    public async Task Items_are_consistent()
    {
        var (items, _) = await PullAllAsync(null, 500);
        Assert.Equal(items.Count, items.Select(i => i.ExternalId).Distinct().Count());
        // Items in another currency than the account's are allowed (listed, never paid): most are in the account's.
        var currency = AccountCurrency(items);
        Assert.True(items.Count(i => i.OpenAmount.Currency == currency) * 2 > items.Count,
            $"Most of the account's items must be in its currency {currency}.");
        foreach (var item in items)
        {
            Assert.False(string.IsNullOrWhiteSpace(item.Number));
            Assert.Equal(item.OriginalAmount.Currency, item.OpenAmount.Currency);
            if (item.DiscountAmount is { } discount)
            {
                Assert.Equal(item.OriginalAmount.Currency, discount.Currency);
            }
            if (item.Type == OpenItemType.Invoice)
            {
                Assert.True(item.OriginalAmount.Amount > 0m, $"{item.Number}: invoice amount must be positive");
                Assert.InRange(item.OpenAmount.Amount, 0m, item.OriginalAmount.Amount);
                Assert.True(item.DueDate >= item.DocumentDate, $"{item.Number}: due before its date");
            }
            else
            {
                Assert.True(item.OriginalAmount.Amount < 0m, $"{item.Number}: credits carry negative amounts");
            }
            Assert.Equal(item.IsOpen, !item.OpenAmount.IsZero);
            if (item.DiscountAmount is { } d)
            {
                Assert.NotNull(item.DiscountDate);
                Assert.True(d.Amount > 0m && d <= item.OriginalAmount, $"{item.Number}: discount out of range");
            }
        }
    }

    /// <summary>An invoice's document can be fetched; an unknown id gives null.</summary>
    [Fact]
    public async Task Invoice_document_is_available()
    {
        var (items, _) = await PullAllAsync(null, 500);
        var invoice = items.First(i => i.Type == OpenItemType.Invoice);
        var document = await Adapter.GetDocumentAsync(AccountId, invoice.ExternalId);
        Assert.NotNull(document);
        Assert.Contains(document!.ContentType, new[] { "application/pdf", "text/html" });
        Assert.NotEmpty(document.Content);
        Assert.Null(await Adapter.GetDocumentAsync(AccountId, "no-such-item-" + Guid.NewGuid().ToString("N")));
    }

    /// <summary>A payment posted twice is applied once: the second posting is dropped as a duplicate.</summary>
    [Fact]
    public async Task Duplicate_payment_posting_is_applied_once()
    {
        var (items, cursor) = await PullAllAsync(null, 500);
        var invoice = Payable(items).Skip(3).First();
        var part = Money.Create(decimal.Round(invoice.OpenAmount.Amount / 2, 2), invoice.OpenAmount.Currency);
        var posting = new ErpPaymentPosting
        {
            PaymentId = Guid.NewGuid(),
            AccountId = AccountId,
            ReceiptNumber = "CONF-" + Random.Shared.Next(100000, 999999),
            Amount = part,
            PaidAt = DateTimeOffset.UtcNow,
            MethodDescription = "Visa •••• 4242",
            Allocations = [new ErpAllocation { ItemExternalId = invoice.ExternalId, ItemNumber = invoice.Number, Applied = part }],
        };
        var first = await Adapter.PostPaymentAsync(posting);
        var second = await Adapter.PostPaymentAsync(posting);
        Assert.True(first.Accepted, first.Error);
        Assert.False(first.Duplicate);
        Assert.True(second.Accepted, second.Error);
        Assert.True(second.Duplicate, "The second posting with the same payment id must be reported as a duplicate.");

        await SettlePostingsAsync();
        var (changes, _) = await PullAllAsync(cursor, 500);
        var changed = Assert.Single(changes, i => i.ExternalId == invoice.ExternalId);
        Assert.Equal(invoice.OpenAmount - part, changed.OpenAmount);
    }

    /// <summary>
    /// Once the ERP applied a payment, the items it paid report it in <see cref="ErpOpenItem.AppliedPaymentIds"/> (a short
    /// payment's item stays open with its rest): that is how the portal releases the item for paying again. A change of
    /// the item for any other reason must not report a payment the ERP has not applied.
    /// </summary>
    [Fact]
    public async Task Applied_payment_is_reported_on_the_items_it_paid()
    {
        var (items, cursor) = await PullAllAsync(null, 500);
        var invoices = Payable(items).Skip(7).Take(2).ToList();
        Assert.Equal(2, invoices.Count);
        Assert.All(items, i => Assert.NotNull(i.AppliedPaymentIds));
        var full = invoices[0].OpenAmount;
        var part = Money.Create(decimal.Round(invoices[1].OpenAmount.Amount / 3, 2), invoices[1].OpenAmount.Currency);
        var posting = new ErpPaymentPosting
        {
            PaymentId = Guid.NewGuid(),
            AccountId = AccountId,
            ReceiptNumber = "CONF-A" + Random.Shared.Next(100000, 999999),
            Amount = full + part,
            PaidAt = DateTimeOffset.UtcNow,
            MethodDescription = "Visa •••• 4242",
            Allocations =
            [
                new ErpAllocation { ItemExternalId = invoices[0].ExternalId, ItemNumber = invoices[0].Number, Applied = full },
                new ErpAllocation { ItemExternalId = invoices[1].ExternalId, ItemNumber = invoices[1].Number, Applied = part, ShortAmount = invoices[1].OpenAmount - part, ShortPayReason = "Damaged" },
            ],
        };
        Assert.DoesNotContain(items, i => i.AppliedPaymentIds.Contains(posting.PaymentId));
        Assert.True((await Adapter.PostPaymentAsync(posting)).Accepted);
        await SettlePostingsAsync();

        var (changes, _) = await PullAllAsync(cursor, 500);
        var paid = Assert.Single(changes, i => i.ExternalId == invoices[0].ExternalId);
        var shortPaid = Assert.Single(changes, i => i.ExternalId == invoices[1].ExternalId);
        Assert.Contains(posting.PaymentId, paid.AppliedPaymentIds);
        Assert.Contains(posting.PaymentId, shortPaid.AppliedPaymentIds);
        Assert.True(shortPaid.IsOpen, "A short-paid invoice stays open for the rest.");
        Assert.Equal(invoices[1].OpenAmount - part, shortPaid.OpenAmount);
        Assert.All(changes.Where(i => i.ExternalId != invoices[0].ExternalId && i.ExternalId != invoices[1].ExternalId),
            i => Assert.DoesNotContain(posting.PaymentId, i.AppliedPaymentIds));
    }

    /// <summary>A deposit posted twice is recorded once.</summary>
    [Fact]
    public async Task Duplicate_deposit_posting_is_dropped()
    {
        // In the account's own currency (its invoices'), as the portal posts a deposit: an ERP keeping the account in euros
        // may rightly refuse dollars.
        var (items, _) = await PullAllAsync(null, 500);
        var currency = AccountCurrency(items);
        var posting = new ErpDepositPosting
        {
            PaymentId = Guid.NewGuid(),
            AccountId = AccountId,
            ReceiptNumber = "CONF-D" + Random.Shared.Next(100000, 999999),
            Amount = Money.Create(250m, currency),
            PaidAt = DateTimeOffset.UtcNow,
            MethodDescription = "Checking •••• 6789",
            Memo = "Prepayment",
        };
        var first = await Adapter.PostDepositAsync(posting);
        Assert.True(first.Accepted, first.Error);
        Assert.False(first.Duplicate);
        var again = await Adapter.PostDepositAsync(posting);
        Assert.True(again.Accepted && again.Duplicate);
    }

    /// <summary>
    /// A returned payment is reversed: refused before the payment is posted, then (once posted and settled) the reversal
    /// reopens the invoice with its balance before the payment; a second reversal is dropped.
    /// </summary>
    [Fact]
    public async Task Reversing_a_returned_payment_reopens_its_invoice_once()
    {
        var (items, cursor) = await PullAllAsync(null, 500);
        var invoice = Payable(items).Skip(5).First();
        var posting = new ErpPaymentPosting
        {
            PaymentId = Guid.NewGuid(),
            AccountId = AccountId,
            ReceiptNumber = "CONF-R" + Random.Shared.Next(100000, 999999),
            Amount = invoice.OpenAmount,
            PaidAt = DateTimeOffset.UtcNow,
            MethodDescription = "Checking •••• 6789",
            Allocations = [new ErpAllocation { ItemExternalId = invoice.ExternalId, ItemNumber = invoice.Number, Applied = invoice.OpenAmount }],
        };
        var reversal = new ErpPaymentReversal
        {
            PaymentId = posting.PaymentId,
            AccountId = AccountId,
            ReceiptNumber = posting.ReceiptNumber,
            Amount = posting.Amount,
            ReturnedAt = DateTimeOffset.UtcNow,
            Reason = "R01: insufficient funds",
        };
        var early = await Adapter.ReversePaymentAsync(reversal);
        Assert.False(early.Accepted, "A reversal of a payment the ERP has not received must be refused, so the outbox retries it.");
        Assert.False(string.IsNullOrWhiteSpace(early.Error));

        Assert.True((await Adapter.PostPaymentAsync(posting)).Accepted);
        await SettlePostingsAsync();
        var (paid, afterPayment) = await PullAllAsync(cursor, 500);
        var settled = Assert.Single(paid, i => i.ExternalId == invoice.ExternalId);
        Assert.False(settled.IsOpen);
        Assert.Contains(posting.PaymentId, settled.AppliedPaymentIds);

        var first = await Adapter.ReversePaymentAsync(reversal);
        Assert.True(first.Accepted, first.Error);
        Assert.False(first.Duplicate);
        var again = await Adapter.ReversePaymentAsync(reversal);
        Assert.True(again.Accepted && again.Duplicate, "A second reversal of the same payment must be reported as a duplicate.");

        await SettlePostingsAsync();
        var (reopened, _) = await PullAllAsync(afterPayment, 500);
        var item = Assert.Single(reopened, i => i.ExternalId == invoice.ExternalId);
        Assert.True(item.IsOpen);
        Assert.Equal(invoice.OpenAmount, item.OpenAmount);
        Assert.DoesNotContain(posting.PaymentId, item.AppliedPaymentIds);
    }

    /// <summary>A comment posted twice is recorded once.</summary>
    [Fact]
    public async Task Duplicate_comment_posting_is_dropped()
    {
        var (items, _) = await PullAllAsync(null, 500);
        var posting = new ErpCommentPosting
        {
            CommentId = Guid.NewGuid(),
            AccountId = AccountId,
            ItemExternalId = items[0].ExternalId,
            Author = "Conformance",
            Text = "Please send a copy of the delivery note.",
            CreatedAt = DateTimeOffset.UtcNow,
        };
        Assert.False((await Adapter.PostCommentAsync(posting)).Duplicate);
        Assert.True((await Adapter.PostCommentAsync(posting)).Duplicate);
    }
}
