using System.Globalization;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static Portal.Payments.EndToEnd.Tests.Infrastructure.UiText;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>Steps on the portal's payment forms that many browser tests take the same way.</summary>
public static class PaymentFormSteps
{
    /// <summary>The card every happy path pays with.</summary>
    public const string GoodCard = "4242 4242 4242 4242";

    /// <summary>
    /// "Add a payment method" in <paramref name="scope"/>'s method picker (already chosen when nothing is stored), the
    /// sandbox card <paramref name="number"/> typed in with an expiry two years ahead, then Continue.
    /// </summary>
    public static async Task AddCardAsync(ILocator scope, string number = GoodCard, string expiryMonth = "09")
    {
        var addNew = scope.GetByRole(AriaRole.Radio, new() { Name = T("Add a payment method"), Exact = true });
        if (!await addNew.IsCheckedAsync())
        {
            await addNew.CheckAsync();
        }
        await scope.GetByLabel(T("Card number"), new() { Exact = true }).FillAsync(number);
        await scope.GetByLabel(T("Expiry month"), new() { Exact = true }).FillAsync(expiryMonth);
        await scope.GetByLabel(T("Expiry year"), new() { Exact = true }).FillAsync((DateTime.UtcNow.Year + 2).ToString(CultureInfo.InvariantCulture));
        await scope.GetByLabel(T("Security code"), new() { Exact = true }).FillAsync("321");
        await scope.GetByLabel(T("Name on card"), new() { Exact = true }).FillAsync("Pat Payer");
        await scope.GetByLabel(T("Billing postal code"), new() { Exact = true }).FillAsync("94107");
        await scope.GetByRole(AriaRole.Button, new() { Name = T("Continue"), Exact = true }).ClickAsync();
    }

    /// <summary>
    /// Types <paramref name="note"/> into the deposit form until its counter answers (the prerendered form does not react
    /// until the circuit is live); the form itself may take <paramref name="formTimeoutMs"/> to show on a fresh host.
    /// </summary>
    public static async Task TypeDepositNoteWhenInteractiveAsync(IPage page, string note, float? formTimeoutMs = null)
    {
        var field = page.GetByLabel(T("Note (optional)"), new() { Exact = true });
        var counter = page.GetByTestId("note-counter");
        await Expect(field).ToBeVisibleAsync(new() { Timeout = formTimeoutMs });
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await field.FillAsync(note);
            try
            {
                await Expect(counter).ToHaveTextAsync(NoteCount(note), new() { Timeout = 1_000 });
                return;
            }
            catch (PlaywrightException)
            {
                // Prerendered, not interactive yet.
            }
        }
        await Expect(counter).ToHaveTextAsync(NoteCount(note));
    }

    /// <summary>The deposit note's counter: its length of at most 500, counts in the suite's culture.</summary>
    public static string NoteCount(string note) =>
        $"{note.Length.ToString("N0", SuiteLanguage.Culture)} / {500.ToString("N0", SuiteLanguage.Culture)}";
}
