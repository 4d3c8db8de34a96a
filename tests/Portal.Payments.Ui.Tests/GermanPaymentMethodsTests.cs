using AngleSharp.Dom;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>The payment methods manager, its edit form and the "Pay with" picker for a German user. Today is 10 March 2027.</summary>
public class GermanPaymentMethodsTests : PaymentMethodTestContext
{
    private const string Visa = "Visa •••• 4242";
    private const string Mastercard = "Mastercard •••• 4444";
    private const string Expired = "Mastercard •••• 1111";
    private const string Bank = "Sandbox Bank Girokonto •••• 6789";  // Core describes it "Sandbox Bank checking •••• 6789"
    private static readonly string[] Areas = ["Methods", "Picker", "EditMethod", "Common", "Error"];

    [Fact]
    public async Task A_German_user_reads_the_list_of_payment_methods_in_German()
    {
        await StartAsync();
        await AddCardAsync(month: 12, year: 2030, nickname: "AP card");
        await AddCardAsync(number: "5555555555554444", month: 3, year: 2027);
        await InsertCardRowAsync(month: 2, year: 2027, last4: "1111");
        await AddBankAccountAsync();
        using var german = TestCulture.Use("de-DE");

        var cut = RenderManager();

        Assert.Equal("Zahlungsmethoden", cut.Find("h1").TextContent.Trim());
        Assert.NotNull(Button(cut, "Zahlungsmethode hinzufügen"));
        var table = cut.Find("[data-testid=methods]");
        Assert.Equal("Gespeicherte Zahlungsmethoden", table.QuerySelector("caption")!.TextContent.Trim());
        Assert.Equal(["Zahlungsmethode", "Details", "Kurzname", "Status", "Aktionen"],
            table.QuerySelectorAll("th[scope=col]").Select(th => th.TextContent.Trim()));
        var visa = RowFor(cut, Visa);
        Assert.Equal("Standard", visa.QuerySelector("th .rz-badge")?.TextContent.Trim());
        Assert.Contains("Gültig bis 12/2030", visa.TextContent);
        Assert.Equal("Aktiv", Status(visa));
        Assert.Equal("Läuft innerhalb von 30 Tagen ab", Status(RowFor(cut, Mastercard)));
        Assert.Equal("Abgelaufen", Status(RowFor(cut, Expired)));
        Assert.Contains("Girokonto · Geschäftlich", RowFor(cut, Bank).TextContent);
        Assert.Equal("Bearbeiten", Button(cut, $"{Visa} bearbeiten").TextContent.Trim());
        Assert.Equal("Als Standard festlegen", Button(cut, $"Als Standard festlegen: {Bank}").TextContent.Trim());
        Assert.Equal("Löschen", Button(cut, $"{Visa} löschen").TextContent.Trim());

        var text = table.TextContent;
        foreach (var english in new[] { "Expires", "Active", "Expired", "Checking", "Business", "Default", "Nickname", "Stored payment methods" })
        {
            Assert.DoesNotContain(english, text, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(cut.FindAll("button"), b => ButtonName(b).StartsWith("Edit", StringComparison.Ordinal) || ButtonName(b).StartsWith("Delete", StringComparison.Ordinal));
        TextKeys.AssertNoneShown(cut.Markup, Areas);
    }

    [Fact]
    public async Task A_German_user_with_no_methods_is_told_to_add_one_in_German()
    {
        await StartAsync();
        using var german = TestCulture.Use("de-DE");

        var cut = RenderManager();

        Assert.Equal("Noch keine Zahlungsmethoden. Fügen Sie eine Karte oder ein Bankkonto hinzu, um Rechnungen zu bezahlen.",
            cut.Find("[data-testid=methods-empty]").TextContent.Trim());
    }

    [Fact]
    public async Task A_German_user_sets_the_default_and_deletes_a_bank_account_in_German()
    {
        await StartAsync();
        await AddCardAsync();
        await AddBankAccountAsync();
        using var german = TestCulture.Use("de-DE");
        var cut = RenderManager();

        Button(cut, $"Als Standard festlegen: {Bank}").Click();
        cut.WaitForAssertion(() => Assert.Equal($"{Bank} ist jetzt die Standard-Zahlungsmethode.", Notice(cut)), Timeout);

        Button(cut, $"{Visa} löschen").Click();
        var dialog = cut.Find("[role=alertdialog]");
        Assert.Equal($"{Visa} löschen?", dialog.QuerySelector("h2")!.TextContent.Trim());
        Assert.Equal("Sie wird für Zahlungen nicht mehr angeboten.", dialog.QuerySelector("p")!.TextContent.Trim());
        Assert.Single(Buttons(dialog, "Behalten")).Click();
        Button(cut, $"{Bank} löschen").Click();
        dialog = cut.Find("[role=alertdialog]");
        Assert.Contains("Die Lastschriftermächtigung (ACH) wird widerrufen", dialog.TextContent);
        Assert.DoesNotContain("It will no longer", dialog.TextContent);
        Assert.DoesNotContain("authorization is revoked", dialog.TextContent);
        Assert.Empty(Buttons(dialog, "Keep it"));
        Assert.Single(Buttons(dialog, "Löschen")).Click();

        cut.WaitForAssertion(() => Assert.Equal($"{Bank} wurde gelöscht.", Notice(cut)), Timeout);
        TextKeys.AssertNoneShown(cut.Markup, Areas);
    }

    [Fact]
    public async Task A_German_user_is_told_in_German_which_scheduled_payment_keeps_a_method_from_being_deleted()
    {
        await StartAsync();
        var bank = await AddBankAccountAsync();
        await InsertScheduledPaymentAsync(bank.Id, "R-SCHED1", new DateOnly(2027, 4, 1), amountMinor: 125_000);
        using var german = TestCulture.Use("de-DE");
        var cut = RenderManager();

        Button(cut, $"{Bank} löschen").Click();
        Assert.Single(Buttons(cut.Find("[role=alertdialog]"), "Löschen")).Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[role=alertdialog] .rz-alert")), Timeout);
        Assert.Equal("Diese Methode bezahlt eine geplante Zahlung: R-SCHED1 am 01.04.2027 (USD 1.250,00). Stornieren Sie sie zuerst und löschen Sie dann die Methode.",
            cut.Find("[role=alertdialog] .rz-alert .rz-alert-content").TextContent.Trim());
        Assert.NotNull(RowFor(cut, Bank));
        TextKeys.AssertNoneShown(cut.Markup, Areas);
    }

    [Fact]
    public async Task A_German_user_edits_a_card_in_German()
    {
        await StartAsync();
        await AddCardAsync(month: 12, year: 2030, nickname: "AP card");
        using var german = TestCulture.Use("de-DE");
        var cut = RenderManager();

        Button(cut, $"{Visa} bearbeiten").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("section.pp-edit-method")), Timeout);

        var form = cut.Find("section.pp-edit-method");
        Assert.Equal($"{Visa} bearbeiten", form.QuerySelector("h2")!.TextContent.Trim());
        Assert.Equal(["Ablaufmonat", "Ablaufjahr", "Name auf der Karte", "PLZ der Rechnungsadresse", "Kurzname"],
            form.QuerySelectorAll("label").Select(l => l.TextContent.Trim()));
        Assert.Single(Buttons(form, "Abbrechen"));
        Input(cut, "Ablaufmonat").Change("ab");
        Assert.Single(Buttons(form, "Änderungen speichern")).Click();

        cut.WaitForAssertion(() => Assert.Equal("Geben Sie den Ablaufmonat (1–12) und das vierstellige Jahr als Zahlen ein.", ErrorText(cut, "Ablaufmonat")), Timeout);
        Assert.DoesNotContain("Enter the expiry month", cut.Markup);

        Input(cut, "Ablaufmonat").Change("11");
        Button(cut, "Änderungen speichern").Click();
        cut.WaitForAssertion(() => Assert.Equal($"{Visa} wurde aktualisiert.", Notice(cut)), Timeout);
        Assert.Contains("Gültig bis 11/2030", RowFor(cut, Visa).TextContent);
    }

    [Fact]
    public async Task A_German_user_edits_a_bank_account_holder_in_German()
    {
        await StartAsync();
        await AddBankAccountAsync();
        using var german = TestCulture.Use("de-DE");
        var cut = RenderManager();

        Button(cut, $"{Bank} bearbeiten").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("section.pp-edit-method")), Timeout);

        Assert.Equal("Acme Industrial Supply", Input(cut, "Name des Kontoinhabers").GetAttribute("value"));
        Assert.DoesNotContain(cut.FindAll("label"), l => l.TextContent.Trim() is "Account holder name" or "Nickname");
    }

    [Fact]
    public async Task A_German_user_picks_a_method_in_German()
    {
        await StartAsync();
        await AddCardAsync();
        await InsertCardRowAsync(month: 2, year: 2027, last4: "1111");
        using var german = TestCulture.Use("de-DE");

        var cut = Render<PaymentMethodPicker>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]")), Timeout);

        var picker = cut.Find("fieldset.pp-picker");
        Assert.Equal("Bezahlen mit", picker.QuerySelector("legend")!.TextContent.Trim());
        Assert.Equal("Wählen Sie eine gespeicherte Zahlungsmethode oder fügen Sie eine neue hinzu.", picker.QuerySelector("p.pp-visually-hidden")!.TextContent.Trim());
        var labels = picker.QuerySelectorAll("label").Select(l => l.TextContent.Trim()).ToList();
        Assert.Contains(labels, l => l.StartsWith(Visa, StringComparison.Ordinal) && l.EndsWith("· Standard", StringComparison.Ordinal));
        Assert.Contains(labels, l => l.StartsWith(Expired, StringComparison.Ordinal) && l.EndsWith("· abgelaufen", StringComparison.Ordinal));
        Assert.Contains("Zahlungsmethode hinzufügen", labels);
        foreach (var english in new[] { "Pay with", "default", "expired", "Add a payment method", "Choose a stored method" })
        {
            Assert.DoesNotContain(english, picker.TextContent, StringComparison.Ordinal);
        }
        TextKeys.AssertNoneShown(cut.Markup, Areas);

        // Adding a method: the form's next button waits for it, and the picker says so in German.
        cut.Find("fieldset.pp-picker input[type=radio][id$='-new']").Change(true);
        cut.WaitForAssertion(() => Assert.Equal("Schließen Sie oben das Hinzufügen der Zahlungsmethode ab, um fortzufahren.",
            cut.Find("fieldset.pp-picker [data-testid=picker-next-step]").TextContent.Trim()), Timeout);
        TextKeys.AssertNoneShown(cut.Markup, Areas);
    }

    private static string Notice(IRenderedComponent<PaymentMethodsManager> cut) => cut.Find(".pp-notice[role=status]").TextContent.Trim();
}
