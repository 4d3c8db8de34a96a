using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Notifications;
using Portal.Payments.Services.Autopay;
using Portal.Payments.Services.Payments;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// The payment emails in the payer's language: the culture is stored with what the payer made, so the emails a runner
/// sends later (confirmation, failure, cancellation by someone else) read in it too.
/// </summary>
public sealed class EmailLanguageTests
{
    private static PaymentRecord Payment(string? culture, DateOnly? scheduledFor = null, string? failureCode = null) => new()
    {
        Id = Guid.NewGuid(),
        AccountId = "ACME",
        AccountName = "Acme Manufacturing",
        Kind = PaymentKind.InvoicePayment,
        Currency = "USD",
        AmountMinor = 123_456,
        FeeMinor = 250,
        ScheduledFor = scheduledFor,
        ReceiptNumber = "R-260302-ABCDEF",
        CreatedByName = "Pat Payer",
        CreatedByEmail = "pat@acme.example",
        MethodDescription = "Sandbox Bank checking •••• 6789",
        FailureCode = failureCode,
        Culture = culture,
        Allocations =
        [
            new PaymentAllocationRecord { Id = 1, InvoiceNumber = "INV-1", AppliedMinor = 100_000, DiscountMinor = 2_000 },
            new PaymentAllocationRecord { Id = 2, InvoiceNumber = "INV-2", AppliedMinor = 23_206, ShortMinor = 1_000, ShortReason = "Damaged" },
        ],
    };

    /// <summary>The texts a host's localizer would give (the Ui package's source), for the reader's culture.</summary>
    private sealed class GermanWords : IEmailTextSource
    {
        public string? Find(string key, CultureInfo culture) => culture.TwoLetterISOLanguageName != "de" ? null : key switch
        {
            "Failure.Declined" => "Die Bank hat die Zahlung abgelehnt.",
            "ShortPayReason.Damaged" => "Beschädigt",
            "Method.Checking" => "Girokonto",
            "Email.Subject.Failed" => "Abgelehnt: {0} ({1})",
            _ => null,
        };
    }

    /// <summary>A host's texts with a placeholder its email never fills (a host's own localizer is not checked at start).</summary>
    private sealed class MisplacedPlaceholder : IEmailTextSource
    {
        public string? Find(string key, CultureInfo culture) => key == "Email.Subject.PaymentReceived" ? "Zahlung {3} erhalten" : null;
    }

    // Review: a text that does not fit its placeholders threw while the email was written, in the transaction that records
    // the payment's outcome: the charged payment could not be recorded.
    [Fact]
    public void A_host_text_that_does_not_fit_its_placeholders_gives_way_to_the_built_in_text()
    {
        var received = PaymentEmails.Confirmation(new EmailTexts([new MisplacedPlaceholder()]), Payment("de-DE"), PaymentStatus.Succeeded, null, "https://portal.example.com");

        Assert.Equal("Zahlung erhalten: R-260302-ABCDEF", received.Subject);
    }

    [Fact]
    public void Without_a_stored_culture_the_emails_read_as_they_always_did()
    {
        var email = PaymentEmails.Scheduled(EmailTexts.Default, Payment(null, new DateOnly(2026, 3, 7)), null, "https://portal.example.com");

        Assert.Equal("Payment scheduled for March 7, 2026: USD 1,234.56 (R-260302-ABCDEF)", email.Subject);
        Assert.StartsWith("Hello Pat Payer," + Environment.NewLine, email.TextBody, StringComparison.Ordinal);
        Assert.Contains("Your payment of USD 1,234.56 for Acme Manufacturing (ACME) is scheduled for March 7, 2026, using Sandbox Bank checking •••• 6789.", email.TextBody, StringComparison.Ordinal);
        Assert.Contains("  INV-1: USD 1,000.00 (discount USD 20.00)", email.TextBody, StringComparison.Ordinal);
        Assert.Contains("  INV-2: USD 232.06 (short-paid USD 10.00: Damaged)", email.TextBody, StringComparison.Ordinal);
        Assert.Contains("  Convenience fee: USD 2.50", email.TextBody, StringComparison.Ordinal);
        Assert.Equal(email.Subject, PaymentEmails.Scheduled(EmailTexts.Default, Payment("en-US", new DateOnly(2026, 3, 7)), null, "https://portal.example.com").Subject);
    }

    [Fact]
    public void A_german_payers_emails_are_german_with_german_numbers_and_dates()
    {
        var scheduled = PaymentEmails.Scheduled(EmailTexts.Default, Payment("de-DE", new DateOnly(2026, 3, 7)), null, "https://portal.example.com");
        var received = PaymentEmails.Confirmation(EmailTexts.Default, Payment("de-DE"), PaymentStatus.Succeeded, null, "https://portal.example.com");

        Assert.Equal("Zahlung geplant für den 7. März 2026: USD 1.234,56 (R-260302-ABCDEF)", scheduled.Subject);
        Assert.StartsWith("Guten Tag Pat Payer," + Environment.NewLine, scheduled.TextBody, StringComparison.Ordinal);
        Assert.Contains("  INV-1: USD 1.000,00 (Skonto USD 20,00)", scheduled.TextBody, StringComparison.Ordinal);
        Assert.Contains("  Servicegebühr: USD 2,50", scheduled.TextBody, StringComparison.Ordinal);
        Assert.Contains("Um sie vor dem 7. März 2026 zu ändern oder zu stornieren", scheduled.TextBody, StringComparison.Ordinal);
        Assert.Equal("Zahlung erhalten: R-260302-ABCDEF", received.Subject);
        Assert.Contains("Wir haben Ihre Zahlung von USD 1.234,56 für Acme Manufacturing (ACME) erhalten.", received.TextBody, StringComparison.Ordinal);
        // Without the portal's texts (Core alone), what the payer or the gateway worded stays as stored.
        Assert.Contains("(gekürzt um USD 10,00: Damaged)", scheduled.TextBody, StringComparison.Ordinal);
    }

    // Review: the email of a payment still processing linked "View your receipt", where the page it opens says the payment
    // is processing; only a paid payment's email calls it a receipt (as its page and PDF do).
    [Theory]
    [InlineData("en-US", PaymentStatus.Succeeded, "View your receipt: https://portal.example.com/portal/payments/{0}/receipt")]
    [InlineData("en-US", PaymentStatus.Processing, "Payment details: https://portal.example.com/portal/payments/{0}/receipt")]
    [InlineData("de-DE", PaymentStatus.Succeeded, "Ihr Beleg: https://portal.example.com/portal/payments/{0}/receipt")]
    [InlineData("de-DE", PaymentStatus.Processing, "Details der Zahlung: https://portal.example.com/portal/payments/{0}/receipt")]
    public void Only_a_paid_payments_email_links_its_receipt(string culture, PaymentStatus status, string link)
    {
        var payment = Payment(culture);

        var email = PaymentEmails.Confirmation(EmailTexts.Default, payment, status, null, "https://portal.example.com");

        Assert.Contains(string.Format(CultureInfo.InvariantCulture, link, payment.Id), email.TextBody, StringComparison.Ordinal);
        if (status != PaymentStatus.Succeeded)
        {
            Assert.DoesNotContain(culture == "de-DE" ? "Ihr Beleg" : "View your receipt", email.TextBody, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_source_words_the_reason_the_short_pay_reason_and_the_method_and_may_reword_any_email_text()
    {
        var texts = new EmailTexts([new GermanWords()]);

        var german = PaymentEmails.Failed(texts, Payment("de-DE", new DateOnly(2026, 3, 7), nameof(Portal.Payments.Gateways.GatewayErrorCode.Declined)), PaymentStatus.Failed,
            "Your card was declined.", null, "https://portal.example.com");
        var english = PaymentEmails.Failed(texts, Payment("en-GB", null, nameof(Portal.Payments.Gateways.GatewayErrorCode.Declined)), PaymentStatus.Failed,
            "Your card was declined.", null, "https://portal.example.com");

        Assert.Equal("Abgelehnt: USD 1.234,56 (R-260302-ABCDEF)", german.Subject);
        Assert.Contains("Ihre für den 7. März 2026 geplante Zahlung von USD 1.234,56 für Acme Manufacturing (ACME) ist fehlgeschlagen.", german.TextBody, StringComparison.Ordinal);
        Assert.Contains("Grund: Die Bank hat die Zahlung abgelehnt.", german.TextBody, StringComparison.Ordinal);
        Assert.Contains("(gekürzt um USD 10,00: Beschädigt)", german.TextBody, StringComparison.Ordinal);
        Assert.Equal("Payment failed: USD 1,234.56 (R-260302-ABCDEF)", english.Subject);
        Assert.Contains("Your payment of USD 1,234.56 for Acme Manufacturing (ACME) failed. Nothing was charged.", english.TextBody, StringComparison.Ordinal);
        Assert.Contains("Reason: Your card was declined.", english.TextBody, StringComparison.Ordinal);
        Assert.Contains("(short-paid USD 10.00: Damaged)", english.TextBody, StringComparison.Ordinal);

        var changed = PaymentEmails.Changed(texts, Payment("de-DE", new DateOnly(2026, 3, 7)), null, "Sam Clerk", ["INV-3"], "https://portal.example.com");
        Assert.Contains("Sie beträgt jetzt USD 1.234,56 am 7. März 2026, mit Sandbox Bank Girokonto •••• 6789.", changed.TextBody, StringComparison.Ordinal);
        Assert.Contains("Nicht mehr in dieser Zahlung (wieder offen): INV-3", changed.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public void Autopay_emails_follow_whoever_enrolled()
    {
        var e = new AutopayEnrollmentRecord
        {
            AccountId = "ACME", AccountName = "Acme Manufacturing", Currency = "USD", Rule = AutopayRule.DaysBeforeDue, DaysBeforeDue = 5,
            MaxPaymentMinor = 500_000, ApplyCreditMemos = true, EndDate = new DateOnly(2026, 12, 31), UserName = "Pat Payer", UserEmail = "pat@acme.example",
            Culture = "de-DE",
        };
        var texts = new EmailTexts([new GermanWords()]);

        var on = AutopayEmails.Enrollment(texts, e, changed: false, "Visa •••• 4242", "https://portal.example.com");
        var upcoming = AutopayEmails.Upcoming(texts, e, Payment("de-DE", new DateOnly(2026, 3, 7)), "https://portal.example.com");
        var english = AutopayEmails.Enrollment(texts, new AutopayEnrollmentRecord { AccountId = "ACME", Currency = "USD", Rule = AutopayRule.DaysBeforeDue, DaysBeforeDue = 5, UserName = "Pat" },
            changed: true, "Visa •••• 4242", "https://portal.example.com");

        Assert.Equal("Automatische Zahlung eingerichtet", on.Subject);
        Assert.Contains("Rechnungen über USD 5.000,00 werden nicht automatisch bezahlt.", on.TextBody, StringComparison.Ordinal);
        Assert.Contains("Die automatische Zahlung endet nach dem 31. Dezember 2026.", on.TextBody, StringComparison.Ordinal);
        Assert.Equal("Anstehende automatische Zahlung am 7. März 2026: USD 1.234,56 (R-260302-ABCDEF)", upcoming.Subject);
        Assert.Equal("Autopay changed", english.Subject);
        Assert.Contains("Autopay is changed for ACME: the portal pays each invoice 5 days before each invoice's due date with Visa •••• 4242.", english.TextBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("no such culture!", "")]
    [InlineData("de-CH", "de-CH")]
    public void An_unknown_or_missing_culture_reads_as_the_portals_default(string? stored, string expected) =>
        Assert.Equal(expected, ReaderCulture.Of(stored).Name);
}

/// <summary>The payer's culture is stored with the payment and the enrolment, and the runner's emails read in it.</summary>
public abstract class StoredReaderCultureTests(TestDatabase database)
{
    [Fact]
    public async Task A_payment_scheduled_by_a_german_payer_is_emailed_in_german_also_when_someone_else_cancels_it()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-1", 40_000, DiscountMinor: 800, DiscountDate: Today.AddDays(7)));
        var card = await CardAsync(h);
        var service = h.Get<ScheduledPaymentService>();

        var outcome = await InCulture("de-DE", () => service.ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(5), card.Id, Key())));
        await InCulture("en-US", () => service.CancelAsync([outcome.PaymentId]));

        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal("de-DE", payment.Culture);
        var emails = (await EmailsAsync(h, account)).OrderBy(e => e.Kind).ToList();
        Assert.Equal([NotificationKind.PaymentScheduled, NotificationKind.PaymentCancelled], emails.Select(e => e.Kind));
        Assert.Equal($"Zahlung geplant für den 7. März 2026: USD 392,00 ({payment.ReceiptNumber})", emails[0].Subject);
        Assert.Equal($"Geplante Zahlung storniert: USD 392,00 ({payment.ReceiptNumber})", emails[1].Subject);
        Assert.Contains("Es wurde nichts belastet.", emails[1].TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_payment_made_in_english_stores_its_culture_and_reads_in_english()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-1", 10_000));
        var card = await CardAsync(h);

        await InCulture("en-GB", () => h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(5), card.Id, Key())));

        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        Assert.Equal("en-GB", (await db.Payments.AsNoTracking().SingleAsync(p => p.AccountId == account)).Culture);
        Assert.StartsWith("Payment scheduled for March 7, 2026: USD 100.00", Assert.Single(await EmailsAsync(h, account)).Subject, StringComparison.Ordinal);
    }

    // Review (webhooks): the email about a payment the bank returned (or a refund, a lost dispute, a background decline)
    // was composed before the payment took its new failure code, so a German payer read the gateway's English words
    // ("R01: insufficient funds") where the portal has the reason in German.
    [Fact]
    public async Task A_bank_return_reported_by_the_gateway_is_emailed_to_a_german_payer_with_the_reason_in_german()
    {
        await using var h = Harness(database, out var account, configure: b => b.Services.AddSingleton<IEmailTextSource>(new GermanReasons()));
        var ids = await InvoicesAsync(h, account, new Item("INV-1", 30_000));
        var bank = await BankAsync(h);
        await InCulture("de-DE", () => h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, Key())));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Processing, "de-DE"), (payment.Status, payment.Culture));

        Assert.Equal(Portal.Payments.Gateways.GatewayEventOutcome.Applied, await h.Get<Portal.Payments.Gateways.IGatewayEventSink>().ReportAsync(
            Portal.Payments.Sandbox.SandboxGateway.GatewayKey,
            new Portal.Payments.Gateways.ChargeStatusEvent("evt_return_" + Guid.NewGuid().ToString("N")[..8], DateTimeOffset.UtcNow)
            {
                IdempotencyKey = payment.IdempotencyKey, Status = Portal.Payments.Gateways.ChargeStatus.Returned,
                ErrorCode = Portal.Payments.Gateways.GatewayErrorCode.Returned, Message = "R01: insufficient funds",
            }));

        var email = Assert.Single(await EmailsAsync(h, account), e => e.Kind == NotificationKind.PaymentFailed);
        Assert.Contains(GermanReasons.Returned, email.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("insufficient funds", email.TextBody, StringComparison.Ordinal);
    }

    /// <summary>The German failure reasons the Ui package gives emails (a host's text source, as far as Core knows).</summary>
    private sealed class GermanReasons : IEmailTextSource
    {
        public const string Returned = "Die Bank hat die Lastschrift zurückgegeben.";

        public string? Find(string key, CultureInfo culture) =>
            culture.TwoLetterISOLanguageName == "de" && key == "Failure.Returned" ? Returned : null;
    }

    private static async Task<T> InCulture<T>(string name, Func<Task<T>> action)
    {
        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(name);
        try
        {
            return await action();
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, ui);
        }
    }
}

/// <inheritdoc />
public sealed class StoredReaderCultureTests_Sqlite(SqliteDatabase db) : StoredReaderCultureTests(db), IClassFixture<SqliteDatabase>;

/// <inheritdoc />
public sealed class StoredReaderCultureTests_Postgres(PostgresDatabase db) : StoredReaderCultureTests(db), IClassFixture<PostgresDatabase>;
