using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Fees;
using Portal.Payments.Gateways;
using Portal.Payments.Notifications;
using Portal.Payments.Services;
using Portal.Payments.Services.Autopay;
using Portal.Payments.Services.Payments;
using Portal.Payments.Testing;
using Portal.Payments.Users;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>Autopay's debit dates: the rule's day, back to Friday off a weekend, never before today.</summary>
public sealed class AutopayRuleTests
{
    private static readonly DateOnly Monday = new(2026, 3, 2);

    [Theory]
    [InlineData(AutopayRule.DueDate, 0, "2026-03-31", null, "2026-03-31")]           // a Tuesday
    [InlineData(AutopayRule.DueDate, 0, "2026-05-31", null, "2026-05-29")]           // Sunday → Friday
    [InlineData(AutopayRule.DueDate, 0, "2026-08-01", null, "2026-07-31")]           // Saturday → Friday of the month before
    [InlineData(AutopayRule.DueDate, 0, "2027-01-02", null, "2027-01-01")]           // and of the year before
    [InlineData(AutopayRule.DueDate, 0, "2026-03-01", null, "2026-03-02")]           // overdue: today, never in the past
    [InlineData(AutopayRule.DaysBeforeDue, 5, "2026-04-03", null, "2026-03-27")]     // 5 before is Sunday the 29th → Friday the 27th
    [InlineData(AutopayRule.DaysBeforeDue, 3, "2026-04-01", null, "2026-03-27")]     // across the month end, Saturday → Friday
    [InlineData(AutopayRule.DaysBeforeDue, 1, "2028-03-01", null, "2028-02-29")]     // a leap day
    [InlineData(AutopayRule.DaysBeforeDue, 10, "2026-03-05", null, "2026-03-02")]    // too late for 10 days: today
    [InlineData(AutopayRule.DiscountDate, 0, "2026-04-06", "2026-03-21", "2026-03-20")] // discount ends on a Saturday
    [InlineData(AutopayRule.DiscountDate, 0, "2026-04-06", "2026-03-10", "2026-03-10")]
    [InlineData(AutopayRule.DiscountDate, 0, "2026-04-06", "2026-03-01", "2026-04-06")] // discount over: the due date
    [InlineData(AutopayRule.DiscountDate, 0, "2026-04-06", null, "2026-04-06")]         // no discount: the due date
    public void The_debit_date_follows_the_rule_off_weekends_and_never_in_the_past(AutopayRule rule, int daysBefore, string due, string? discount, string expected)
    {
        var date = AutopayRules.DebitDate(rule, daysBefore, DateOnly.Parse(due), discount is null ? null : DateOnly.Parse(discount), Monday);
        Assert.Equal(DateOnly.Parse(expected), date);
        Assert.True(date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) || date == Monday);
    }

    [Fact]
    public void The_rule_reads_as_words()
    {
        Assert.Equal("on each invoice's due date", AutopayRules.Describe(AutopayRule.DueDate, 0));
        Assert.Equal("1 day before each invoice's due date", AutopayRules.Describe(AutopayRule.DaysBeforeDue, 1));
        Assert.Equal("7 days before each invoice's due date", AutopayRules.Describe(AutopayRule.DaysBeforeDue, 7));
    }
}

/// <summary>
/// Autopay on both providers: enrolment turns rules into scheduled payments once per invoice (on three runners at
/// once too), skips what it must with a reason, emails before each debit, and charges through the scheduled-payment
/// runner exactly once, with the convenience fee of the charge date.
/// </summary>
public abstract class AutopayTests(TestDatabase database)
{
    private static PortalHarness Autopay(TestDatabase database, out string account, Action<Hosting.PortalPaymentsOptions>? options = null) =>
        Harness(database, out account, options: o =>
        {
            o.Autopay.UpcomingNoticeDays = 3;
            options?.Invoke(o);
        });

    private static AutopayTerms OnDueDate(PaymentMethodView method) => new(method.Id, AutopayRule.DueDate);

    [Fact]
    public async Task Enrolling_schedules_each_due_invoice_once_with_its_fee_and_the_runner_charges_it_on_its_date_exactly_once()
    {
        await using var h = Autopay(database, out var account, o =>
        {
            o.ConvenienceFees.Enabled = true;
            o.ConvenienceFees.Card = new Fees.MethodFeeOptions { Percent = 2m };
        });
        // Due Tuesday 3/31, Saturday 4/4 (debited Friday 4/3), and in 200 days (past the 90-day horizon: not yet).
        var ids = await InvoicesAsync(h, account, new Item("INV-A1", 100_000, DueInDays: 29), new Item("INV-A2", 50_000, DueInDays: 33),
            new Item("INV-A3", 70_000, DueInDays: 200));
        var card = await CardAsync(h);
        var autopay = h.Get<AutopayService>();

        var view = await autopay.EnrollAsync(OnDueDate(card));

        Assert.Equal("on each invoice's due date", view.Enrollment!.RuleDescription);
        Assert.Equal(
            [("INV-A1", AutopayItemState.Scheduled, new DateOnly(2026, 3, 31), (Money?)Usd(1020m)), ("INV-A2", AutopayItemState.Scheduled, new DateOnly(2026, 4, 3), Usd(510m))],
            view.Invoices.Select(i => (i.Number, i.State, i.DebitDate!.Value, i.Amount)).ToList());
        var scheduled = await PaymentsAsync(h, account);
        Assert.All(scheduled, p => Assert.Equal((PaymentStatus.Scheduled, 2L), (p.Status, p.FeeMinor * 100 / (p.AmountMinor - p.FeeMinor))));
        Assert.Equal(InvoiceStatus.Scheduled, (await InvoiceRowsAsync(h, [ids[0]]))[0].Status);
        Assert.Equal("Autopay on", Assert.Single(await EmailsAsync(h, account)).Subject);

        // Expanding again — on this node or after a restart — schedules nothing new.
        await ForceExpansionAsync(h, account);
        Assert.Equal(0, await h.Get<AutopayRunner>().ExpandAsync());
        Assert.Equal(2, (await PaymentsAsync(h, account)).Count);

        // Day by day to 4/4: INV-A1 charged on 3/31 and INV-A2 on Friday 4/3, each once.
        var chargedOn = new Dictionary<string, DateOnly>();
        for (var day = Today; day <= new DateOnly(2026, 4, 4); day = day.AddDays(1))
        {
            h.Clock.SetUtcNow(new DateTimeOffset(day.ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero));
            await h.Get<AutopayRunner>().ExpandAsync();
            await h.Get<ScheduledPaymentRunner>().RunDueAsync();
            foreach (var p in (await PaymentsAsync(h, account)).Where(p => p.Status == PaymentStatus.Succeeded))
            {
                chargedOn.TryAdd(p.Allocations[0].InvoiceNumber, day);
            }
        }
        Assert.Equal(new Dictionary<string, DateOnly> { ["INV-A1"] = new(2026, 3, 31), ["INV-A2"] = new(2026, 4, 3) }, chargedOn);
        var charges = await ChargesAsync(h, account);
        Assert.Equal([51_000L, 102_000L], charges.Select(c => c.AmountMinor).Order().ToArray());
        var paid = (await PaymentsAsync(h, account)).Single(p => p.Allocations[0].InvoiceNumber == "INV-A1");
        var receipt = await h.Get<PaymentService>().GetReceiptAsync(paid.Id);
        Assert.Equal((Usd(1020m), Usd(20m)), (receipt.Amount, receipt.Fee));
    }

    [Fact]
    public async Task Three_runners_expanding_at_once_schedule_each_invoice_exactly_once()
    {
        await using var h1 = Autopay(database, out var account);
        await using var h2 = new PortalHarness(database);
        await using var h3 = new PortalHarness(database);
        var items = Enumerable.Range(1, 12).Select(i => new Item($"INV-R{i:00}", 10_000 + i, DueInDays: 3 + i * 5)).ToArray();
        await InvoicesAsync(h1, account, items);
        var card = await CardAsync(h1);
        // Enrol without expanding here: the three nodes race for it.
        await using (var db = await h1.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            db.AutopayEnrollments.Add(new AutopayEnrollmentRecord
            {
                Id = Guid.NewGuid(), AccountId = account, PaymentMethodId = card.Id, Rule = AutopayRule.DueDate, Currency = "USD",
                UserId = "user-1", UserName = "Pat Payer", UserEmail = "pat@example.com",
                CreatedAt = h1.Clock.GetUtcNow().UtcDateTime, UpdatedAt = h1.Clock.GetUtcNow().UtcDateTime, NextExpansionAt = h1.Clock.GetUtcNow().UtcDateTime,
            });
            await db.SaveChangesAsync();
        }

        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(h1.Get<AutopayRunner>().ExpandAsync(), h2.Get<AutopayRunner>().ExpandAsync(), h3.Get<AutopayRunner>().ExpandAsync());
            await ForceExpansionAsync(h1, account);   // and again, as after a restart or the next interval
        }

        var payments = await PaymentsAsync(h1, account);
        Assert.Equal(items.Length, payments.Count);
        Assert.Equal(items.Select(i => i.Number).Order(StringComparer.Ordinal), payments.Select(p => Assert.Single(p.Allocations).InvoiceNumber).Order(StringComparer.Ordinal));
        Assert.Equal(items.Length, payments.Select(p => p.IdempotencyKey).Distinct().Count());

        // Every node runs its runner on the last date: each invoice charged once.
        h1.Clock.Advance(TimeSpan.FromDays(70));
        h2.Clock.Advance(TimeSpan.FromDays(70));
        h3.Clock.Advance(TimeSpan.FromDays(70));
        await Task.WhenAll(h1.Get<ScheduledPaymentRunner>().RunDueAsync(), h2.Get<ScheduledPaymentRunner>().RunDueAsync(), h3.Get<ScheduledPaymentRunner>().RunDueAsync());
        Assert.Equal(items.Length, await ChargeCountAsync(h1, account));
        Assert.All(await PaymentsAsync(h1, account), p => Assert.Equal(PaymentStatus.Succeeded, p.Status));
    }

    [Fact]
    public async Task Short_paid_disputed_hand_scheduled_and_too_large_invoices_are_skipped_with_their_reasons()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account,
            new Item("INV-S1", 100_000, DueInDays: 10),   // short-paid below
            new Item("INV-S2", 20_000, DueInDays: 11),    // disputed
            new Item("INV-S3", 30_000, DueInDays: 12),    // scheduled by hand
            new Item("INV-S4", 900_000, DueInDays: 13),   // above the maximum
            new Item("INV-S5", 40_000, DueInDays: 14));   // paid by autopay
        var card = await CardAsync(h);
        var payments = h.Get<PaymentService>();
        var shortLine = new PayLine(ids[0]) { Amount = Usd(600m), Reason = "Damaged" };
        Assert.Equal(PaymentStatus.Succeeded, (await payments.PayInvoicesAsync(new PayInvoicesRequest([ids[0]], card.Id, Key()) { Lines = [shortLine] })).Status);
        await SetAsync(h, ids[0], i => { i.OpenMinor = 40_000; i.Status = InvoiceStatus.Open; i.ActivePaymentId = null; });   // the ERP leaves the rest open
        await SetAsync(h, ids[1], i => i.IsDisputed = true);
        await h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest([ids[2]], Today.AddDays(5), card.Id, Key()));

        var view = await h.Get<AutopayService>().EnrollAsync(OnDueDate(card) with { MaxPayment = Usd(5_000m) });

        var byNumber = view.Invoices.ToDictionary(i => i.Number);
        Assert.Equal(AutopayItemState.Scheduled, byNumber["INV-S5"].State);
        Assert.Equal(
            [
                ("INV-S1", "Short-paid earlier: autopay does not pay the rest; pay it by hand if it is due."),
                ("INV-S2", "Disputed: autopay leaves disputed invoices to you."),
                ("INV-S3", "Scheduled by hand for 2026-03-07."),
                ("INV-S4", "USD 9,000.00 is above the autopay maximum of USD 5,000.00."),
            ],
            view.Invoices.Where(i => i.State == AutopayItemState.Skipped).Select(i => (i.Number, i.SkipReason!)).OrderBy(x => x.Number).ToList());

        // The open-invoices grid tells autopay's scheduled payments ("Autopay on <date>") from the payer's own.
        var grid = (await h.Get<Services.Invoices.InvoiceQueryService>().QueryAsync(new Services.Invoices.InvoiceQuery { Take = 50 })).Items.ToDictionary(r => r.Number);
        Assert.Equal((InvoiceStatus.Scheduled, true, (DateOnly?)byNumber["INV-S5"].DebitDate), (grid["INV-S5"].Status, grid["INV-S5"].ByAutopay, grid["INV-S5"].ScheduledFor));
        Assert.Equal((InvoiceStatus.Scheduled, false), (grid["INV-S3"].Status, grid["INV-S3"].ByAutopay));
        Assert.False(grid["INV-S4"].ByAutopay);

        // The dispute is resolved in the ERP: the next pass pays it.
        await SetAsync(h, ids[1], i => i.IsDisputed = false);
        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();
        Assert.Equal(AutopayItemState.Scheduled, (await h.Get<AutopayService>().GetAsync()).Invoices.Single(i => i.Number == "INV-S2").State);
    }

    [Fact]
    public async Task An_invoice_can_be_excluded_and_taken_back_and_its_payment_is_cancelled_without_a_cancellation_email()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-X1", 25_000, DueInDays: 20), new Item("INV-X2", 35_000, DueInDays: 21));
        var card = await CardAsync(h);
        var autopay = h.Get<AutopayService>();
        await autopay.EnrollAsync(OnDueDate(card));

        var view = await autopay.ExcludeAsync(ids[0]);

        Assert.Equal(AutopayItemState.Excluded, view.Invoices.Single(i => i.Number == "INV-X1").State);
        var first = (await PaymentsAsync(h, account)).Single(p => p.Allocations[0].InvoiceId == ids[0]);
        Assert.Equal(PaymentStatus.Cancelled, first.Status);
        Assert.Equal(InvoiceStatus.Open, (await InvoiceRowsAsync(h, [ids[0]]))[0].Status);
        Assert.DoesNotContain(await EmailsAsync(h, account), e => e.Kind == NotificationKind.PaymentCancelled);
        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();
        Assert.Single(await PaymentsAsync(h, account), p => p.Status == PaymentStatus.Scheduled);   // an excluded invoice stays out

        view = await autopay.IncludeAsync(ids[0]);
        Assert.Equal(AutopayItemState.Scheduled, view.Invoices.Single(i => i.Number == "INV-X1").State);
        Assert.Equal(2, (await PaymentsAsync(h, account)).Count(p => p.Status == PaymentStatus.Scheduled));
    }

    // Review: autopay's payments cancelled without a charge kept English reasons only ("The invoice changed; autopay
    // scheduled it again."), so a German receipt and history showed them in English; they carry a code now.
    [Fact]
    public async Task A_payment_autopay_replaces_after_the_erp_changed_its_invoice_is_cancelled_with_a_reason_code()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-R1", 25_000, DueInDays: 20));
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));

        await SetAsync(h, ids[0], i => i.OpenMinor = 20_000);   // the ERP lowered it
        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();

        var payments = await PaymentsAsync(h, account);
        var replaced = Assert.Single(payments, p => p.Status == PaymentStatus.Cancelled);
        Assert.Equal((PaymentFailureCodes.AutopayRescheduled, "The invoice changed; autopay scheduled it again."), (replaced.FailureCode, replaced.FailureReason));
        Assert.Equal(20_000L, Assert.Single(payments, p => p.Status == PaymentStatus.Scheduled).AmountMinor);
    }

    [Fact]
    public async Task Changing_the_terms_reschedules_what_is_not_charged_and_a_stale_change_is_refused()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-C1", 25_000, DueInDays: 20), new Item("INV-C2", 35_000, DueInDays: 31));
        var card = await CardAsync(h);
        var autopay = h.Get<AutopayService>();
        var before = await autopay.EnrollAsync(OnDueDate(card));

        var after = await autopay.ChangeAsync(new AutopayTerms(card.Id, AutopayRule.DaysBeforeDue) { DaysBeforeDue = 5 }, before.Enrollment!.Version);

        Assert.Equal("5 days before each invoice's due date", after.Enrollment!.RuleDescription);
        Assert.Equal([new DateOnly(2026, 3, 17), new DateOnly(2026, 3, 27)], after.Invoices.Select(i => i.DebitDate!.Value).ToArray());
        var payments = await PaymentsAsync(h, account);
        Assert.Equal((2, 2), (payments.Count(p => p.Status == PaymentStatus.Cancelled), payments.Count(p => p.Status == PaymentStatus.Scheduled)));
        var emails = await EmailsAsync(h, account);
        Assert.Equal(["Autopay changed", "Autopay on"], emails.Select(e => e.Subject).Order().ToArray());
        Assert.Contains("5 days before each invoice's due date", emails.Single(e => e.Subject == "Autopay changed").TextBody);

        var stale = await Assert.ThrowsAsync<PortalValidationException>(() =>
            autopay.ChangeAsync(new AutopayTerms(card.Id, AutopayRule.DueDate), before.Enrollment.Version));
        Assert.Contains("Someone changed autopay", stale.Message);
    }

    // Review: a new enrolment started at the version a turned-off one had been enrolled with, so a tab still showing the
    // old enrolment saved its change over the terms a colleague had just enrolled with, without "Someone changed autopay".
    [Fact]
    public async Task A_change_made_on_an_enrolment_that_was_turned_off_and_set_up_again_meanwhile_is_refused()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-C5", 25_000, DueInDays: 20));
        var card = await CardAsync(h);
        var autopay = h.Get<AutopayService>();
        var staleTab = await autopay.EnrollAsync(OnDueDate(card));

        // Another tab (or a colleague) turns autopay off and sets it up again, 5 days before the due date.
        await autopay.CancelAsync();
        await autopay.EnrollAsync(new AutopayTerms(card.Id, AutopayRule.DaysBeforeDue) { DaysBeforeDue = 5 });

        var stale = await Assert.ThrowsAsync<PortalValidationException>(() =>
            autopay.ChangeAsync(new AutopayTerms(card.Id, AutopayRule.DueDate) { MaxPayment = Usd(100m) }, staleTab.Enrollment!.Version));
        Assert.Equal("AutopayChangedMeanwhile", stale.Error!.Code);
        var now = (await autopay.GetAsync()).Enrollment!;
        Assert.Equal((AutopayRule.DaysBeforeDue, 5, (Money?)null), (now.Terms.Rule, now.Terms.DaysBeforeDue, now.Terms.MaxPayment));
    }

    [Fact]
    public async Task Cancelling_autopay_cancels_its_scheduled_payments_with_one_email()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-Q1", 25_000, DueInDays: 20), new Item("INV-Q2", 35_000, DueInDays: 21));
        var card = await CardAsync(h);
        var autopay = h.Get<AutopayService>();
        await autopay.EnrollAsync(OnDueDate(card));

        var view = await autopay.CancelAsync();

        Assert.Null(view.Enrollment);
        Assert.All(await PaymentsAsync(h, account), p => Assert.Equal(PaymentStatus.Cancelled, p.Status));
        Assert.All(await InvoiceRowsAsync(h, ids), i => Assert.Equal(InvoiceStatus.Open, i.Status));
        Assert.Equal(["Autopay cancelled", "Autopay on"], (await EmailsAsync(h, account)).Select(e => e.Subject).Order().ToArray());
        await ForceExpansionAsync(h, account);
        Assert.Equal(0, await h.Get<AutopayRunner>().ExpandAsync());
        // Enrolling again is allowed once cancelled.
        Assert.NotNull((await autopay.EnrollAsync(OnDueDate(card))).Enrollment);
    }

    [Fact]
    public async Task The_upcoming_autopay_email_goes_out_once_a_few_days_before_each_debit()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-U1", 25_000, DueInDays: 2), new Item("INV-U2", 35_000, DueInDays: 10));
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        var runner = h.Get<AutopayRunner>();

        // (The database is shared with other tests' accounts: count this account's emails.)
        Assert.True(await runner.NotifyUpcomingAsync() >= 1);   // INV-U1 on 3/4, within 3 days
        await runner.NotifyUpcomingAsync();                      // once
        var upcoming = Assert.Single(await EmailsAsync(h, account), e => e.Kind == NotificationKind.AutopayUpcoming);
        Assert.StartsWith("Upcoming autopay on March 4, 2026: USD 250.00", upcoming.Subject);
        Assert.Contains("INV-U1", upcoming.TextBody);
        Assert.Contains("/portal/autopay", upcoming.TextBody);

        h.Clock.Advance(TimeSpan.FromDays(7));   // 3/9: INV-U2 (3/12) is now within 3 days
        await runner.NotifyUpcomingAsync();
        await runner.NotifyUpcomingAsync();
        Assert.Equal(["INV-U1", "INV-U2"], (await EmailsAsync(h, account)).Where(e => e.Kind == NotificationKind.AutopayUpcoming)
            .Select(e => e.TextBody.Contains("INV-U1") ? "INV-U1" : "INV-U2").Order().ToArray());
    }

    // Review: the notice's "sent" mark stayed when the payer moved the payment later, so no notice came before the new date.
    [Fact]
    public async Task An_autopay_payment_moved_later_after_its_notice_gets_a_new_notice_before_the_new_date()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-U3", 25_000, DueInDays: 21));   // Monday 3/23, debited 19 days before: 3/4
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(new AutopayTerms(card.Id, AutopayRule.DaysBeforeDue) { DaysBeforeDue = 19 });
        var runner = h.Get<AutopayRunner>();
        await runner.NotifyUpcomingAsync();
        Assert.Single(await EmailsAsync(h, account), e => e.Kind == NotificationKind.AutopayUpcoming);

        var scheduled = Assert.Single(await PaymentsAsync(h, account));
        await h.Get<ScheduledPaymentService>().ChangeAsync(scheduled.Id, new DateOnly(2026, 3, 20), null);
        await runner.NotifyUpcomingAsync();   // 3/2: the new date is not within 3 days yet
        Assert.Single(await EmailsAsync(h, account), e => e.Kind == NotificationKind.AutopayUpcoming);

        h.Clock.Advance(TimeSpan.FromDays(16));   // 3/18: within 3 days of 3/20
        await runner.NotifyUpcomingAsync();
        await runner.NotifyUpcomingAsync();
        var notices = (await EmailsAsync(h, account)).Where(e => e.Kind == NotificationKind.AutopayUpcoming).ToList();
        Assert.Equal(2, notices.Count);
        Assert.Single(notices, e => e.Subject.StartsWith("Upcoming autopay on March 20, 2026", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bank_account_needs_a_signed_recurring_authorization_that_stays_on_file_for_other_changes_and_is_revoked_on_cancel()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-B1", 25_000, DueInDays: 20));
        var bank = await BankAsync(h);
        var autopay = h.Get<AutopayService>();
        var agreement = autopay.RecurringAgreement;
        Assert.Contains("on a recurring basis", agreement.Text);

        var unsigned = await Assert.ThrowsAsync<PortalValidationException>(() => autopay.EnrollAsync(new AutopayTerms(bank.Id, AutopayRule.DueDate)));
        Assert.Equal("agreement", unsigned.Field);
        var oneOff = await Assert.ThrowsAsync<PortalValidationException>(() => autopay.EnrollAsync(new AutopayTerms(bank.Id, AutopayRule.DueDate)
        {
            RecurringSignature = new AchSignature("Pat Payer", true, h.Get<PaymentMethodService>().CurrentAgreement.Version),   // the one-off text
        }));
        Assert.Equal("agreement", oneOff.Field);

        var view = await autopay.EnrollAsync(new AutopayTerms(bank.Id, AutopayRule.DueDate) { RecurringSignature = new AchSignature("Pat Payer", true, agreement.Version) });
        var changed = await autopay.ChangeAsync(new AutopayTerms(bank.Id, AutopayRule.DueDate) { MaxPayment = Usd(10_000m) }, view.Enrollment!.Version);
        Assert.Equal(Usd(10_000m), changed.Enrollment!.Terms.MaxPayment);

        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var signed = await db.AchAuthorizations.AsNoTracking().Where(a => a.AccountId == account && a.Recurring).ToListAsync();
        var authorization = Assert.Single(signed);   // not signed again for a change of the maximum
        Assert.Equal((agreement.Version, agreement.Sha256, "Pat Payer"), (authorization.AgreementVersion, authorization.AgreementSha256, authorization.SignerName));
        await autopay.CancelAsync();
        Assert.True(await db.AchRevocations.AnyAsync(r => r.AuthorizationId == authorization.Id));
    }

    // Review: the skip reason was the payment's failure reason inside an English sentence, stored in a 300-character column:
    // a long failure reason (the portal's own names the invoices and amounts that changed) made PostgreSQL refuse the
    // expansion's write on every pass, so autopay stopped for the whole enrolment; the reason was English on German pages.
    [Fact]
    public async Task A_long_failure_reason_is_shortened_in_the_skip_reason_and_autopay_goes_on_with_the_other_invoices()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-L1", 25_000, DueInDays: 1), new Item("INV-L2", 35_000, DueInDays: 12));
        var card = await CardAsync(h, "4000000000000002");
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        h.Clock.Advance(TimeSpan.FromDays(1));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();
        var failed = Assert.Single(await PaymentsAsync(h, account), p => p.Status == PaymentStatus.Failed);
        var longReason = "The amounts changed since the payment was scheduled: " + string.Join("; ", Enumerable.Range(1, 9).Select(n => $"INV-{n:D4} from USD 1,234.56 to USD 1,200.00")) + ".";
        Assert.InRange(longReason.Length, 400, 500);
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            await db.Payments.Where(p => p.Id == failed.Id).ExecuteUpdateAsync(x => x.SetProperty(p => p.FailureReason, longReason).SetProperty(p => p.FailureCode, (string?)null));
        }

        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();

        var items = (await h.Get<AutopayService>().GetAsync()).Invoices.ToDictionary(i => i.Number);
        Assert.Equal(AutopayItemState.Skipped, items["INV-L1"].State);
        Assert.StartsWith("Autopay's payment of 2026-03-03 did not go through (The amounts changed since the payment was scheduled: INV-0001", items["INV-L1"].SkipReason);
        Assert.EndsWith("…). Pay it by hand, or put it back in autopay to try again.", items["INV-L1"].SkipReason);
        Assert.Equal("AutopaySkipPaymentFailedWhy", items["INV-L1"].Skip?.Code);
        Assert.Equal(AutopayItemState.Scheduled, items["INV-L2"].State);
    }

    // Review: a page opened before autopay's payment was declined offered Exclude; pressing it said "INV-D2 is being paid
    // right now; it can no longer be excluded", although nothing was being paid, and the invoice then vanished from the list.
    [Fact]
    public async Task An_invoice_whose_autopay_payment_was_declined_can_be_excluded_before_autopay_looks_at_it_again()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-D2", 25_000, DueInDays: 1));
        var card = await CardAsync(h, "4000000000000002");
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        h.Clock.Advance(TimeSpan.FromDays(1));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();
        Assert.Equal(PaymentStatus.Failed, Assert.Single(await PaymentsAsync(h, account)).Status);

        var view = await h.Get<AutopayService>().ExcludeAsync(ids[0]);

        Assert.Equal(AutopayItemState.Excluded, Assert.Single(view.Invoices).State);
        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();
        Assert.Equal(AutopayItemState.Excluded, Assert.Single((await h.Get<AutopayService>().GetAsync()).Invoices).State);
        Assert.Single(await PaymentsAsync(h, account));
    }

    [Fact]
    public async Task A_declined_autopay_payment_leaves_the_invoice_to_the_payer_with_the_reason_until_it_is_put_back()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-D1", 25_000, DueInDays: 1));
        var card = await CardAsync(h, "4000000000000002");
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        h.Clock.Advance(TimeSpan.FromDays(1));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();
        Assert.Equal(PaymentStatus.Failed, Assert.Single(await PaymentsAsync(h, account)).Status);

        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();

        var item = Assert.Single((await h.Get<AutopayService>().GetAsync()).Invoices);
        Assert.Equal(AutopayItemState.Skipped, item.State);
        Assert.StartsWith("Autopay's payment of 2026-03-03 did not go through", item.SkipReason);
        Assert.Single(await PaymentsAsync(h, account));   // not retried on its own

        await h.Get<AutopayService>().IncludeAsync(ids[0]);
        Assert.Equal(PaymentStatus.Scheduled, (await PaymentsAsync(h, account)).Last().Status);
    }

    [Fact]
    public async Task An_invoice_that_changes_in_the_erp_is_scheduled_again_for_its_new_balance_or_skipped_when_disputed()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E1", 25_000, DueInDays: 20), new Item("INV-E2", 35_000, DueInDays: 22));
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));

        await SetAsync(h, ids[0], i => i.OpenMinor = 20_000);   // a credit applied in the ERP
        await SetAsync(h, ids[1], i => i.IsDisputed = true);
        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();

        var payments = await PaymentsAsync(h, account);
        Assert.Equal(2, payments.Count(p => p.Status == PaymentStatus.Cancelled));
        var again = Assert.Single(payments, p => p.Status == PaymentStatus.Scheduled);
        Assert.Equal((ids[0], 20_000L), (again.Allocations[0].InvoiceId, again.AmountMinor));
        var view = await h.Get<AutopayService>().GetAsync();
        Assert.Equal("Disputed: autopay leaves disputed invoices to you.", view.Invoices.Single(i => i.Number == "INV-E2").SkipReason);
        Assert.DoesNotContain(await EmailsAsync(h, account), e => e.Kind == NotificationKind.PaymentCancelled);
    }

    // Review: an invoice the ERP settled (paid by cheque) kept autopay's payment Scheduled until its date, and the payer
    // still got "Upcoming autopay … will be debited" for it, with no way to exclude it (the autopay page lists open
    // invoices only); the host guide says settling the invoice cancels autopay's payment.
    [Fact]
    public async Task An_invoice_settled_in_the_erp_before_its_debit_date_has_its_autopay_payment_cancelled_and_no_upcoming_email()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-S1", 25_000, DueInDays: 2), new Item("INV-S2", 35_000, DueInDays: 3));
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        Assert.Equal(2, (await PaymentsAsync(h, account)).Count(p => p.Status == PaymentStatus.Scheduled));

        await SetAsync(h, ids[0], i => (i.IsOpen, i.OpenMinor) = (false, 0));   // paid by cheque: the ERP settled it
        await ForceExpansionAsync(h, account);                                   // as the ERP sync's change does
        await h.Get<AutopayRunner>().ExpandAsync();
        await h.Get<AutopayRunner>().NotifyUpcomingAsync();

        var payments = await PaymentsAsync(h, account);
        Assert.Equal(PaymentStatus.Cancelled, payments.Single(p => p.Allocations[0].InvoiceId == ids[0]).Status);
        Assert.Equal(PaymentStatus.Scheduled, payments.Single(p => p.Allocations[0].InvoiceId == ids[1]).Status);
        Assert.Equal(PaymentFailureCodes.AutopayInvoiceSettled, payments.Single(p => p.Allocations[0].InvoiceId == ids[0]).FailureCode);
        var emails = await EmailsAsync(h, account);
        var upcoming = Assert.Single(emails, e => e.Kind == NotificationKind.AutopayUpcoming);
        Assert.Contains("INV-S2", upcoming.TextBody);
        Assert.DoesNotContain(emails, e => e.Kind == NotificationKind.PaymentCancelled);

        // Reopened by the ERP (the cheque bounced): autopay schedules it again.
        await SetAsync(h, ids[0], i => (i.IsOpen, i.OpenMinor) = (true, 25_000));
        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();
        Assert.Equal(2, (await PaymentsAsync(h, account)).Count(p => p.Status == PaymentStatus.Scheduled));
    }

    [Fact]
    public async Task A_balance_change_found_on_the_debit_date_fails_quietly_and_the_new_balance_is_paid_instead()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-F1", 25_000, DueInDays: 2));
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        h.Clock.Advance(TimeSpan.FromDays(2));
        await SetAsync(h, ids[0], i => i.OpenMinor = 24_000);

        await h.Get<ScheduledPaymentRunner>().RunDueAsync();   // refuses: nothing charged, no failure email
        Assert.Equal(0, await ChargeCountAsync(h, account));
        Assert.DoesNotContain(await EmailsAsync(h, account), e => e.Kind == NotificationKind.PaymentFailed);
        await h.Get<AutopayRunner>().ExpandAsync();             // due again at once
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();

        Assert.Equal(24_000L, Assert.Single(await ChargesAsync(h, account)).AmountMinor);
    }

    [Fact]
    public async Task A_discount_withdrawn_before_the_debit_date_fails_quietly_and_the_full_balance_is_paid_instead()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-F2", 25_000, DiscountMinor: 500, DiscountDate: Today.AddDays(5), DueInDays: 2));
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        Assert.Equal(24_500L, Assert.Single(await PaymentsAsync(h, account)).AmountMinor);
        h.Clock.Advance(TimeSpan.FromDays(2));
        await SetAsync(h, ids[0], i => (i.DiscountMinor, i.DiscountDate) = (null, null));

        await h.Get<ScheduledPaymentRunner>().RunDueAsync();   // refuses: nothing charged, no failure email
        Assert.Equal(0, await ChargeCountAsync(h, account));
        Assert.DoesNotContain(await EmailsAsync(h, account), e => e.Kind == NotificationKind.PaymentFailed);
        await h.Get<AutopayRunner>().ExpandAsync();             // due again at once
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();

        Assert.Equal(25_000L, Assert.Single(await ChargesAsync(h, account)).AmountMinor);
    }

    [Fact]
    public async Task View_only_users_see_autopay_but_cannot_change_it_and_the_method_in_use_cannot_be_deleted()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-V1", 25_000, DueInDays: 20));
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        var inUse = await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<PaymentMethodService>().DeleteAsync(card.Id));
        Assert.Contains("Autopay pays with this method", inUse.Message);

        h.Users.User = FakePortalUserContext.UserOn(account, PortalPermissions.View, "viewer", "Vic Viewer");
        var view = await h.Get<AutopayService>().GetAsync();
        Assert.Equal((false, 1), (view.CanChange, view.Invoices.Count));
        Assert.NotNull(view.Enrollment);
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => h.Get<AutopayService>().CancelAsync());
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => h.Get<AutopayService>().ExcludeAsync(view.Invoices[0].InvoiceId));
    }

    [Fact]
    public async Task A_host_that_turns_autopay_off_stops_new_enrolments_and_new_scheduling()
    {
        await using var h = Autopay(database, out var account, o => o.Autopay.Enabled = false);
        await InvoicesAsync(h, account, new Item("INV-O1", 25_000, DueInDays: 20));
        var card = await CardAsync(h);
        var autopay = h.Get<AutopayService>();
        Assert.False((await autopay.GetAsync()).Offered);
        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => autopay.EnrollAsync(OnDueDate(card)));
        Assert.Equal(AutopayService.DisabledMessage, refused.Message);
        Assert.Equal(0, await h.Get<AutopayRunner>().ExpandAsync());
        Assert.Empty(await PaymentsAsync(h, account));
    }

    [Fact]
    public async Task Terms_a_payer_can_get_wrong_get_a_specific_error_and_nothing_is_enrolled()
    {
        await using var h = Autopay(database, out var account);
        var card = await CardAsync(h);
        var autopay = h.Get<AutopayService>();
        async Task<string> FieldOf(AutopayTerms terms) => (await Assert.ThrowsAsync<PortalValidationException>(() => autopay.EnrollAsync(terms))).Field;

        Assert.Equal("daysBeforeDue", await FieldOf(new AutopayTerms(card.Id, AutopayRule.DaysBeforeDue) { DaysBeforeDue = 0 }));
        Assert.Equal("daysBeforeDue", await FieldOf(new AutopayTerms(card.Id, AutopayRule.DaysBeforeDue) { DaysBeforeDue = 31 }));
        Assert.Equal("maxPayment", await FieldOf(OnDueDate(card) with { MaxPayment = Usd(0m) }));
        Assert.Equal("maxPayment", await FieldOf(OnDueDate(card) with { MaxPayment = Money.Create(100m, "EUR") }));
        Assert.Equal("endDate", await FieldOf(OnDueDate(card) with { EndDate = Today }));
        Assert.Equal("rule", await FieldOf(new AutopayTerms(card.Id, (AutopayRule)9)));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => autopay.EnrollAsync(new AutopayTerms(Guid.NewGuid(), AutopayRule.DueDate)));
        Assert.Null((await autopay.GetAsync()).Enrollment);
        await autopay.EnrollAsync(OnDueDate(card));
        Assert.Equal("autopay", await FieldOf(OnDueDate(card)));   // a second enrolment (a double click) is refused
    }

    // Review: a node that read the enrolment before the payer cancelled it committed new Scheduled payments and holds
    // afterwards (its commit checked only its lease), and the scheduled runner charged them: a debit after the ACH
    // authorization was revoked.
    [Fact]
    public async Task Autopay_cancelled_while_another_node_is_expanding_it_keeps_nothing_of_that_pass_and_charges_nothing()
    {
        var pause = new CommandFault(ReadsAutopayItems, pause: true);
        var logsOfA = new RecordingLoggerProvider();
        await using var b = Autopay(database, out var account);
        await using var a = new PortalHarness(database, x => x.AddDbInterceptor(pause).Services.AddSingleton<ILoggerProvider>(logsOfA));
        var ids = await InvoicesAsync(b, account, new Item("INV-K1", 25_000, DueInDays: 3));
        var bank = await BankAsync(b);
        var autopay = b.Get<AutopayService>();
        var enrolled = await autopay.EnrollAsync(new AutopayTerms(bank.Id, AutopayRule.DueDate)
        {
            RecurringSignature = new AchSignature("Pat Payer", true, autopay.RecurringAgreement.Version),
        });
        ids = [.. ids, .. await InvoicesAsync(b, account, new Item("INV-K2", 35_000, DueInDays: 4))];   // new in the ERP

        // Node A expands the enrolment and is paused after reading it (active, the bank account) and the open invoices.
        pause.Arm();
        var expandOnA = Task.Run(() => a.Get<AutopayRunner>().ExpandNowAsync(enrolled.Enrollment!.Id));
        await pause.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await autopay.CancelAsync();                            // node B: the payer cancels; the authorization is revoked
        pause.Release();
        var madeOnA = await expandOnA.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, madeOnA);
        Assert.Contains(logsOfA.Lines, l => l.Contains("cancelled or its terms changed", StringComparison.Ordinal));
        Assert.All(await PaymentsAsync(b, account), p => Assert.Equal(PaymentStatus.Cancelled, p.Status));
        Assert.All(await InvoiceRowsAsync(b, ids), i => Assert.Equal((InvoiceStatus.Open, (Guid?)null), (i.Status, i.ActivePaymentId)));
        Assert.Null((await autopay.GetAsync()).Enrollment);
        await RunDayByDayAsync(b, days: 6);
        Assert.Equal(0, await ChargeCountAsync(b, account));
    }

    // Review: the same race against a change of terms kept the old method (the node's payments overwrote the reset), and
    // the node's stale lease made the change's own expansion do nothing.
    [Fact]
    public async Task A_change_of_terms_while_another_node_is_expanding_wins_over_that_pass()
    {
        var pause = new CommandFault(ReadsAutopayItems, pause: true);
        await using var b = Autopay(database, out var account);
        await using var a = new PortalHarness(database, x => x.AddDbInterceptor(pause));
        var ids = await InvoicesAsync(b, account, new Item("INV-T1", 25_000, DueInDays: 3));
        var oldCard = await CardAsync(b);
        var newCard = await CardAsync(b, "5555555555554444");
        var autopay = b.Get<AutopayService>();
        var enrolled = await autopay.EnrollAsync(OnDueDate(oldCard));
        ids = [.. ids, .. await InvoicesAsync(b, account, new Item("INV-T2", 35_000, DueInDays: 4))];

        pause.Arm();
        var expandOnA = Task.Run(() => a.Get<AutopayRunner>().ExpandNowAsync(enrolled.Enrollment!.Id));
        await pause.Reached.WaitAsync(TimeSpan.FromSeconds(30));   // A has read the old terms (the old card)
        var changed = await autopay.ChangeAsync(new AutopayTerms(newCard.Id, AutopayRule.DaysBeforeDue) { DaysBeforeDue = 1 }, enrolled.Enrollment!.Version);
        pause.Release();
        await expandOnA.WaitAsync(TimeSpan.FromSeconds(30));

        // The change's own expansion ran at once (A's lease did not stop it), under the new terms; A kept nothing.
        Assert.Equal(["INV-T1", "INV-T2"], changed.Invoices.Where(i => i.State == AutopayItemState.Scheduled).Select(i => i.Number).ToArray());
        var scheduled = (await PaymentsAsync(b, account)).Where(p => p.Status == PaymentStatus.Scheduled).ToList();
        Assert.Equal([("INV-T1", new DateOnly(2026, 3, 4)), ("INV-T2", new DateOnly(2026, 3, 5))],
            scheduled.Select(p => (p.Allocations.Single().InvoiceNumber, p.ScheduledFor!.Value)).OrderBy(x => x.Item1).ToList());
        Assert.All(scheduled, p => Assert.Equal(newCard.Id, p.PaymentMethodId));
        var view = await autopay.GetAsync();
        Assert.Equal(newCard.Id, view.Enrollment!.Terms.PaymentMethodId);
        Assert.Equal(scheduled.Select(p => (Guid?)p.Id).Order(), view.Invoices.Select(i => i.PaymentId).Order());
        Assert.All(await InvoiceRowsAsync(b, ids), i => Assert.Contains(i.ActivePaymentId, scheduled.Select(p => (Guid?)p.Id)));

        await RunDayByDayAsync(b, days: 6);
        var paid = (await PaymentsAsync(b, account)).Where(p => p.Status == PaymentStatus.Succeeded).ToList();
        Assert.Equal(2, paid.Count);
        Assert.All(paid, p => Assert.Equal(newCard.Id, p.PaymentMethodId));
        Assert.Equal(2, await ChargeCountAsync(b, account));
    }

    // The same race the other way round: the payer cancels while node A is committing. The cancel waits for A's commit
    // (on PostgreSQL, the enrolment row's lock) and then cancels what A scheduled.
    [Fact]
    public async Task Autopay_cancelled_while_another_node_commits_its_expansion_cancels_what_that_node_scheduled()
    {
        var pause = new CommandFault(sql => sql.Contains("INSERT", StringComparison.OrdinalIgnoreCase) && sql.Contains("pp_payments", StringComparison.Ordinal), pause: true);
        await using var b = Autopay(database, out var account);
        await using var a = new PortalHarness(database, x => x.AddDbInterceptor(pause));
        var ids = await InvoicesAsync(b, account, new Item("INV-W1", 25_000, DueInDays: 3));
        var card = await CardAsync(b);
        var autopay = b.Get<AutopayService>();
        var enrolled = await autopay.EnrollAsync(OnDueDate(card));
        ids = [.. ids, .. await InvoicesAsync(b, account, new Item("INV-W2", 35_000, DueInDays: 4))];

        pause.Arm();
        var expandOnA = Task.Run(() => a.Get<AutopayRunner>().ExpandNowAsync(enrolled.Enrollment!.Id));
        await pause.Reached.WaitAsync(TimeSpan.FromSeconds(30));   // A is inside its write transaction
        var cancel = Task.Run(() => autopay.CancelAsync());
        await Task.WhenAny(cancel, Task.Delay(TimeSpan.FromSeconds(1)));   // let the cancel run as far as it can
        pause.Release();
        await expandOnA.WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(await PaymentsAsync(b, account), p => Assert.Equal(PaymentStatus.Cancelled, p.Status));
        Assert.All(await InvoiceRowsAsync(b, ids), i => Assert.Equal((InvoiceStatus.Open, (Guid?)null), (i.Status, i.ActivePaymentId)));
        await RunDayByDayAsync(b, days: 6);
        Assert.Equal(0, await ChargeCountAsync(b, account));
    }

    // Defence in depth: a Scheduled payment of an enrolment that is cancelled (whatever left it) is never charged.
    [Fact]
    public async Task The_runner_cancels_a_due_autopay_payment_of_a_cancelled_enrolment_instead_of_charging_it()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-Z1", 25_000, DueInDays: 1));
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            var cancelledAt = h.Clock.GetUtcNow().UtcDateTime;
            await db.AutopayEnrollments.Where(e => e.AccountId == account)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.CancelledAt, cancelledAt).SetProperty(e => e.Version, e => e.Version + 1));
        }
        Assert.Equal(PaymentStatus.Scheduled, Assert.Single(await PaymentsAsync(h, account)).Status);

        h.Clock.Advance(TimeSpan.FromDays(1));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();
        await h.Get<PaymentReconciler>().ReconcileAsync();

        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(PaymentStatus.Cancelled, payment.Status);
        Assert.Equal("Autopay was cancelled on 2026-03-02; this payment was not charged.", payment.FailureReason);
        Assert.Equal(PaymentFailureCodes.AutopayEnded, payment.FailureCode);
        Assert.Equal(0, await ChargeCountAsync(h, account));
        Assert.Equal(InvoiceStatus.Open, Assert.Single(await InvoiceRowsAsync(h, ids)).Status);
    }

    // Review: the next expansion compared the payment's date with the rule's, so a date the payer chose on the scheduled
    // payments page was silently undone (the payment cancelled, a new one made for the rule's date).
    [Fact]
    public async Task A_date_the_payer_chose_for_an_autopay_payment_is_kept_by_later_expansions()
    {
        await using var h = Autopay(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-P1", 25_000, DueInDays: 29));   // Tuesday 3/31
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        var scheduled = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(new DateOnly(2026, 3, 31), scheduled.ScheduledFor);

        await h.Get<ScheduledPaymentService>().ChangeAsync(scheduled.Id, new DateOnly(2026, 3, 20), null);
        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();

        var kept = Assert.Single(await PaymentsAsync(h, account));   // no new payment
        Assert.Equal((scheduled.Id, PaymentStatus.Scheduled, (DateOnly?)new DateOnly(2026, 3, 20)), (kept.Id, kept.Status, kept.ScheduledFor));
        Assert.Equal(new DateOnly(2026, 3, 20), Assert.Single((await h.Get<AutopayService>().GetAsync()).Invoices).DebitDate);

        // The invoice changes in the ERP: its payment is made again for the new balance, still on the payer's date.
        await SetAsync(h, ids[0], i => i.OpenMinor = 20_000);
        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();
        var again = Assert.Single(await PaymentsAsync(h, account), p => p.Status == PaymentStatus.Scheduled);
        Assert.Equal((20_000L, (DateOnly?)new DateOnly(2026, 3, 20)), (again.AmountMinor, again.ScheduledFor));
        await ForceExpansionAsync(h, account);
        Assert.Equal(0, await h.Get<AutopayRunner>().ExpandAsync());
        Assert.Equal(again.Id, Assert.Single(await PaymentsAsync(h, account), p => p.Status == PaymentStatus.Scheduled).Id);
    }

    [Fact]
    public async Task An_autopay_payment_cannot_be_moved_past_the_last_day_of_autopay()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-P2", 25_000, DueInDays: 29));   // Tuesday 3/31, debited 5 days before: Thursday 3/26
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(new AutopayTerms(card.Id, AutopayRule.DaysBeforeDue) { DaysBeforeDue = 5, EndDate = new DateOnly(2026, 3, 27) });
        var scheduled = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(new DateOnly(2026, 3, 26), scheduled.ScheduledFor);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() =>
            h.Get<ScheduledPaymentService>().ChangeAsync(scheduled.Id, new DateOnly(2026, 3, 30), null));

        Assert.Equal(("date", (string?)"ScheduleAutopayAfterEnd"), (refused.Field, refused.Error?.Code));
        Assert.Contains("Autopay ends on March 27, 2026", refused.Message);
        Assert.Equal("ScheduleAutopayAfterEnd", (await Assert.ThrowsAsync<PortalValidationException>(() =>
            h.Get<ScheduledPaymentService>().PreviewChangeAsync(scheduled.Id, new DateOnly(2026, 3, 30)))).Error?.Code);   // said before Save
        Assert.Equal(new DateOnly(2026, 3, 26), Assert.Single(await PaymentsAsync(h, account)).ScheduledFor);
    }

    // Review: autopay's payment could be moved past its invoice's due date (up to the scheduling horizon), though autopay pays
    // on time and the host guide says the payer moves it "up to the invoice's due date".
    [Fact]
    public async Task An_autopay_payment_cannot_be_moved_past_its_invoices_due_date()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-P3", 25_000, DueInDays: 29));   // Tuesday 3/31, debited 5 days before: Thursday 3/26
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(new AutopayTerms(card.Id, AutopayRule.DaysBeforeDue) { DaysBeforeDue = 5 });
        var scheduled = Assert.Single(await PaymentsAsync(h, account));
        var service = h.Get<ScheduledPaymentService>();

        Assert.Equal(new DateOnly(2026, 3, 31), (await service.GetChangeWindowAsync(scheduled.Id)).Latest);
        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => service.ChangeAsync(scheduled.Id, new DateOnly(2026, 4, 10), null));
        Assert.Equal(("date", (string?)"ScheduleDateAfterDue"), (refused.Field, refused.Error?.Code));
        Assert.Equal(new DateOnly(2026, 3, 26), Assert.Single(await PaymentsAsync(h, account)).ScheduledFor);

        Assert.Equal(new DateOnly(2026, 3, 31), (await service.ChangeAsync(scheduled.Id, new DateOnly(2026, 3, 31), null)).ScheduledFor);
    }

    // Review: excluding an invoice did not touch the enrolment, so a node that had read the items before committed a
    // payment for the invoice the payer had just excluded.
    [Fact]
    public async Task An_invoice_excluded_while_another_node_is_expanding_stays_excluded_and_is_not_scheduled()
    {
        var pause = new CommandFault(ReadsShortPaid, pause: true);
        await using var b = Autopay(database, out var account);
        await using var a = new PortalHarness(database, x => x.AddDbInterceptor(pause));
        var ids = await InvoicesAsync(b, account, new Item("INV-X9", 25_000, DueInDays: 10));
        await SetAsync(b, ids[0], i => i.IsDisputed = true);
        var card = await CardAsync(b);
        var autopay = b.Get<AutopayService>();
        var enrolled = await autopay.EnrollAsync(OnDueDate(card));
        Assert.Equal(AutopayItemState.Skipped, Assert.Single(enrolled.Invoices).State);
        await SetAsync(b, ids[0], i => i.IsDisputed = false);   // resolved in the ERP: the next pass would pay it

        pause.Arm();
        var expandOnA = Task.Run(() => a.Get<AutopayRunner>().ExpandNowAsync(enrolled.Enrollment!.Id));
        await pause.Reached.WaitAsync(TimeSpan.FromSeconds(30));   // A has read the items (INV-X9 skipped)
        await autopay.ExcludeAsync(ids[0]);                          // node B: the payer excludes it
        pause.Release();
        await expandOnA.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(AutopayItemState.Excluded, Assert.Single((await autopay.GetAsync()).Invoices).State);
        Assert.DoesNotContain(await PaymentsAsync(b, account), p => p.Status == PaymentStatus.Scheduled);
        Assert.Equal((InvoiceStatus.Open, (Guid?)null), Assert.Single(await InvoiceRowsAsync(b, ids)) is var row ? (row.Status, row.ActivePaymentId) : default);
    }

    // Review: the maximum was compared with the total before the convenience fee.
    [Fact]
    public async Task The_autopay_maximum_is_of_the_amount_charged_with_the_convenience_fee()
    {
        await using var h = Autopay(database, out var account, o =>
        {
            o.ConvenienceFees.Enabled = true;
            o.ConvenienceFees.Card = new Fees.MethodFeeOptions { Percent = 2m };
        });
        await InvoicesAsync(h, account, new Item("INV-M1", 99_000, DueInDays: 20), new Item("INV-M2", 98_000, DueInDays: 21));
        var card = await CardAsync(h);

        var view = await h.Get<AutopayService>().EnrollAsync(OnDueDate(card) with { MaxPayment = Usd(1_000m) });

        var byNumber = view.Invoices.ToDictionary(i => i.Number);
        Assert.Equal((AutopayItemState.Skipped, "USD 1,009.80 (with a convenience fee of USD 19.80) is above the autopay maximum of USD 1,000.00."),
            (byNumber["INV-M1"].State, byNumber["INV-M1"].SkipReason));
        Assert.Equal((AutopayItemState.Scheduled, (Money?)Usd(999.60m)), (byNumber["INV-M2"].State, byNumber["INV-M2"].Amount));
        Assert.Equal(99_960L, Assert.Single(await PaymentsAsync(h, account)).AmountMinor);
    }

    [Fact]
    public async Task A_fee_repriced_on_the_debit_date_above_the_maximum_is_not_charged_and_the_payer_is_told()
    {
        var policy = new AdjustableFeePolicy { CardPercent = 2m };
        await using var h = Harness(database, out var account, configure: b =>
        {
            b.Services.AddSingleton(policy);
            b.Services.AddSingleton<IConvenienceFeePolicy>(sp => sp.GetRequiredService<AdjustableFeePolicy>());
        }, options: o => o.ConvenienceFees.Enabled = true);
        var ids = await InvoicesAsync(h, account, new Item("INV-M3", 98_000, DueInDays: 10));   // Thursday 3/12
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card) with { MaxPayment = Usd(1_000m) });
        Assert.Equal(99_960L, Assert.Single(await PaymentsAsync(h, account)).AmountMinor);

        policy.CardPercent = 3m;   // the policy in force on 3/12: USD 1,009.40
        h.Clock.Advance(TimeSpan.FromDays(10));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();

        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Failed, PaymentFailureCodes.AboveAutopayMaximum, 99_960L), (payment.Status, payment.FailureCode, payment.AmountMinor));
        Assert.Equal("USD 1,009.40 (with a convenience fee of USD 29.40) is above the autopay maximum of USD 1,000.00. Nothing was charged.", payment.FailureReason);
        Assert.Equal(0, await ChargeCountAsync(h, account));
        Assert.Single(await EmailsAsync(h, account), e => e.Kind == NotificationKind.PaymentFailed);
        Assert.Equal((InvoiceStatus.Open, (Guid?)null), Assert.Single(await InvoiceRowsAsync(h, ids)) is var row ? (row.Status, row.ActivePaymentId) : default);

        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();
        var item = Assert.Single((await h.Get<AutopayService>().GetAsync()).Invoices);
        Assert.Equal(AutopayItemState.Skipped, item.State);
        Assert.StartsWith("Autopay's payment of 2026-03-12 did not go through (USD 1,009.40 (with a convenience fee", item.SkipReason);
    }

    // Review: autopay checked only that its method was not removed, and kept scheduling (and announcing) payments with an
    // expired card.
    [Fact]
    public async Task Autopay_skips_invoices_its_card_cannot_pay_on_their_debit_date_with_the_reason_and_no_upcoming_email()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-E1", 25_000, DueInDays: 10));
        var card = await CardAsync(h);
        await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            // Expired in February (the payer did not update it); new invoices come from the ERP.
            await db.PaymentMethods.Where(m => m.Id == card.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.ExpiryMonth, 2).SetProperty(m => m.ExpiryYear, 2026));
        }
        await InvoicesAsync(h, account, new Item("INV-E2", 35_000, DueInDays: 3));   // Thursday 3/5, within the notice days

        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();
        await h.Get<AutopayRunner>().NotifyUpcomingAsync();

        var e2 = (await h.Get<AutopayService>().GetAsync()).Invoices.Single(i => i.Number == "INV-E2");
        Assert.Equal((AutopayItemState.Skipped, "Visa •••• 4242 has expired; update its expiry date or choose another method in the autopay settings."), (e2.State, e2.SkipReason));
        Assert.DoesNotContain(await PaymentsAsync(h, account), p => p.Allocations.Any(a => a.InvoiceNumber == "INV-E2"));
        Assert.DoesNotContain(await EmailsAsync(h, account), e => e.Kind == NotificationKind.AutopayUpcoming);
    }

    [Fact]
    public async Task Autopay_skips_an_invoice_whose_debit_date_is_after_the_card_expires_and_one_of_a_method_still_being_verified()
    {
        await using var h = Autopay(database, out var account);
        await InvoicesAsync(h, account, new Item("INV-E3", 25_000, DueInDays: 10), new Item("INV-E4", 35_000, DueInDays: 36));   // 3/12 and Tuesday 4/7
        var card = await CardAsync(h);
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            await db.PaymentMethods.Where(m => m.Id == card.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.ExpiryMonth, 3).SetProperty(m => m.ExpiryYear, 2026));
        }

        var view = await h.Get<AutopayService>().EnrollAsync(OnDueDate(card));

        var byNumber = view.Invoices.ToDictionary(i => i.Number);
        Assert.Equal(AutopayItemState.Scheduled, byNumber["INV-E3"].State);
        Assert.Equal((AutopayItemState.Skipped, "Visa •••• 4242 expires before the debit date of 2026-04-07; update its expiry date or choose another method in the autopay settings."),
            (byNumber["INV-E4"].State, byNumber["INV-E4"].SkipReason));

        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            await db.PaymentMethods.Where(m => m.Id == card.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.ExpiryYear, 2030).SetProperty(m => m.VerificationPending, true));
        }
        await InvoicesAsync(h, account, new Item("INV-E5", 15_000, DueInDays: 15));
        await ForceExpansionAsync(h, account);
        await h.Get<AutopayRunner>().ExpandAsync();
        Assert.StartsWith("Visa •••• 4242 is still being verified",
            (await h.Get<AutopayService>().GetAsync()).Invoices.Single(i => i.Number == "INV-E5").SkipReason);
    }

    /// <summary>Autopay's read of short-paid invoices: node A is paused there, after it read the enrolment, the invoices and its items.</summary>
    private static bool ReadsShortPaid(string sql) =>
        sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && sql.Contains("pp_payment_allocations", StringComparison.Ordinal)
        && sql.Contains("ShortMinor", StringComparison.Ordinal);

    /// <summary>Autopay's read of its items: node A is paused there, after it read the enrolment and the invoices.</summary>
    private static bool ReadsAutopayItems(string sql) =>
        sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && sql.Contains("pp_autopay_items", StringComparison.Ordinal);

    /// <summary>Runs autopay, the scheduled runner and the reconciler once a day for <paramref name="days"/> days.</summary>
    private static async Task RunDayByDayAsync(PortalHarness h, int days)
    {
        for (var day = 0; day < days; day++)
        {
            h.Clock.Advance(TimeSpan.FromDays(1));
            await h.Get<AutopayRunner>().ExpandAsync();
            await h.Get<ScheduledPaymentRunner>().RunDueAsync();
            await h.Get<PaymentReconciler>().ReconcileAsync();
        }
    }

    /// <summary>Makes the account's enrolment due for expansion now (as the next interval or an ERP change would).</summary>
    private static async Task ForceExpansionAsync(PortalHarness h, string account)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var now = h.Clock.GetUtcNow().UtcDateTime;
        await db.AutopayEnrollments.Where(e => e.AccountId == account).ExecuteUpdateAsync(s => s.SetProperty(e => e.NextExpansionAt, now.AddSeconds(-1)));
    }

    private static async Task SetAsync(PortalHarness h, long invoiceId, Action<InvoiceRecord> change)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var row = await db.Invoices.FirstAsync(i => i.Id == invoiceId);
        change(row);
        await db.SaveChangesAsync();
    }
}

public sealed class AutopayTests_Sqlite(SqliteDatabase db) : AutopayTests(db), IClassFixture<SqliteDatabase>;

public sealed class AutopayTests_Postgres(PostgresDatabase db) : AutopayTests(db), IClassFixture<PostgresDatabase>;
