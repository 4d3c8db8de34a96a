using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Grid;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.History;
using Portal.Payments.Services.Payments;
using Portal.Payments.Testing;
using Portal.Payments.Users;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>Payment history grid, receipt model and remittance detail. The harness clock reads 2026-03-02 09:00 UTC.</summary>
public abstract class PaymentHistoryTests(TestDatabase database)
{
    private static readonly DateTime Start = new(2026, 2, 1, 10, 0, 0, DateTimeKind.Utc);

    private sealed record Seed(string Receipt, int Day, long AmountMinor, PaymentStatus Status, string[] Invoices,
        PaymentKind Kind = PaymentKind.InvoicePayment, string? Memo = null, DateOnly? ScheduledFor = null);

    private static readonly Seed[] Payments =
    [
        new("R-260201-AAAAAA", 0, 100_00, PaymentStatus.Succeeded, ["INV-1001", "CM-5"]),
        new("R-260203-BBBBBB", 2, 250_50, PaymentStatus.Failed, ["INV-2002"]),
        new("R-260205-CCCCCC", 4, 75_25, PaymentStatus.Processing, ["INV-1002", "INV-3003", "INV-3004"]),
        new("R-260207-DDDDDD", 6, 500_00, PaymentStatus.Succeeded, [], PaymentKind.Deposit, Memo: "Advance for spring order"),
        new("R-260209-EEEEEE", 8, 42_00, PaymentStatus.Scheduled, ["=HYPERLINK(1)"], ScheduledFor: new(2026, 3, 15)),
    ];

    private static async Task<(PortalHarness H, string Account)> SeededAsync(TestDatabase db, Action<PortalPaymentsBuilder>? configure = null)
    {
        var h = new PortalHarness(db, configure);
        var account = PortalHarness.NewAccount();
        await InsertAsync(h, account, Payments);
        // Another account with the same invoice numbers and receipt-like numbers: never shown.
        await InsertAsync(h, account + "X", Payments.Select(p => p with { Receipt = p.Receipt.Replace("R-", "X-", StringComparison.Ordinal) }));
        h.SignIn(account);
        return (h, account);
    }

    private static async Task InsertAsync(PortalHarness h, string account, IEnumerable<Seed> seeds)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        foreach (var s in seeds)
        {
            db.Payments.Add(new PaymentRecord
            {
                Id = Guid.NewGuid(),
                AccountId = account,
                Kind = s.Kind,
                Status = s.Status,
                Currency = "USD",
                AmountMinor = s.AmountMinor,
                MethodDescription = "Visa •••• 4242",
                IdempotencyKey = Guid.NewGuid().ToString("N"),
                GatewayKey = "sandbox",
                ReceiptNumber = $"{s.Receipt}-{Tag(account)}",
                CreatedByUserId = "user-1",
                CreatedByName = "Pat Payer",
                CreatedByEmail = "pat@example.test",
                CreatedAt = Start.AddDays(s.Day),
                Memo = s.Memo,
                ScheduledFor = s.ScheduledFor,
                InvoiceCount = s.Invoices.Length,
                Allocations = [.. s.Invoices.Select((n, i) => new PaymentAllocationRecord
                {
                    InvoiceId = 1000 + i,
                    InvoiceExternalId = "X-" + n,
                    InvoiceNumber = n,
                    InvoiceType = n.StartsWith("CM", StringComparison.Ordinal) ? OpenItemType.CreditMemo : OpenItemType.Invoice,
                    OpenBalanceMinor = n.StartsWith("CM", StringComparison.Ordinal) ? -10_00 : 60_00,
                    AppliedMinor = n.StartsWith("CM", StringComparison.Ordinal) ? -10_00 : 60_00,
                })],
            });
        }
        await db.SaveChangesAsync();
    }

    /// <summary>Receipt numbers are unique across accounts: seeds get the account's tag appended.</summary>
    private static string Tag(string account) => account[1..7];

    private static string Seeded(string receipt) => receipt[..^7];

    private static async Task<string[]> ReceiptsAsync(PortalHarness h, GridQuery query) =>
        [.. (await h.Get<PaymentHistoryService>().QueryAsync(query)).Items.Select(r => Seeded(r.ReceiptNumber))];

    [Fact]
    public async Task Default_order_is_newest_first_with_row_details()
    {
        var (h, _) = await SeededAsync(database);
        await using var _ = h;

        var page = await h.Get<PaymentHistoryService>().QueryAsync(new GridQuery());

        Assert.Equal(5, page.TotalCount);
        Assert.Equal(["R-260209-EEEEEE", "R-260207-DDDDDD", "R-260205-CCCCCC", "R-260203-BBBBBB", "R-260201-AAAAAA"], page.Items.Select(r => Seeded(r.ReceiptNumber)));
        var deposit = page.Items[1];
        Assert.Equal((PaymentKind.Deposit, PaymentStatus.Succeeded, Money.Create(500m, "USD"), "Visa •••• 4242", "Pat Payer", 0, "Advance for spring order"),
            (deposit.Kind, deposit.Status, deposit.Amount, deposit.MethodDescription, deposit.PaidBy, deposit.InvoiceCount, deposit.Memo));
        Assert.Equal(new DateTimeOffset(2026, 2, 7, 10, 0, 0, TimeSpan.Zero), deposit.CreatedAt);
        Assert.Equal(new DateOnly(2026, 3, 15), page.Items[0].ScheduledFor);
    }

    [Theory]
    [InlineData("r-260205", "R-260205-CCCCCC")]          // receipt number prefix, any case
    [InlineData("inv-300", "R-260205-CCCCCC")]           // an invoice number the payment paid
    [InlineData("CM-5", "R-260201-AAAAAA")]              // a credit it applied
    [InlineData("advance for", "R-260207-DDDDDD")]       // the deposit note
    [InlineData("260205", "R-260205-CCCCCC")]            // inside the receipt number
    [InlineData("3004", "R-260205-CCCCCC")]              // inside an invoice number it paid
    [InlineData("spring", "R-260207-DDDDDD")]            // a word of the note
    [InlineData("hyperlink", "R-260209-EEEEEE")]
    public async Task Search_finds_receipt_number_invoice_number_paid_and_note(string search, string expected)
    {
        var (h, _) = await SeededAsync(database);
        await using var _ = h;

        Assert.Equal([expected], await ReceiptsAsync(h, new GridQuery { Search = search }));
    }

    [Fact]
    public async Task Search_by_invoice_number_returns_every_payment_of_it_and_nothing_of_other_accounts()
    {
        var (h, _) = await SeededAsync(database);
        await using var _ = h;

        var found = await ReceiptsAsync(h, new GridQuery { Search = "INV-100" });

        Assert.Equal(["R-260205-CCCCCC", "R-260201-AAAAAA"], found);
        Assert.Empty(await ReceiptsAsync(h, new GridQuery { Search = "X-2602" }));
    }

    [Theory]
    [InlineData(null, "2026-02-03", "R-260203-BBBBBB")]                     // 10:00 UTC on the 3rd
    [InlineData("Pacific/Pago_Pago", "2026-02-02", "R-260203-BBBBBB")]      // 23:00 on the 2nd in Pago Pago (UTC-11)
    [InlineData("Pacific/Kiritimati", "2026-02-04", "R-260203-BBBBBB")]     // 00:00 on the 4th in Kiritimati (UTC+14)
    [InlineData("Pacific/Kiritimati", "2026-02-02", "R-260201-AAAAAA")]     // 10:00 UTC on the 1st is 00:00 on the 2nd there
    [InlineData("No/Such_Zone", "2026-02-03", "R-260203-BBBBBB")]           // an unknown zone reads as UTC
    public async Task A_day_filter_on_the_payment_time_means_the_users_day(string? zone, string day, string expected)
    {
        var (h, _) = await SeededAsync(database);
        await using var _ = h;

        var found = await ReceiptsAsync(h, new GridQuery
        {
            TimeZone = zone,
            Filters = [new GridFilter(PaymentHistoryFields.Date, GridFilterOperator.Equals, day)],
        });

        Assert.Equal([expected], found);
    }

    [Fact]
    public async Task Column_filters_on_status_amount_kind_and_day_combine_with_and()
    {
        var (h, _) = await SeededAsync(database);
        await using var _ = h;

        Assert.Equal(["R-260207-DDDDDD", "R-260201-AAAAAA"], await ReceiptsAsync(h, new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.Status, GridFilterOperator.Equals, "succeeded")],
        }));
        Assert.Equal(["R-260205-CCCCCC", "R-260201-AAAAAA"], await ReceiptsAsync(h, new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.Amount, GridFilterOperator.GreaterThanOrEqual, "75.25"), new GridFilter(PaymentHistoryFields.Amount, GridFilterOperator.LessThan, "250.50")],
        }));
        Assert.Equal(["R-260207-DDDDDD"], await ReceiptsAsync(h, new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.Kind, GridFilterOperator.Equals, "Deposit")],
        }));
        Assert.Equal(["R-260203-BBBBBB"], await ReceiptsAsync(h, new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.Date, GridFilterOperator.Equals, "2026-02-03")],
        }));
        Assert.Equal(["R-260209-EEEEEE", "R-260207-DDDDDD"], await ReceiptsAsync(h, new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.Date, GridFilterOperator.GreaterThan, "2026-02-05")],
        }));
        Assert.Equal(["R-260209-EEEEEE"], await ReceiptsAsync(h, new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.ScheduledFor, GridFilterOperator.IsNotEmpty, null)],
        }));
    }

    // Review: a payment being charged reads "Processing" in the grid, as a settling bank debit does, and the status filter
    // offers "Processing" twice; each of them found only one kind, so a clerk filtering on "Processing" missed rows that
    // read "Processing".
    [Fact]
    public async Task The_status_filter_processing_finds_every_row_that_reads_processing()
    {
        var (h, account) = await SeededAsync(database);
        await using var _ = h;
        await InsertAsync(h, account, [new Seed("R-260210-FFFFFF", 9, 33_00, PaymentStatus.Charging, ["INV-4004"])]);

        foreach (var value in new[] { "Processing", "charging" })
        {
            Assert.Equal(["R-260210-FFFFFF", "R-260205-CCCCCC"], await ReceiptsAsync(h, new GridQuery
            {
                Filters = [new GridFilter(PaymentHistoryFields.Status, GridFilterOperator.Equals, value)],
            }));
            Assert.Equal(["R-260209-EEEEEE", "R-260207-DDDDDD", "R-260203-BBBBBB", "R-260201-AAAAAA"], await ReceiptsAsync(h, new GridQuery
            {
                Filters = [new GridFilter(PaymentHistoryFields.Status, GridFilterOperator.NotEquals, value)],
            }));
        }
        // With the other filters (and in the export, which shares the query).
        Assert.Equal(["R-260210-FFFFFF"], await ReceiptsAsync(h, new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.Status, GridFilterOperator.Equals, "Processing"), new GridFilter(PaymentHistoryFields.Amount, GridFilterOperator.LessThan, "50")],
        }));
        var csv = new StringWriter();
        await h.Get<PaymentHistoryService>().WriteCsvAsync(new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.Status, GridFilterOperator.Equals, "Processing")],
        }, [PaymentHistoryFields.Amount, PaymentHistoryFields.Status], csv);
        Assert.Equal(["\"Amount\",\"Status\"", "33.00,\"Processing\"", "75.25,\"Processing\""], csv.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Method_and_paid_by_filter_and_sort_case_insensitively_on_their_keys()
    {
        var (h, account) = await SeededAsync(database);
        await using var _ = h;
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            // Changed through EF: the keys follow the texts on save.
            var rows = await db.Payments.Where(p => p.AccountId == account).OrderBy(p => p.CreatedAt).ToListAsync();
            rows[1].MethodDescription = "Mastercard •••• 5454";
            rows[1].CreatedByName = "Sam Clerk";
            rows[3].CreatedByName = "  sam reviewer ";
            await db.SaveChangesAsync();
        }

        Assert.Equal(["R-260203-BBBBBB"], await ReceiptsAsync(h, new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.Method, GridFilterOperator.Contains, "mastercard")],
        }));
        Assert.Equal(["R-260207-DDDDDD", "R-260203-BBBBBB"], await ReceiptsAsync(h, new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.User, GridFilterOperator.StartsWith, "SAM")],
        }));
        Assert.Equal(3, (await h.Get<PaymentHistoryService>().QueryAsync(new GridQuery
        {
            Filters = [new GridFilter(PaymentHistoryFields.User, GridFilterOperator.Equals, "pat payer")],
        })).TotalCount);
        var byPayer = await ReceiptsAsync(h, new GridQuery
        {
            Sorts = [new GridSort(PaymentHistoryFields.User, Descending: false), new GridSort(PaymentHistoryFields.Date, Descending: false)],
        });
        Assert.Equal(["R-260201-AAAAAA", "R-260205-CCCCCC", "R-260209-EEEEEE", "R-260203-BBBBBB", "R-260207-DDDDDD"], byPayer);
    }

    [Fact]
    public async Task Bad_filter_values_and_unknown_fields_are_validation_errors()
    {
        var (h, _) = await SeededAsync(database);
        await using var _ = h;
        var s = h.Get<PaymentHistoryService>();

        var date = await Assert.ThrowsAsync<PortalValidationException>(() => s.QueryAsync(new GridQuery { Filters = [new GridFilter(PaymentHistoryFields.Date, GridFilterOperator.Equals, "03/02/2026")] }));
        Assert.Equal(PaymentHistoryFields.Date, date.Field);
        await Assert.ThrowsAsync<PortalValidationException>(() => s.QueryAsync(new GridQuery { Sorts = [new GridSort("AccountId")] }));
        await Assert.ThrowsAsync<PortalValidationException>(() => s.WriteCsvAsync(new GridQuery(), ["Secret"], new StringWriter()));
    }

    [Fact]
    public async Task Multi_sort_and_paging_with_total_count()
    {
        var (h, account) = await SeededAsync(database);
        await using var _ = h;
        await InsertAsync(h, account, Enumerable.Range(0, 30).Select(i => new Seed($"R-BULK-{i:D3}", 10 + (i % 3), 1_00 * (i + 1), PaymentStatus.Succeeded, ["B-" + i])));

        var s = h.Get<PaymentHistoryService>();
        var query = new GridQuery
        {
            Search = "R-BULK",
            Sorts = [new GridSort(PaymentHistoryFields.Date, Descending: true), new GridSort(PaymentHistoryFields.Amount)],
            Skip = 10,
            Take = 10,
        };
        var page = await s.QueryAsync(query);

        Assert.Equal(30, page.TotalCount);
        // Day 12 holds i = 2, 5, …, 29 (10 rows), day 11 holds i = 1, 4, …, 28: the second page is day 11 by amount.
        Assert.Equal(Enumerable.Range(0, 10).Select(k => $"R-BULK-{1 + 3 * k:D3}"), page.Items.Select(r => Seeded(r.ReceiptNumber)));
        Assert.Single((await s.QueryAsync(query with { Skip = 29 })).Items);
        await Assert.ThrowsAsync<PortalValidationException>(() => s.QueryAsync(query with { Take = GridQueryBuilder<PaymentRecord>.MaxPageSize + 1 }));
    }

    [Fact]
    public async Task Csv_export_streams_every_row_with_the_injection_guard()
    {
        var (h, account) = await SeededAsync(database);
        await using var _ = h;
        var csv = new StringWriter();

        await h.Get<PaymentHistoryService>().WriteCsvAsync(new GridQuery { Take = 1, Sorts = [new GridSort(PaymentHistoryFields.Amount)] },
            [PaymentHistoryFields.ReceiptNumber, PaymentHistoryFields.Amount, PaymentHistoryFields.Status, PaymentHistoryFields.Memo, PaymentHistoryFields.Date], csv);

        var lines = csv.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("\"Receipt number\",\"Amount\",\"Status\",\"Note\",\"Date\"", lines[0]);
        Assert.Equal(6, lines.Length);
        Assert.Equal($"\"R-260209-EEEEEE-{Tag(account)}\",42.00,\"Scheduled\",\"\",2026-02-09 10:00", lines[1]);
        Assert.Equal($"\"R-260207-DDDDDD-{Tag(account)}\",500.00,\"Succeeded\",\"Advance for spring order\",2026-02-07 10:00", lines[^1]);
    }

    [Fact]
    public async Task Csv_export_writes_a_column_named_twice_once_and_refuses_an_oversized_list()
    {
        var (h, _) = await SeededAsync(database);
        await using var _h = h;
        var s = h.Get<PaymentHistoryService>();
        var csv = new StringWriter();
        await s.WriteCsvAsync(new GridQuery(), [.. Enumerable.Repeat(PaymentHistoryFields.Amount, 30), "amount", PaymentHistoryFields.Status], csv);
        var lines = csv.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("\"Amount\",\"Status\"", lines[0]);
        Assert.All(lines[1..], l => Assert.Equal(2, l.Split(',').Length));

        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.WriteCsvAsync(new GridQuery(), [.. Enumerable.Repeat(PaymentHistoryFields.Amount, 51)], new StringWriter()));
        Assert.Equal("columns", ex.Field);
    }

    [Fact]
    public async Task Remittance_lists_the_invoices_paid_and_exports_guarded_csv()
    {
        var (h, account) = await SeededAsync(database);
        await using var _ = h;
        var s = h.Get<PaymentHistoryService>();
        var rows = (await s.QueryAsync(new GridQuery())).Items;

        var remittance = await s.GetRemittanceAsync(rows.Single(r => Seeded(r.ReceiptNumber) == "R-260201-AAAAAA").Id);
        Assert.Equal(["INV-1001", "CM-5"], remittance.Lines.Select(l => l.InvoiceNumber));
        Assert.Equal(Money.Create(50m, "USD"), remittance.TotalApplied);

        var csv = new StringWriter();
        await s.WriteRemittanceCsvAsync(rows.Single(r => Seeded(r.ReceiptNumber) == "R-260209-EEEEEE").Id, csv);
        var lines = csv.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("\"Receipt number\",\"Payment date\",\"Payment status\",\"Invoice number\",\"Type\",\"Open balance\",\"Discount taken\",\"Short paid\",\"Short-pay reason\",\"Short-pay comment\",\"Amount applied\"", lines[0]);
        // A scheduled payment's date is the day it is charged on (set up on 9 February for 15 March).
        Assert.Equal($"\"R-260209-EEEEEE-{Tag(account)}\",2026-03-15,\"Scheduled\",\"'=HYPERLINK(1)\",\"Invoice\",60.00,0.00,0.00,\"\",\"\",60.00", Assert.Single(lines[1..]));

        // A payment that did not go through says so on its lines: an AP import must not book them as paid.
        var failed = new StringWriter();
        await s.WriteRemittanceCsvAsync(rows.Single(r => Seeded(r.ReceiptNumber) == "R-260203-BBBBBB").Id, failed);
        Assert.Equal($"\"R-260203-BBBBBB-{Tag(account)}\",2026-02-03,\"Failed\",\"INV-2002\",\"Invoice\",60.00,0.00,0.00,\"\",\"\",60.00",
            Assert.Single(failed.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries)[1..]));
    }

    [Fact]
    public async Task Remittance_payment_date_is_the_business_day_it_was_made_or_is_charged()
    {
        await using var h = new PortalHarness(database, options: o => o.BusinessTimeZone = "America/Chicago");
        var account = PortalHarness.NewAccount();
        await InsertAsync(h, account, [new("R-260201-LATEEV", 0, 60_00, PaymentStatus.Succeeded, ["INV-7001"]), new("R-260201-SCHEDU", 0, 60_00, PaymentStatus.Scheduled, ["INV-7002"], ScheduledFor: new(2026, 2, 20))]);
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            // 03:00 UTC on 1 February is 9 p.m. on 31 January in Chicago: the payer's books have it on the 31st.
            await db.Payments.Where(p => p.AccountId == account).ExecuteUpdateAsync(u => u.SetProperty(p => p.CreatedAt, new DateTime(2026, 2, 1, 3, 0, 0, DateTimeKind.Utc)));
        }
        h.SignIn(account);
        var s = h.Get<PaymentHistoryService>();
        var rows = (await s.QueryAsync(new GridQuery())).Items;

        async Task<string> DateCellAsync(string receipt)
        {
            var id = rows.Single(r => Seeded(r.ReceiptNumber) == receipt).Id;
            Assert.Equal(DateOnly.Parse(receipt == "R-260201-LATEEV" ? "2026-01-31" : "2026-02-20", CultureInfo.InvariantCulture), (await s.GetRemittanceAsync(id)).PaymentDate);
            var csv = new StringWriter();
            await s.WriteRemittanceCsvAsync(id, csv);
            return csv.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries)[1].Split(',')[1];
        }

        Assert.Equal("2026-01-31", await DateCellAsync("R-260201-LATEEV"));
        Assert.Equal("2026-02-20", await DateCellAsync("R-260201-SCHEDU"));
    }

    [Fact]
    public async Task Another_accounts_or_unknown_payment_is_not_found()
    {
        var (h, account) = await SeededAsync(database);
        await using var _ = h;
        h.SignIn(account + "X");
        var theirs = (await h.Get<PaymentHistoryService>().QueryAsync(new GridQuery())).Items[0].Id;
        h.SignIn(account);
        var s = h.Get<PaymentHistoryService>();

        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.GetRemittanceAsync(theirs));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.WriteRemittanceCsvAsync(theirs, new StringWriter()));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.GetRemittanceAsync(Guid.NewGuid()));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => h.Get<PaymentService>().GetReceiptAsync(theirs));
        Assert.DoesNotContain(theirs, (await s.QueryAsync(new GridQuery { Take = 500 })).Items.Select(r => r.Id));
    }

    [Fact]
    public async Task Signed_out_user_is_refused()
    {
        var (h, _) = await SeededAsync(database);
        await using var _ = h;
        h.Users.User = null;

        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => h.Get<PaymentHistoryService>().QueryAsync(new GridQuery()));
    }

    [Fact]
    public async Task A_real_payment_shows_in_history_with_its_receipt_breakdown()
    {
        await using var h = new PortalHarness(database);
        var account = PortalHarness.NewAccount();
        h.Users.User = FakePortalUserContext.UserOn(account, PortalPermissions.Pay, name: "Pat Payer");
        var ids = await SeedInvoicesAsync(h, account);
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("4242424242424242", 12, 2030, "123", "Pat Payer", "02139"));
        var card = await h.Get<PaymentMethodService>().AddCardAsync(new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Guid.NewGuid().ToString("N")));
        var outcome = await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Guid.NewGuid().ToString("N")));

        var row = Assert.Single((await h.Get<PaymentHistoryService>().QueryAsync(new GridQuery { Search = "hist-b" })).Items);
        Assert.Equal((outcome.PaymentId, outcome.ReceiptNumber, 2, "Visa •••• 4242", "Pat Payer", PaymentStatus.Succeeded), (row.Id, row.ReceiptNumber, row.InvoiceCount, row.MethodDescription, row.PaidBy, row.Status));
        Assert.Equal(Money.Create(210m, "USD"), row.Amount);

        var receipt = await h.Get<PaymentService>().GetReceiptAsync(row.Id);
        Assert.Equal(["HIST-A", "HIST-B"], receipt.Lines.Select(l => l.InvoiceNumber));
        Assert.Equal([Money.Create(150m, "USD"), Money.Create(60m, "USD")], receipt.Lines.Select(l => l.Applied));
        Assert.Equal(Money.Create(210m, "USD"), receipt.Amount);
        Assert.Equal(row.ReceiptNumber, Assert.Single((await h.Get<PaymentHistoryService>().QueryAsync(new GridQuery { Search = row.ReceiptNumber })).Items).ReceiptNumber);
    }

    [Fact]
    public async Task Search_and_filter_values_are_parameters_and_invoice_search_is_a_subquery()
    {
        var log = new CommandLog();
        var (h, _) = await SeededAsync(database, b => b.Services.Replace(
            ServiceDescriptor.Singleton<IDbContextFactory<PaymentsDbContext>>(new LoggingFactory(database, log))));
        await using var _ = h;
        var s = h.Get<PaymentHistoryService>();

        async Task<string> PageSqlAsync(string search, string amount)
        {
            log.Commands.Clear();
            await s.QueryAsync(new GridQuery { Search = search, Filters = [new GridFilter(PaymentHistoryFields.Amount, GridFilterOperator.GreaterThan, amount)] });
            return Assert.Single(log.Commands, c => c.Contains("LIMIT", StringComparison.OrdinalIgnoreCase));
        }

        var first = await PageSqlAsync("zq-marker", "12.34");
        Assert.Equal(first, await PageSqlAsync("INV-10", "98.76"));
        // Invoice numbers are searched in a subquery (PostgreSQL: EXISTS on the allocations; SQLite: their FTS5 index).
        Assert.True(first.Contains("EXISTS", StringComparison.OrdinalIgnoreCase) || first.Contains("pp_allocation_search", StringComparison.Ordinal), first);
        foreach (var literal in new[] { "ZQ-MARKER", "1234", "12.34", "INV-10", "lower(", "upper(" })
        {
            Assert.DoesNotContain(literal, first, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static async Task<long[]> SeedInvoicesAsync(PortalHarness h, string account)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        db.ErpSyncStates.Add(new ErpSyncStateRecord { AccountId = account, LastSyncedAt = new DateTime(2026, 3, 2, 8, 0, 0, DateTimeKind.Utc) });
        var rows = new[] { ("HIST-A", 150_00L), ("HIST-B", 60_00L) }.Select(i => new InvoiceRecord
        {
            AccountId = account, ExternalId = "X-" + i.Item1, Number = i.Item1, NumberKey = i.Item1, Type = OpenItemType.Invoice,
            DocumentDate = new(2026, 2, 1), DueDate = new(2026, 3, 20), Currency = "USD", OriginalMinor = i.Item2, OpenMinor = i.Item2,
            IsOpen = true, Status = InvoiceStatus.Open, SyncedAt = new DateTime(2026, 3, 2, 8, 0, 0, DateTimeKind.Utc),
        }).ToList();
        db.Invoices.AddRange(rows);
        await db.SaveChangesAsync();
        return [.. rows.Select(r => r.Id)];
    }

    private sealed class CommandLog : DbCommandInterceptor
    {
        public ConcurrentQueue<string> Commands { get; } = new();

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Commands.Enqueue(command.CommandText);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }

    private sealed class LoggingFactory(TestDatabase database, CommandLog log) : IDbContextFactory<PaymentsDbContext>
    {
        public PaymentsDbContext CreateDbContext() => database.Provider == DatabaseProvider.Sqlite
            ? new SqlitePaymentsDbContext(new DbContextOptionsBuilder<SqlitePaymentsDbContext>().UseSqlite(database.ConnectionString).AddInterceptors(log).Options)
            : new PostgresPaymentsDbContext(new DbContextOptionsBuilder<PostgresPaymentsDbContext>().UseNpgsql(database.ConnectionString).AddInterceptors(log).Options);
    }
}

public sealed class PaymentHistoryTests_Sqlite(SqliteDatabase db) : PaymentHistoryTests(db), IClassFixture<SqliteDatabase>;

public sealed class PaymentHistoryTests_Postgres(PostgresDatabase db) : PaymentHistoryTests(db), IClassFixture<PostgresDatabase>;
