using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// Scheduled payments in Chromium against the sample host (test-only clock, 1 s runner interval): schedule two
/// invoices for a date, see them Scheduled, cancel one, advance the host's clock, and see the other charged
/// and its emails in the Mailbox page.
/// </summary>
/// <remarks>Pat works on the Acme account, which other test classes share: rows are found by number, never by position.</remarks>
public sealed class ScheduledPaymentsBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    [Fact]
    public Task Schedule_two_invoices_cancel_one_advance_the_clock_and_the_other_is_charged_and_emailed() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        var today = DateOnly.FromDateTime((await HostNowAsync(page)).UtcDateTime);
        var date = today.AddDays(3);
        await OpenInvoicesAsync(page);

        var numbers = await FirstSelectableInvoicesAsync(page, 2);
        var kept = await ScheduleAsync(page, numbers[0], date, addCard: true);
        var cancelled = await ScheduleAsync(page, numbers[1], date, addCard: false);

        // Both show Scheduled with the date.
        foreach (var n in numbers)
        {
            await SearchAsync(page, n);
            await Expect(InvoiceGridSteps.Statuses(page)).ToHaveTextAsync([T("Scheduled {0}", date.ToString("d", SuiteLanguage.Culture))]);
            // The whole status shows, date included (it was cut to "Scheduled 1/…" in its column's width).
            Assert.True(await InvoiceGridSteps.Statuses(page).EvaluateAsync<bool>("e => e.scrollWidth <= e.clientWidth"),
                "The scheduled status is cut off in its cell.");
        }
        await AssertAccessibleAsync(page);

        // Cancel the second: its row is selectable, and it is open again.
        await SearchAsync(page, numbers[1]);
        await page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", numbers[1]), Exact = true }).CheckAsync();
        await InvoiceGridSteps.ChooseActionAsync(page, T("Cancel scheduled payment…"));
        // A confirmation names the payment first; the whole payment goes (it holds only this invoice).
        await Expect(page.GetByTestId("cancel-plan")).ToContainTextAsync(cancelled);
        await page.GetByTestId("cancel-confirm").ClickAsync();
        await Expect(page.GetByText(T("Payment {0} is cancelled; its invoice is open again.", cancelled))).ToBeVisibleAsync();
        // The dialog went with the selection and its Actions button: the grid has the focus, not the page's top.
        await Expect(page.GetByTestId("cancel-dialog")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("grid-grid").Locator("[role=grid]")).ToBeFocusedAsync();
        await Expect(InvoiceGridSteps.Statuses(page)).ToHaveTextAsync([T("Open")]);
        await AssertAccessibleAsync(page);

        // The payment date arrives: the runner charges the first.
        var advanced = await page.APIRequest.PostAsync($"{Host.BaseUrl}/test/clock/advance?days=3");
        Assert.Equal(200, advanced.Status);

        var mailbox = page.GetByTestId("mailbox");
        // The emails are written in the payer's language.
        var received = TKey("Email.Subject.PaymentReceived", "Payment received: {0}", kept);
        for (var attempt = 0; attempt < 20 && await mailbox.GetByText(received).CountAsync() == 0; attempt++)
        {
            await page.GotoAsync($"{Host.BaseUrl}/mailbox");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = HostT("Mailbox.Heading", "Mailbox"), Level = 1 })).ToBeVisibleAsync();
            await page.WaitForTimeoutAsync(1_000);
        }
        await Expect(mailbox.GetByText(received)).ToBeVisibleAsync();
        await Expect(mailbox.GetByText(TKeyPattern("Email.Subject.Scheduled", "Payment scheduled for {0}: {1} ({2})", null, null, kept))).ToBeVisibleAsync();
        await Expect(mailbox.GetByText(TKeyPattern("Email.Subject.Cancelled", "Scheduled payment cancelled: {0} ({1})", null, cancelled))).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);
    });

    [Fact]
    public Task A_past_date_typed_into_the_schedule_panel_stays_in_the_box_and_is_explained_beside_it() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        var today = DateOnly.FromDateTime((await HostNowAsync(page)).UtcDateTime);
        await OpenInvoicesAsync(page);
        var number = (await FirstSelectableInvoicesAsync(page, 1)).Single();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", number), Exact = true }).CheckAsync();
        await InvoiceGridSteps.ChooseActionAsync(page, T("Schedule payment"));
        var panel = page.GetByTestId("schedule-panel");
        var confirm = panel.GetByRole(AriaRole.Button, new() { Name = T("Confirm scheduled payment"), Exact = true });
        await Expect(confirm).ToBeVisibleAsync();

        // Yesterday, typed: the calendar does not offer it, and Radzen alone would empty the box without a word.
        var dateBox = panel.GetByLabel(T("Payment date"), new() { Exact = true });
        var yesterday = today.AddDays(-1).ToString("d", SuiteLanguage.Culture);
        await dateBox.FillAsync(yesterday);
        await dateBox.PressAsync("Tab");
        var error = panel.GetByTestId("schedule-date-error");
        await Expect(error).ToHaveTextAsync(TKeyPattern("Error.ScheduleDatePast", "{0:MMMM d, yyyy} is in the past. Choose a date from {1:MMMM d, yyyy}.", null, null));
        await Expect(dateBox).ToHaveValueAsync(yesterday);
        await Expect(dateBox).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(confirm).ToHaveCountAsync(0);
        await AssertAccessibleAsync(page);

        // Text that is no date: kept too, with the way to write one.
        await dateBox.FillAsync("soon");
        await dateBox.PressAsync("Tab");
        await Expect(error).ToHaveTextAsync(TKeyPattern("Error.ScheduleDateMissing", "Enter the payment date as a calendar date, for example {0}.", (string?)null));
        await Expect(dateBox).ToHaveValueAsync("soon");

        // A date it offers: the error goes and the payment can be confirmed.
        var later = today.AddDays(3).ToString("d", SuiteLanguage.Culture);
        await dateBox.FillAsync(later);
        await dateBox.PressAsync("Tab");
        await Expect(error).ToHaveCountAsync(0);
        await Expect(dateBox).ToHaveAttributeAsync("aria-invalid", "false");
        await Expect(confirm).ToBeEnabledAsync();
        await panel.GetByRole(AriaRole.Button, new() { Name = T("Cancel"), Exact = true }).ClickAsync();
    });

    [Fact]
    public Task A_payment_for_two_invoices_moves_to_another_date_and_loses_one_invoice_on_the_scheduled_payments_page() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        var today = DateOnly.FromDateTime((await HostNowAsync(page)).UtcDateTime);
        await OpenInvoicesAsync(page);
        var numbers = await FirstSelectableInvoicesAsync(page, 2);
        Assert.Equal(2, numbers.Count);
        var reference = await ScheduleAsync(page, numbers, today.AddDays(4), addCard: true);

        // The Scheduled payments page lists it: its date, both invoices, and an amount that is their sum.
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
        await nav.GetByRole(AriaRole.Link, new() { Name = T("Scheduled payments"), Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Host.BaseUrl + "/portal/scheduled");
        var payment = page.GetByTestId("scheduled-payment").Filter(new() { Has = page.GetByTestId("scheduled-reference").GetByText(reference, new() { Exact = true }) });
        await Expect(payment).ToHaveCountAsync(1);
        await Expect(payment.GetByTestId("scheduled-date")).ToHaveTextAsync(ShortDate(today.AddDays(4)));
        var items = await ItemsAsync(payment);
        Assert.Equal(numbers.Order(StringComparer.Ordinal), items.Keys.Order(StringComparer.Ordinal));
        var amount = MoneyText.Parse(await payment.GetByTestId("scheduled-amount").InnerTextAsync());
        Assert.Equal(items.Values.Sum(), amount.Amount);
        await AssertAccessibleAsync(page);

        // A later date: the amount for that date shows before saving, then the list and the payment's row say what changed.
        await payment.GetByTestId("scheduled-change").ClickAsync();
        var form = payment.GetByTestId("scheduled-change-form");
        var dateBox = form.GetByLabel(T("Payment date"), new() { Exact = true });
        // As in the schedule panel, the box names the dates it takes.
        await Expect(dateBox).ToHaveAttributeAsync("aria-describedby", await form.GetByTestId("schedule-window").GetAttributeAsync("id") ?? "(no id)");
        var later = today.AddDays(9);
        await dateBox.FillAsync(later.ToString("d", SuiteLanguage.Culture));
        await dateBox.PressAsync("Tab");
        await Expect(form.GetByTestId("scheduled-new-amount")).ToBeVisibleAsync();
        var save = form.GetByTestId("scheduled-save");
        await Expect(save).ToBeEnabledAsync();
        await AssertAccessibleAsync(page);
        await save.ClickAsync();
        var changed = payment.GetByTestId("scheduled-changed");
        await Expect(changed).ToContainTextAsync(reference);
        await Expect(payment.GetByTestId("scheduled-date")).ToHaveTextAsync(ShortDate(later));
        await Expect(form).ToHaveCountAsync(0);
        // The form took the focus with it: the row's message has it (it fell to the page before).
        await Expect(changed).ToBeFocusedAsync();

        // Untick the first invoice: only the second is cancelled, and the dialog names what stays and when.
        var kept = numbers[0];
        var dropped = numbers[1];
        await payment.Locator(".pp-check").Filter(new() { HasText = kept }).GetByTestId("scheduled-item-check").UncheckAsync();
        var cancel = payment.GetByTestId("scheduled-cancel");
        await Expect(cancel).ToContainTextAsync(T("Cancel 1 ticked invoice…"));
        await cancel.ClickAsync();
        var dialog = page.GetByTestId("cancel-dialog");
        await Expect(dialog.GetByTestId("cancel-item")).ToHaveCountAsync(1);
        await Expect(dialog.GetByTestId("cancel-item")).ToContainTextAsync(dropped);
        await Expect(dialog.GetByTestId("cancel-partial")).ToContainTextAsync(new MoneyText(amount.Currency, items[kept]).ToString());
        await AssertAccessibleAsync(page);
        await dialog.GetByTestId("cancel-confirm").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("scheduled-notice")).ToContainTextAsync(reference);

        // The payment keeps one invoice and charges its amount; the other invoice is open again on the grid.
        var remaining = await ItemsAsync(payment);
        Assert.Equal([kept], remaining.Keys);
        await Expect(payment.GetByTestId("scheduled-amount")).ToHaveTextAsync(new MoneyText(amount.Currency, items[kept]).ToString());
        await OpenInvoicesAsync(page);
        await SearchAsync(page, dropped);
        await Expect(InvoiceGridSteps.Statuses(page)).ToHaveTextAsync([T("Open")]);
        await SearchAsync(page, kept);
        await Expect(InvoiceGridSteps.Statuses(page)).ToHaveTextAsync([T("Scheduled {0}", later.ToString("d", SuiteLanguage.Culture))]);

        // Cancelling the rest from the page leaves nothing of it scheduled (nor charged later in the suite).
        await nav.GetByRole(AriaRole.Link, new() { Name = T("Scheduled payments"), Exact = true }).ClickAsync();
        await Expect(payment.GetByTestId("scheduled-cancel")).ToContainTextAsync(T("Cancel payment…"));
        await payment.GetByTestId("scheduled-cancel").ClickAsync();
        await Expect(dialog.GetByTestId("cancel-whole")).ToContainTextAsync(reference);
        await dialog.GetByTestId("cancel-confirm").ClickAsync();
        await Expect(payment).ToHaveCountAsync(0);
        await OpenInvoicesAsync(page);
        await SearchAsync(page, kept);
        await Expect(InvoiceGridSteps.Statuses(page)).ToHaveTextAsync([T("Open")]);
    });

    // Walk (scheduled payments, keyboard): Enter on a payment's Change left the focus on the button, the form opening out
    // of sight below the invoices. Then the clerk thought better of it and cancelled the payment instead. The list kept the gone payment's form as open, which held back every focus move: the focus fell to
    // the page's top, not to the notice saying what was cancelled.
    [Fact]
    public Task The_change_form_takes_the_focus_and_cancelling_its_payment_closes_it_and_focuses_the_notice() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        var today = DateOnly.FromDateTime((await HostNowAsync(page)).UtcDateTime);
        await OpenInvoicesAsync(page);
        var number = (await FirstSelectableInvoicesAsync(page, 1)).Single();
        var reference = await ScheduleAsync(page, number, today.AddDays(5), addCard: true);

        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
        await nav.GetByRole(AriaRole.Link, new() { Name = T("Scheduled payments"), Exact = true }).ClickAsync();
        var payment = page.GetByTestId("scheduled-payment").Filter(new() { Has = page.GetByTestId("scheduled-reference").GetByText(reference, new() { Exact = true }) });
        await Expect(payment).ToHaveCountAsync(1);
        // Enter on Change: the form opens below the invoices and its date box has the focus (it stayed on the button).
        await payment.GetByTestId("scheduled-change").PressAsync("Enter");
        var form = payment.GetByTestId("scheduled-change-form");
        await Expect(form).ToBeVisibleAsync();
        await Expect(form.GetByLabel(T("Payment date"), new() { Exact = true })).ToBeFocusedAsync();
        await AssertAccessibleAsync(page);

        await payment.GetByTestId("scheduled-cancel").ClickAsync();
        var dialog = page.GetByTestId("cancel-dialog");
        await Expect(dialog.GetByTestId("cancel-whole")).ToContainTextAsync(reference);
        await dialog.GetByTestId("cancel-confirm").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(payment).ToHaveCountAsync(0);
        var notice = page.GetByTestId("scheduled-notice");
        await Expect(notice).ToContainTextAsync(reference);
        await Expect(notice).ToBeFocusedAsync();
        await AssertAccessibleAsync(page);
    });

    // Walk (scheduled payments, keyboard, English and German): Escape in the change form did nothing; it has to cancel the
    // form and put the focus back on Change, but an Escape that closes the open calendar closes only the calendar.
    [Fact]
    public Task Escape_closes_the_calendar_first_then_cancels_the_change_form_back_to_its_Change_button() => RunPageTest(async page =>
    {
        var (payment, dateShown) = await ScheduledPaymentAsync(page, daysAhead: 6);
        var change = payment.GetByTestId("scheduled-change");
        await change.PressAsync("Enter");
        var form = payment.GetByTestId("scheduled-change-form");
        var dateBox = form.GetByLabel(T("Payment date"), new() { Exact = true });
        await Expect(dateBox).ToBeFocusedAsync();

        // Alt+Down opens the calendar; Escape closes it and the form stays, the focus in its date box.
        var calendar = page.Locator("[id^='popup']:visible");
        await dateBox.PressAsync("Alt+ArrowDown");
        await Expect(calendar).ToHaveCountAsync(1);
        await page.Keyboard.PressAsync("Escape");
        await Expect(calendar).ToHaveCountAsync(0);
        await Expect(form).ToBeVisibleAsync();
        await Expect(dateBox).ToBeFocusedAsync();

        // Escape again: the form is cancelled, nothing changed, and Change has the focus back.
        await dateBox.PressAsync("Escape");
        await Expect(form).ToHaveCountAsync(0);
        await Expect(change).ToBeFocusedAsync();
        await Expect(payment.GetByTestId("scheduled-date")).ToHaveTextAsync(dateShown);
        await Expect(payment.GetByTestId("scheduled-changed")).ToHaveCountAsync(0);

        // From another of its fields too (a method's radio button).
        await change.PressAsync("Enter");
        await Expect(dateBox).ToBeFocusedAsync();
        var method = form.Locator("[data-testid='picker-option']:checked");
        await method.FocusAsync();
        await method.PressAsync("Escape");
        await Expect(form).ToHaveCountAsync(0);
        await Expect(change).ToBeFocusedAsync();
        await AssertAccessibleAsync(page);
    });

    // Walk (scheduled payments, keyboard, English and German): Enter in the change form's date box opened the calendar
    // instead of saving, as Enter does in any other box of a form; Alt+Down is the calendar's key.
    [Fact]
    public Task Enter_in_the_change_forms_date_box_saves_the_change_without_opening_the_calendar() => RunPageTest(async page =>
    {
        var today = DateOnly.FromDateTime((await HostNowAsync(page)).UtcDateTime);
        var (payment, _) = await ScheduledPaymentAsync(page, daysAhead: 7);
        await payment.GetByTestId("scheduled-change").PressAsync("Enter");
        var form = payment.GetByTestId("scheduled-change-form");
        var dateBox = form.GetByLabel(T("Payment date"), new() { Exact = true });
        await Expect(dateBox).ToBeFocusedAsync();

        var later = today.AddDays(10);
        await dateBox.FillAsync(ShortDate(later));
        await dateBox.PressAsync("Tab");
        await Expect(form.GetByTestId("scheduled-new-amount")).ToBeVisibleAsync();
        await Expect(form.GetByTestId("scheduled-save")).ToBeEnabledAsync();
        await dateBox.FocusAsync();
        await dateBox.PressAsync("Enter");

        var changed = payment.GetByTestId("scheduled-changed");
        await Expect(changed).ToBeFocusedAsync();
        await Expect(form).ToHaveCountAsync(0);
        await Expect(page.Locator("[id^='popup']:visible")).ToHaveCountAsync(0);
        await Expect(payment.GetByTestId("scheduled-date")).ToHaveTextAsync(ShortDate(later));
        await AssertAccessibleAsync(page);
    });

    /// <summary>Schedules the first selectable invoice <paramref name="daysAhead"/> days ahead and shows it on the Scheduled payments page.</summary>
    private async Task<(ILocator Payment, string DateShown)> ScheduledPaymentAsync(IPage page, int daysAhead)
    {
        await SignInAsync(page, Users.Pat);
        var today = DateOnly.FromDateTime((await HostNowAsync(page)).UtcDateTime);
        await OpenInvoicesAsync(page);
        var number = (await FirstSelectableInvoicesAsync(page, 1)).Single();
        var reference = await ScheduleAsync(page, number, today.AddDays(daysAhead), addCard: true);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
        await nav.GetByRole(AriaRole.Link, new() { Name = T("Scheduled payments"), Exact = true }).ClickAsync();
        var payment = page.GetByTestId("scheduled-payment").Filter(new() { Has = page.GetByTestId("scheduled-reference").GetByText(reference, new() { Exact = true }) });
        await Expect(payment).ToHaveCountAsync(1);
        return (payment, ShortDate(today.AddDays(daysAhead)));
    }

    /// <summary>The invoices a listed scheduled payment holds, with the amount each applies ("INV-1 · USD 10.00").</summary>
    private static async Task<Dictionary<string, decimal>> ItemsAsync(ILocator payment)
    {
        var items = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var label in await payment.Locator(".pp-scheduled-items label").AllInnerTextsAsync())
        {
            var parts = label.Split('·', 2, StringSplitOptions.TrimEntries);
            Assert.Equal(2, parts.Length);
            items[parts[0]] = MoneyText.Parse(parts[1]).Amount;
        }
        return items;
    }

    /// <summary>A date as the list shows it (the user's short date pattern).</summary>
    private static string ShortDate(DateOnly date) => date.ToString("d", SuiteLanguage.Culture);

    /// <summary>Selects one invoice, schedules it for <paramref name="date"/> and returns the payment's reference.</summary>
    private Task<string> ScheduleAsync(IPage page, string number, DateOnly date, bool addCard) => ScheduleAsync(page, [number], date, addCard);

    /// <summary>Selects <paramref name="numbers"/>, schedules them in one payment for <paramref name="date"/> and returns its reference.</summary>
    private async Task<string> ScheduleAsync(IPage page, IReadOnlyList<string> numbers, DateOnly date, bool addCard)
    {
        foreach (var number in numbers)
        {
            // Found by search unless it is on the page already (a search would clear what was ticked before).
            var box = page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", number), Exact = true });
            if (!await box.IsVisibleAsync())
            {
                await SearchAsync(page, number);
            }
            await box.CheckAsync();
        }
        await InvoiceGridSteps.ChooseActionAsync(page, T("Schedule payment"));
        var panel = page.GetByTestId("schedule-panel");
        await Expect(panel.GetByTestId("pay-line")).ToHaveCountAsync(numbers.Count);

        var dateBox = panel.GetByLabel(T("Payment date"), new() { Exact = true });
        // The schedule panel's date picker reads and shows dates in the user's short date pattern ("12/4/2026", "04.12.2026").
        var text = date.ToString("d", SuiteLanguage.Culture);
        await dateBox.FillAsync(text);
        await dateBox.PressAsync("Tab");
        await Expect(panel.GetByRole(AriaRole.Columnheader, new() { Name = T("Discount on {0}", date.ToString("d", SuiteLanguage.Culture)), Exact = true })).ToBeVisibleAsync();
        await Expect(dateBox).ToHaveValueAsync(text);
        await AssertAccessibleAsync(page);

        if (addCard)
        {
            await PaymentFormSteps.AddCardAsync(panel);
        }
        else
        {
            // A saved method: the default is chosen already; without one, the first usable (an expired card is disabled).
            await Expect(panel.GetByTestId("picker-option").First).ToBeVisibleAsync();
            if (await panel.Locator("[data-testid='picker-option']:checked").CountAsync() == 0)
            {
                await panel.Locator("[data-testid='picker-option']:enabled").First.CheckAsync();
            }
        }
        var confirm = panel.GetByRole(AriaRole.Button, new() { Name = T("Confirm scheduled payment"), Exact = true });
        await Expect(confirm).ToBeEnabledAsync();
        await confirm.ClickAsync();

        var confirmation = panel.GetByTestId("schedule-confirmation");
        await Expect(confirmation).ToBeVisibleAsync();
        // The confirmation replaced the confirm button: it has the focus (it fell to the page's top).
        await Expect(confirmation).ToBeFocusedAsync();
        var reference = (await confirmation.GetByTestId("schedule-reference").InnerTextAsync()).Trim();
        Assert.Matches("^R-\\d{6}-[0-9A-Z]{6}$", reference);
        await AssertAccessibleAsync(page);
        await confirmation.GetByRole(AriaRole.Button, new() { Name = T("Close"), Exact = true }).ClickAsync();
        return reference;
    }

    private async Task<DateTimeOffset> HostNowAsync(IPage page)
    {
        var response = await page.APIRequest.GetAsync($"{Host.BaseUrl}/test/clock");
        Assert.Equal(200, response.Status);
        using var json = JsonDocument.Parse(await response.TextAsync());
        return json.RootElement.GetProperty("utcNow").GetDateTimeOffset();
    }

    private async Task OpenInvoicesAsync(IPage page)
    {
        var payments = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
        await payments.GetByRole(AriaRole.Link, new() { Name = T("Open invoices"), Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Host.BaseUrl + "/portal/invoices");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Open invoices"), Level = 1 })).ToBeVisibleAsync();
        await Expect(Numbers(page).First).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);
    }

    private static async Task<List<string>> FirstSelectableInvoicesAsync(IPage page, int count)
    {
        await SearchAsync(page, "INV-");
        return await InvoiceGridSteps.FirstSelectableAsync(page, count);
    }

    private static ILocator Numbers(IPage page) => InvoiceGridSteps.Numbers(page);

    private static Task SearchAsync(IPage page, string text) => InvoiceGridSteps.SearchAsync(page, text);
}
