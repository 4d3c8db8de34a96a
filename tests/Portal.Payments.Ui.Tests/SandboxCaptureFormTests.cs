using System.Globalization;
using AngleSharp.Dom;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.TestInfrastructure;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

public class SandboxCaptureFormTests : PortalTestContext
{
    private static readonly string FutureYear = (DateTime.UtcNow.Year + 2).ToString(CultureInfo.InvariantCulture);
    private readonly List<CapturedPaymentMethod> _captured = [];

    public SandboxCaptureFormTests() => AddPortal();

    [Theory]
    [InlineData(PaymentMethodType.Card, "4242 4242 4242 4242", "routing")]
    [InlineData(PaymentMethodType.BankAccount, "routing number 110000000", "4242")]
    public void The_test_number_hint_fits_the_kind_of_method(PaymentMethodType kind, string shown, string notShown)
    {
        var cut = RenderForm(kind);

        var note = cut.Find("[data-testid=sandbox-note]").TextContent;
        Assert.Contains(shown, note);
        Assert.DoesNotContain(notShown, note);
    }

    [Fact]
    public void Card_number_failing_Luhn_shows_the_error_next_to_the_field_and_captures_nothing()
    {
        var cut = RenderForm(PaymentMethodType.Card);

        FillCard(cut, number: "4242 4242 4242 4241");
        Continue(cut);

        var number = Input(cut, "Card number");
        var error = ErrorFor(cut, number);
        Assert.Contains("The card number is not valid", error.TextContent);
        // "Next to the field": the message sits in the field's own wrapper.
        Assert.NotNull(number.ParentElement!.QuerySelector($"#{error.Id}"));
        Assert.Empty(_captured);
    }

    [Fact]
    public void Expired_card_shows_the_card_has_expired()
    {
        var cut = RenderForm(PaymentMethodType.Card);

        FillCard(cut, month: "1", year: "2020");
        Continue(cut);

        var error = ErrorFor(cut, Input(cut, "Expiry month"));
        Assert.Equal("The card has expired.", error.TextContent.Trim());
        Assert.Equal(error.Id, ErrorFor(cut, Input(cut, "Expiry year")).Id);
        Assert.Empty(_captured);
    }

    [Fact]
    public void Valid_card_calls_OnCaptured_once_with_a_token_free_of_the_number_and_security_code()
    {
        var cut = RenderForm(PaymentMethodType.Card);

        FillCard(cut);
        Continue(cut);

        var method = Assert.Single(_captured);
        Assert.Equal(PaymentMethodType.Card, method.Type);
        Assert.False(string.IsNullOrWhiteSpace(method.CaptureToken));
        foreach (var text in new[] { method.CaptureToken, CaptureTokens.Decode(method.CaptureToken) })
        {
            Assert.DoesNotContain("4242424242424242", text, StringComparison.Ordinal);
            Assert.DoesNotContain("4242 4242 4242 4242", text, StringComparison.Ordinal);
        }
        Assert.All(CaptureTokens.Values(method.CaptureToken), text => Assert.DoesNotContain("123", text, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[role=alert]"));
    }

    [Fact]
    public void Bank_account_numbers_that_differ_show_do_not_match()
    {
        var cut = RenderForm(PaymentMethodType.BankAccount);

        FillBank(cut, account: "000123456789", confirm: "000123456780");
        Continue(cut);

        var error = ErrorFor(cut, Input(cut, "Confirm account number"));
        Assert.Equal("The account numbers do not match.", error.TextContent.Trim());
        Assert.Empty(_captured);
    }

    [Fact]
    public void Bank_routing_number_failing_the_checksum_shows_the_routing_error()
    {
        var cut = RenderForm(PaymentMethodType.BankAccount);

        FillBank(cut, routing: "123456789");
        Continue(cut);

        var error = ErrorFor(cut, Input(cut, "Routing number"));
        Assert.Contains("The routing number is not valid", error.TextContent);
        Assert.Empty(_captured);
    }

    [Fact]
    public void Valid_bank_account_calls_OnCaptured_with_type_BankAccount()
    {
        var cut = RenderForm(PaymentMethodType.BankAccount);

        FillBank(cut);
        Continue(cut);

        var method = Assert.Single(_captured);
        Assert.Equal(PaymentMethodType.BankAccount, method.Type);
        Assert.DoesNotContain("000123456789", CaptureTokens.Decode(method.CaptureToken), StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[role=alert]"));
    }

    [Fact]
    public void Bank_form_has_no_card_fields_and_card_form_has_no_bank_fields()
    {
        var bank = RenderForm(PaymentMethodType.BankAccount);
        Assert.Equal("Bank account details", bank.Find("[role=group]").GetAttribute("aria-label"));
        Assert.DoesNotContain(bank.FindAll("label"), l => l.TextContent == "Card number");

        var card = RenderForm(PaymentMethodType.Card);
        Assert.Equal("Card details", card.Find("[role=group]").GetAttribute("aria-label"));
        Assert.DoesNotContain(card.FindAll("label"), l => l.TextContent == "Routing number");
    }

    [Fact]
    public void German_sandbox_texts_have_every_English_text_with_the_same_placeholders() =>
        ResourceTexts.AssertGermanMatchesEnglish([SandboxText.Resources], atLeast: 40);

    [Fact]
    public void A_German_user_reads_the_card_form_in_German_and_every_problem_at_once_in_German()
    {
        using var _ = TestCulture.Use("de-DE");
        var cut = RenderForm(PaymentMethodType.Card, onCancelled: () => Task.CompletedTask);

        Assert.Equal("Kartendaten", cut.Find("[role=group]").GetAttribute("aria-label"));
        Assert.StartsWith("Sandbox-Gateway: Verwenden Sie Testnummern wie 4242 4242 4242 4242", cut.Find("[data-testid=sandbox-note]").TextContent.Trim(), StringComparison.Ordinal);
        Assert.Equal(
            ["Kartennummer", "Ablaufmonat", "Ablaufjahr", "Prüfnummer", "Name auf der Karte", "PLZ der Rechnungsadresse"],
            cut.FindAll("label").Select(l => l.TextContent.Trim()));
        Assert.Equal("JJJJ", Input(cut, "Ablaufjahr").GetAttribute("placeholder"));
        Assert.Equal(["Weiter", "Abbrechen"], cut.FindAll("button").Select(b => b.TextContent.Trim()));

        Input(cut, "Kartennummer").Change("4242 4242 4242 4241");
        Input(cut, "Ablaufmonat").Change("ab");
        Input(cut, "Ablaufjahr").Change(FutureYear);
        Input(cut, "Prüfnummer").Change("12");
        Press(cut, "Weiter");

        Assert.Equal("Die Kartennummer ist ungültig. Prüfen Sie die Ziffern.", ErrorFor(cut, Input(cut, "Kartennummer")).TextContent.Trim());
        Assert.Equal("Geben Sie den Ablaufmonat (1–12) und das vierstellige Jahr ein.", ErrorFor(cut, Input(cut, "Ablaufmonat")).TextContent.Trim());
        Assert.Equal("Die Prüfnummer muss 3 Ziffern haben (4 bei American Express).", ErrorFor(cut, Input(cut, "Prüfnummer")).TextContent.Trim());
        Assert.Equal("Geben Sie den Namen auf der Karte ein.", ErrorFor(cut, Input(cut, "Name auf der Karte")).TextContent.Trim());
        AssertNoEnglish(cut);
        Assert.Empty(_captured);
    }

    [Fact]
    public void A_German_user_reads_an_expired_American_Express_card_and_its_four_digit_code_in_German()
    {
        using var _ = TestCulture.Use("de-DE");
        var cut = RenderForm(PaymentMethodType.Card);

        Input(cut, "Kartennummer").Change("3782 822463 10005");
        Input(cut, "Ablaufmonat").Change("1");
        Input(cut, "Ablaufjahr").Change("2020");
        Input(cut, "Prüfnummer").Change("123");
        Input(cut, "Name auf der Karte").Change("Erika Mustermann");
        Press(cut, "Weiter");

        Assert.Equal("Die Karte ist abgelaufen.", ErrorFor(cut, Input(cut, "Ablaufjahr")).TextContent.Trim());
        Assert.Equal("Die Prüfnummer muss 4 Ziffern haben.", ErrorFor(cut, Input(cut, "Prüfnummer")).TextContent.Trim());
        AssertNoEnglish(cut);
        Assert.Empty(_captured);
    }

    [Fact]
    public void A_German_user_reads_the_bank_form_in_German_and_its_problems_in_German()
    {
        using var _ = TestCulture.Use("de-DE");
        var cut = RenderForm(PaymentMethodType.BankAccount);

        Assert.Equal("Bankkontodaten", cut.Find("[role=group]").GetAttribute("aria-label"));
        Assert.Contains(
            $"({SandboxGateway.ReturnedBankAccount} wird von der Bank zurückgebucht)", cut.Find("[data-testid=sandbox-note]").TextContent, StringComparison.Ordinal);
        Assert.Equal(
            ["Name des Kontoinhabers", "Routingnummer (ABA)", "Kontonummer", "Kontonummer bestätigen", "Kontoart", "Art des Kontoinhabers"],
            cut.FindAll("label").Select(l => l.TextContent.Trim()));
        Assert.Equal(["Girokonto", "Sparkonto", "Geschäftlich", "Privat"], cut.FindAll("option").Select(o => o.TextContent.Trim()));

        Input(cut, "Routingnummer (ABA)").Change("123456789");
        Input(cut, "Kontonummer").Change("12");
        Press(cut, "Weiter");

        Assert.Equal("Die Routingnummer ist ungültig: Sie muss 9 Ziffern haben und die ABA-Prüfsumme erfüllen.", ErrorFor(cut, Input(cut, "Routingnummer (ABA)")).TextContent.Trim());
        Assert.Equal("Die Kontonummer muss 4 bis 17 Ziffern haben.", ErrorFor(cut, Input(cut, "Kontonummer")).TextContent.Trim());
        Assert.Equal("Geben Sie den Namen des Kontoinhabers ein.", ErrorFor(cut, Input(cut, "Name des Kontoinhabers")).TextContent.Trim());
        AssertNoEnglish(cut);

        Input(cut, "Routingnummer (ABA)").Change("110000000");
        Input(cut, "Kontonummer").Change("000123456789");
        Input(cut, "Kontonummer bestätigen").Change("000123456780");
        Input(cut, "Name des Kontoinhabers").Change("Muster GmbH");
        Press(cut, "Weiter");

        Assert.Equal("Die Kontonummern stimmen nicht überein.", ErrorFor(cut, Input(cut, "Kontonummer bestätigen")).TextContent.Trim());
        Assert.Empty(_captured);
    }

    [Theory]
    [InlineData("Zahlung bestätigen", "Die Bestätigung ist abgelaufen.")]
    [InlineData("Nicht bestätigen", "Sie haben die Zahlung nicht bestätigt.")]
    public void A_German_user_confirms_with_the_sandbox_bank_in_German(string button, string message)
    {
        using var _ = TestCulture.Use("de-DE");
        CustomerActionOutcome? outcome = null;
        // Not a sandbox action: the gateway records nothing, so even a confirmation comes back as expired.
        var cut = Render<SandboxCaptureForm>(p => p
            .Add(x => x.CustomerAction, "unknown")
            .Add(x => x.OnCustomerActionCompleted, o =>
            {
                outcome = o;
                return Task.CompletedTask;
            }));

        var group = cut.Find("[data-testid=sandbox-bank-confirmation]");
        Assert.Equal("Zahlung bei Ihrer Bank bestätigen", group.GetAttribute("aria-label"));
        Assert.Equal("Sandbox-Bank: Ihre kartenausgebende Bank bittet Sie, diese Zahlung zu bestätigen (3-D Secure).", group.QuerySelector("p")!.TextContent.Trim());
        AssertNoEnglish(cut);

        Press(cut, button);

        Assert.False(outcome!.Completed);
        Assert.Equal(message, outcome.Message);
    }

    /// <summary>
    /// No English text of the sandbox (other than one that reads the same in German, "MM") is shown or read out (text,
    /// aria-label, placeholder, title), and no text key either.
    /// </summary>
    private static void AssertNoEnglish(IRenderedComponent<SandboxCaptureForm> cut)
    {
        var shown = string.Join('\n', cut.Nodes.Select(n => n.TextContent)
            .Concat(cut.FindAll("*").SelectMany(e => new[] { e.GetAttribute("aria-label"), e.GetAttribute("placeholder"), e.GetAttribute("title") }).OfType<string>()));
        var german = ResourceTexts.Of([SandboxText.Resources], CultureInfo.GetCultureInfo("de"));
        foreach (var (key, english) in ResourceTexts.Of([SandboxText.Resources], CultureInfo.InvariantCulture).Where(t => t.Value != german[t.Key]))
        {
            var fixedPart = english.Split('{')[0];
            Assert.False(shown.Contains(fixedPart, StringComparison.Ordinal), $"{key} is shown in English: \"{fixedPart}\"");
        }
        Assert.DoesNotMatch(@"Sandbox(Form|Check)\.[A-Z]", shown);
    }

    private IRenderedComponent<SandboxCaptureForm> RenderForm(PaymentMethodType kind, Func<Task>? onCancelled = null) =>
        Render<SandboxCaptureForm>(p => p
            .Add(x => x.Kind, kind)
            .Add(x => x.OnCancelled, onCancelled)
            .Add(x => x.OnCaptured, m =>
            {
                _captured.Add(m);
                return Task.CompletedTask;
            }));

    private static void FillCard(
        IRenderedComponent<SandboxCaptureForm> cut,
        string number = "4242 4242 4242 4242",
        string month = "12",
        string? year = null,
        string cvc = "123",
        string holder = "Jane Doe")
    {
        Input(cut, "Card number").Change(number);
        Input(cut, "Expiry month").Change(month);
        Input(cut, "Expiry year").Change(year ?? FutureYear);
        Input(cut, "Security code").Change(cvc);
        Input(cut, "Name on card").Change(holder);
        Input(cut, "Billing postal code").Change("94107");
    }

    private static void FillBank(
        IRenderedComponent<SandboxCaptureForm> cut,
        string routing = "110000000",
        string account = "000123456789",
        string? confirm = null)
    {
        Input(cut, "Account holder name").Change("Acme Industrial Supply");
        Input(cut, "Routing number").Change(routing);
        Input(cut, "Account number").Change(account);
        Input(cut, "Confirm account number").Change(confirm ?? account);
    }

    private static void Continue(IRenderedComponent<SandboxCaptureForm> cut) => Press(cut, "Continue");

    private static void Press(IRenderedComponent<SandboxCaptureForm> cut, string button) =>
        Assert.Single(cut.FindAll("button"), b => b.TextContent.Trim() == button).Click();

    /// <summary>The input a visible label names (label[for] → id), as a person or screen reader finds it.</summary>
    private static IElement Input(IRenderedComponent<SandboxCaptureForm> cut, string label)
    {
        var l = Assert.Single(cut.FindAll("label"), x => x.TextContent.Trim() == label);
        var id = l.GetAttribute("for");
        Assert.False(string.IsNullOrEmpty(id), $"The label '{label}' is not tied to an input.");
        return cut.Find($"#{id}");
    }

    /// <summary>The error message the field points at through aria-describedby.</summary>
    private static IElement ErrorFor(IRenderedComponent<SandboxCaptureForm> cut, IElement input)
    {
        var describedBy = input.GetAttribute("aria-describedby");
        Assert.False(string.IsNullOrEmpty(describedBy), $"#{input.Id} points at no error message:\n{cut.Markup}");
        var error = cut.Find($"#{describedBy}");
        Assert.Equal("alert", error.GetAttribute("role"));
        return error;
    }
}
