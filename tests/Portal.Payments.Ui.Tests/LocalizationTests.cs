using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Sync;
using Portal.Payments.Ui.Components;
using Portal.Payments.Hosting;
using Portal.Payments.TestInfrastructure;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>The portal's texts: English and German complete and alike, shown in the user's culture, overridable by the host.</summary>
public class LocalizationTests : PortalTestContext
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public void German_has_every_English_text_with_the_same_placeholders() =>
        ResourceTexts.AssertGermanMatchesEnglish(PortalStringLocalizer.Resources, atLeast: 101);

    [Theory]
    [InlineData("")]
    [InlineData("de")]
    public void Every_refusal_that_is_a_whole_sentence_ends_with_a_full_stop(string culture)
    {
        // Texts beginning with a placeholder ("{0} is already cancelled") are parts of a sentence the caller finishes.
        var sentences = ResourceTexts.Of(PortalStringLocalizer.Resources, CultureInfo.GetCultureInfo(culture))
            .Where(t => t.Key.StartsWith("Error.", StringComparison.Ordinal) && !t.Value.StartsWith('{'))
            .ToList();
        Assert.True(sentences.Count >= 20, $"only {sentences.Count} refusals");
        Assert.All(sentences, t => Assert.True(t.Value.TrimEnd().EndsWith('.') || t.Value.TrimEnd().EndsWith('?'), $"{t.Key}: \"{t.Value}\""));
    }

    [Fact]
    public async Task A_German_user_sees_the_open_invoices_in_German_with_German_amounts()
    {
        await AddPortalAndMigrateAsync();
        Users.SignIn(PortalPermissions.Pay);
        await Services.GetRequiredService<ErpSyncService>().SyncAccountAsync(AccountId);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("de-DE");

        var cut = Render<OpenInvoicesGrid>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".pp-inv-number")), Timeout);
        Assert.Equal("Offene Rechnungen", cut.Find("h1").TextContent.Trim());
        Assert.Contains("Gesamtsaldo", cut.Find(".pp-inv-total").TextContent);
        cut.WaitForAssertion(() => Assert.StartsWith("Wählen Sie Rechnungen", cut.Find("[data-testid=selection-summary]").TextContent.Trim()), Timeout);
        // "1.234,56": comma before the cents.
        Assert.All(cut.FindAll(".pp-amount").Select(a => a.TextContent.Trim()).Where(t => t.Length > 0), t => Assert.Matches(@",\d{2}$", t));
        // No key shown for a missing text, as content or as an accessible name.
        Assert.DoesNotMatch(@"(>|"")\s*(Invoices|Grid|Balances|Status|Type|Comments|Dialog|Common|Error)\.[A-Z]\w*", cut.Markup);
    }

    [Fact]
    public async Task A_German_user_sees_the_account_overview_in_German()
    {
        await AddPortalAndMigrateAsync();
        Users.SignIn(PortalPermissions.Pay);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("de-DE");

        var cut = Render<AccountOverview>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=total-balance]")), Timeout);
        Assert.Equal("Kontoübersicht", cut.Find("h1").TextContent.Trim());
        Assert.Equal(["Nicht fällig", "1–30 Tage", "31–60 Tage", "61–90 Tage", "Über 90 Tage"],
            cut.FindAll("[data-testid=aging-bucket] .pp-bucket-label").Select(l => l.TextContent.Trim()));
        Assert.Contains("offene Posten", cut.Find(".pp-total").TextContent);
        Assert.Matches(@",\d{2}$", cut.Find("[data-testid=total-balance]").TextContent.Trim());
        Assert.DoesNotMatch(@"(>|"")\s*(Overview|Balances)\.[A-Z]\w*", cut.Markup);
    }

    [Fact]
    public async Task The_host_can_reword_any_text_per_language()
    {
        AddPortal();
        Services.Configure<PortalTextOptions>(o =>
        {
            o.Overrides["en"] = new() { ["Invoices.Title"] = "Bills to pay" };
            o.Overrides["*"] = new() { ["Balances.Total"] = "Owed in total" };
        });
        await Services.MigratePortalPaymentsAsync();
        Users.SignIn(PortalPermissions.Pay);
        await Services.GetRequiredService<ErpSyncService>().SyncAccountAsync(AccountId);

        var cut = Render<OpenInvoicesGrid>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".pp-inv-number")), Timeout);
        Assert.Equal("Bills to pay", cut.Find("h1").TextContent.Trim());
        Assert.Contains("Owed in total", cut.Find(".pp-inv-total").TextContent);
    }

    [Fact]
    public void Emails_read_in_the_payers_stored_language_with_the_portals_words_and_the_hosts_overrides()
    {
        AddPortal();
        Services.Configure<PortalTextOptions>(o => o.Overrides["de"] = new() { ["Email.Subject.Failed"] = "Nicht bezahlt: {0} ({1})" });
        var texts = Services.GetRequiredService<Portal.Payments.Notifications.EmailTexts>();
        Portal.Payments.Data.PaymentRecord Payment(string? culture) => new()
        {
            Id = Guid.NewGuid(), AccountId = "ACME", Currency = "USD", AmountMinor = 123_456, ReceiptNumber = "R-260302-ABCDEF", CreatedByName = "Pat",
            CreatedByEmail = "pat@acme.example", MethodDescription = "Sandbox Bank checking •••• 6789", ScheduledFor = new DateOnly(2026, 3, 7),
            FailureCode = "Declined", Culture = culture,
            Allocations = [new() { Id = 1, InvoiceNumber = "INV-1", AppliedMinor = 122_456, ShortMinor = 1_000, ShortReason = "Damaged" }],
        };

        var german = Portal.Payments.Services.Payments.PaymentEmails.Failed(texts, Payment("de-DE"), Portal.Payments.Data.PaymentStatus.Failed,
            "Your card was declined by the issuing bank.", null, "https://portal.example.com");
        var english = Portal.Payments.Services.Payments.PaymentEmails.Failed(texts, Payment("en-US"), Portal.Payments.Data.PaymentStatus.Failed,
            "Your card was declined by the issuing bank.", null, "https://portal.example.com");
        var changed = Portal.Payments.Services.Payments.PaymentEmails.Changed(texts, Payment("de-DE"), null, "Sam", [], "https://portal.example.com");

        Assert.Equal("Nicht bezahlt: USD 1.234,56 (R-260302-ABCDEF)", german.Subject);
        Assert.Contains("Grund: Die Karte wurde von der ausgebenden Bank abgelehnt.", german.TextBody, StringComparison.Ordinal);
        Assert.Contains("(gekürzt um USD 10,00: Beschädigt)", german.TextBody, StringComparison.Ordinal);
        Assert.Contains("mit Sandbox Bank Girokonto •••• 6789.", changed.TextBody, StringComparison.Ordinal);
        Assert.Equal("Payment failed: USD 1,234.56 (R-260302-ABCDEF)", english.Subject);
        Assert.Contains("Reason: Your card was declined by the issuing bank.", english.TextBody, StringComparison.Ordinal);
        Assert.Contains("(short-paid USD 10.00: Damaged)", english.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public void Overrides_go_from_the_culture_to_its_parent_to_every_language_to_the_built_in_text_in_each_culture_asked()
    {
        var l = new PortalStringLocalizer(Microsoft.Extensions.Options.Options.Create(new PortalTextOptions
        {
            Overrides = new(StringComparer.OrdinalIgnoreCase)
            {
                ["de-CH"] = new() { ["Invoices.Title"] = "Offene Rechnungen (CH)" },
                ["de"] = new() { ["Invoices.Title"] = "Offene Rechnungen (de)", ["Grid.Search"] = "Finden" },
                ["*"] = new() { ["Invoices.Title"] = "Everywhere", ["Grid.Search"] = "Look up", ["Balances.Total"] = "Owed in total" },
            },
        }));
        string[] keys = ["Invoices.Title", "Grid.Search", "Balances.Total", "Grid.ClearSearch", "No.Such.Key"];
        string[] Texts(string culture)
        {
            using var _ = TestCulture.Use(culture);
            return [.. keys.Select(k => l[k].Value)];
        }
        string Builtin(string culture, string key)
        {
            using var _ = TestCulture.Use(culture);
            return PortalStringLocalizer.Resources.Select(r => r.GetString(key, CultureInfo.CurrentUICulture)).OfType<string>().Single();
        }

        // Asked in turn, so one culture's texts never answer for another's.
        for (var round = 0; round < 2; round++)
        {
            Assert.Equal(["Offene Rechnungen (CH)", "Finden", "Owed in total", Builtin("de-CH", "Grid.ClearSearch"), "No.Such.Key"], Texts("de-CH"));
            Assert.Equal(["Offene Rechnungen (de)", "Finden", "Owed in total", Builtin("de-DE", "Grid.ClearSearch"), "No.Such.Key"], Texts("de-DE"));
            Assert.Equal(["Everywhere", "Look up", "Owed in total", Builtin("en-US", "Grid.ClearSearch"), "No.Such.Key"], Texts("en-US"));
        }
        Assert.NotEqual(Builtin("de-DE", "Grid.ClearSearch"), Builtin("en-US", "Grid.ClearSearch"));
        using (TestCulture.Use("de-DE"))
        {
            Assert.True(l["No.Such.Key"].ResourceNotFound);
            Assert.False(l["Grid.ClearSearch"].ResourceNotFound);
        }
    }

    [Theory]
    [InlineData("Visa •••• 4242", "Visa •••• 4242")]
    [InlineData("Card •••• 0005", "Karte •••• 0005")]
    [InlineData("Sandbox Bank checking •••• 6789", "Sandbox Bank Girokonto •••• 6789")]
    [InlineData("First Savings Bank savings •••• 1111", "First Savings Bank Sparkonto •••• 1111")]
    [InlineData("Bank account checking •••• 2222", "Bankkonto Girokonto •••• 2222")]
    [InlineData("a removed method", "eine entfernte Methode")]
    [InlineData("Something the host wrote", "Something the host wrote")]
    public void A_methods_masked_name_reads_in_German_and_stays_as_Core_wrote_it_in_English(string described, string german)
    {
        var l = new PortalStringLocalizer(Microsoft.Extensions.Options.Options.Create(new PortalTextOptions()));
        foreach (var (culture, expected) in new[] { ("de-DE", german), ("en-US", described) })
        {
            using var _ = TestCulture.Use(culture);
            Assert.Equal(expected, PaymentText.Method(l, described));
        }
    }

    // Review: autopay's payments cancelled without a charge had no code, so German receipts and history gave their English
    // reason. Every reason code Core stores has its text in English and German.
    [Fact]
    public void Every_failure_reason_code_core_stores_is_worded_in_German()
    {
        var l = new PortalStringLocalizer(Microsoft.Extensions.Options.Options.Create(new PortalTextOptions()));
        var codes = typeof(Portal.Payments.Services.Payments.PaymentFailureCodes).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Contains("AutopayRescheduled", codes);
        foreach (var code in codes)
        {
            using var _ = TestCulture.Use("de-DE");
            var german = PaymentText.FailureReason(l, code, "the stored English words");
            Assert.NotEqual("the stored English words", german);
            Assert.False(l["Failure." + code].ResourceNotFound, code);
        }
        using (TestCulture.Use("de-DE"))
        {
            Assert.Equal("Die Rechnung hat sich geändert, daher hat die automatische Zahlung eine neue Zahlung für sie eingeplant. Mit dieser wurde nichts belastet.",
                PaymentText.FailureReason(l, "AutopayRescheduled", "The invoice changed; autopay scheduled it again."));
        }
    }
}
