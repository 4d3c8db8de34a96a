using System.Text;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Portal.Payments.Gateways.Stripe.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.Gateways.Stripe.Tests.EndToEnd;

/// <summary>
/// The sample host switched to Stripe by configuration, in Chromium: cards typed into Stripe's frame and bank accounts
/// linked through Stripe's window are saved by their <c>pm_…</c> id only; bank accounts carry the signed ACH authorization
/// as the mandate; invoices are paid with PaymentIntents; a decline leaves the invoices open with the reason. Afterwards
/// no card or account number is in the host's database or log.
/// </summary>
[Collection(StripeHostCollection.Name)]
public sealed partial class StripeBrowserTests(StripeHostFixture host, ITestOutputHelper output)
{
    internal const string Card = "4242424242424242";
    private const string DecliningCard = "4000000000000341";
    private const string BankAccount = "000123456789";
    private const string ThreeDSecureCard = "4000002760003184";

    static StripeBrowserTests() => SetDefaultExpectTimeout(20_000);

    [Fact]
    public Task A_payer_adds_a_card_typed_into_Stripe_s_frame_and_only_its_pm_id_reaches_the_portal() => RunAsync(async page =>
    {
        var nickname = "Stripe card " + Guid.NewGuid().ToString("N")[..6];
        var year = DateTime.UtcNow.Year + 3;
        await SignInAsync(page, "pat");
        await OpenPaymentMethodsAsync(page);
        await OpenAddFormAsync(page);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true })).ToBeEnabledAsync();
        await AssertAccessibleAsync(page, "add card form with Stripe's frame");

        await page.GetByLabel("Nickname (optional)", new() { Exact = true }).FillAsync(nickname);
        await page.GetByLabel("Name on card", new() { Exact = true }).FillAsync("Pat Payer");
        await TypeCardAsync(page, Card, $"12 / {year % 100:00}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true }).ClickAsync();

        await Expect(Notice(page)).ToHaveTextAsync("Visa •••• 4242 was added.");
        var row = Row(page, nickname);
        await Expect(row).ToContainTextAsync($"Expires 12/{year}");
        await Expect(row).ToContainTextAsync("Pat Payer");
        Assert.True(host.StripeJsLoads > 0, "Stripe.js was not loaded from https://js.stripe.com/v3/.");
        // The portal's own page never held the number: it was typed in Stripe's frame, which is gone now.
        Assert.DoesNotContain(Card, await page.ContentAsync(), StringComparison.Ordinal);
        var confirm = host.StandIn.Requests.Last(r => r.Path.EndsWith("/confirm", StringComparison.Ordinal) && r.Path.Contains("/setup_intents/", StringComparison.Ordinal));
        Assert.Equal(StripeStandInKeys.Publishable, confirm.Form["key"]);
        Assert.Equal("Pat Payer", confirm.Form["payment_method_data[billing_details][name]"]);
        await AssertAccessibleAsync(page, "card added");
        await AssertNothingTypedIsStoredAsync();
    });

    [Fact]
    public Task A_payer_links_a_bank_account_and_the_signed_ACH_authorization_becomes_the_mandate() => RunAsync(async page =>
    {
        var nickname = "Stripe bank " + Guid.NewGuid().ToString("N")[..6];
        await SignInAsync(page, "pat");
        await OpenPaymentMethodsAsync(page);
        await OpenAddFormAsync(page);
        await page.GetByRole(AriaRole.Radio, new() { Name = "Bank account" }).CheckAsync();
        await Expect(page.GetByLabel("Account holder name", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true })).ToBeEnabledAsync();
        // The authorization follows the account details (it names the account).
        await Expect(page.GetByTestId("ach-text")).ToHaveCountAsync(0);
        await AssertAccessibleAsync(page, "add bank account form");

        await page.GetByLabel("Nickname (optional)", new() { Exact = true }).FillAsync(nickname);
        await page.GetByLabel("Account holder name", new() { Exact = true }).FillAsync("Acme Manufacturing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true }).ClickAsync();

        var window = page.GetByRole(AriaRole.Dialog, new() { Name = "Link your bank account (Stripe)" });
        await Expect(window).ToBeVisibleAsync();
        await window.GetByLabel("Routing number").FillAsync("110000000");
        await window.GetByLabel("Account number").FillAsync(BankAccount);
        await window.GetByRole(AriaRole.Button, new() { Name = "Link account" }).ClickAsync();

        await Expect(page.GetByTestId("ach-text")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "ACH authorization after the bank details");
        await page.GetByLabel("Your full name (signature)", new() { Exact = true }).FillAsync("Pat Payer");
        await page.GetByLabel("I authorize debits from this bank account as described above.", new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Authorize and save", Exact = true }).ClickAsync();

        await Expect(Notice(page)).ToHaveTextAsync("STRIPE TEST BANK checking •••• 6789 was added.");
        await Expect(Row(page, nickname)).ToHaveCountAsync(1);
        var confirm = host.StandIn.Requests.Last(r => r.Form.ContainsKey("mandate_data[customer_acceptance][type]"));
        Assert.Equal("online", confirm.Form["mandate_data[customer_acceptance][type]"]);
        Assert.Equal("127.0.0.1", confirm.Form["mandate_data[customer_acceptance][online][ip_address]"]);
        Assert.Contains("Chrome", confirm.Form["mandate_data[customer_acceptance][online][user_agent]"], StringComparison.Ordinal);
        var acceptedAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(confirm.Form["mandate_data[customer_acceptance][accepted_at]"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(acceptedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        await AssertAccessibleAsync(page, "bank account added");
        await AssertNothingTypedIsStoredAsync();
    });

    [Fact]
    public Task A_payer_pays_two_invoices_with_a_card_added_inline_and_Stripe_charges_the_total_once() => RunAsync(async page =>
    {
        await SignInAsync(page, "pat");
        var numbers = await SelectInvoicesAsync(page, 2);
        var panel = await OpenPayPanelAsync(page);
        await AddCardInlineAsync(panel, page, Card);
        var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = "Make payment", Exact = true });
        await Expect(makePayment).ToBeEnabledAsync();
        var total = (await panel.GetByTestId("total").InnerTextAsync()).Trim();
        await makePayment.ClickAsync();

        var confirmation = panel.GetByTestId("pay-confirmation");
        await Expect(confirmation).ToBeVisibleAsync();
        var receipt = (await confirmation.GetByTestId("receipt-number").InnerTextAsync()).Trim();
        await AssertAccessibleAsync(page, "payment confirmed");

        var create = host.StandIn.Requests.Last(r => r.Method == "POST" && r.Path == "/v1/payment_intents");
        Assert.Equal($"Payment {receipt}", create.Form["description"]);
        Assert.Equal(MinorUnits(total), create.Form["amount"]);
        Assert.Equal("NORTHWIND SUPPLY", create.Form["statement_descriptor_suffix"]);
        Assert.Equal(1, host.StandIn.MoneyMovingIntents(create.Form["metadata[portal_idempotency_key]"]));

        await confirmation.GetByRole(AriaRole.Link, new() { Name = "View receipt" }).ClickAsync();
        var receiptView = page.Locator(".pp-receipt");
        await Expect(receiptView).ToContainTextAsync(receipt);
        foreach (var n in numbers)
        {
            await Expect(receiptView).ToContainTextAsync(n);
        }
        await Expect(receiptView).ToContainTextAsync("Visa •••• 4242");
        await AssertAccessibleAsync(page, "receipt");
        await AssertNothingTypedIsStoredAsync();
    });

    [Fact]
    public Task A_declined_card_leaves_the_invoices_open_and_tells_the_payer_why() => RunAsync(async page =>
    {
        await SignInAsync(page, "gus");
        await SelectInvoicesAsync(page, 1);
        var panel = await OpenPayPanelAsync(page);
        await AddCardInlineAsync(panel, page, DecliningCard);
        var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = "Make payment", Exact = true });
        await Expect(makePayment).ToBeEnabledAsync();
        await makePayment.ClickAsync();

        var error = panel.GetByTestId("pay-error");
        await Expect(error).ToContainTextAsync("The payment was not made: The card was declined. Use another card, or contact your card issuer.");
        await Expect(error).ToContainTextAsync("Your invoices are still open");
        await Expect(panel.GetByTestId("pay-confirmation")).ToHaveCountAsync(0);
        var create = host.StandIn.Requests.Last(r => r.Method == "POST" && r.Path == "/v1/payment_intents");
        Assert.Equal(0, host.StandIn.MoneyMovingIntents(create.Form["metadata[portal_idempotency_key]"]));
        await AssertAccessibleAsync(page, "declined");
    });

    [Fact]
    public Task A_3D_Secure_card_is_confirmed_by_the_payer_in_Stripe_s_window_and_the_payment_succeeds() => RunAsync(async page =>
    {
        await SignInAsync(page, "pat");
        var numbers = await SelectInvoicesAsync(page, 1);
        var panel = await OpenPayPanelAsync(page);
        await AddCardInlineAsync(panel, page, ThreeDSecureCard);
        var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = "Make payment", Exact = true });
        await Expect(makePayment).ToBeEnabledAsync();
        await makePayment.ClickAsync();

        // The bank's challenge: Stripe.js's window over the pay panel's confirmation step; nothing is charged yet.
        var step = panel.GetByTestId("customer-action");
        await Expect(step).ToBeVisibleAsync();
        await Expect(step).ToContainTextAsync("Nothing is charged until you do.");
        var challenge = page.GetByRole(AriaRole.Dialog, new() { Name = "Confirm your payment (3D Secure test page)" });
        await Expect(challenge).ToBeVisibleAsync();
        var create = host.StandIn.Requests.Last(r => r.Method == "POST" && r.Path == "/v1/payment_intents");
        var key = create.Form["metadata[portal_idempotency_key]"];
        Assert.Equal("true", create.Form["confirm"]);
        Assert.False(create.Form.ContainsKey("off_session"), "a payer at the screen is charged on-session");
        Assert.Equal(0, host.StandIn.MoneyMovingIntents(key));
        await Expect(panel.GetByTestId("pay-confirmation")).ToHaveCountAsync(0);

        await challenge.GetByRole(AriaRole.Button, new() { Name = "Complete authentication" }).ClickAsync();

        var confirmation = panel.GetByTestId("pay-confirmation");
        await Expect(confirmation).ToBeVisibleAsync();
        await Expect(panel.GetByTestId("pay-status")).ToHaveTextAsync("Payment succeeded.");
        await Expect(step).ToHaveCountAsync(0);
        var receipt = (await confirmation.GetByTestId("receipt-number").InnerTextAsync()).Trim();
        Assert.Equal(1, host.StandIn.MoneyMovingIntents(key));
        // The browser's word was not taken: the server asked Stripe for the PaymentIntent with its secret key afterwards.
        var requests = host.StandIn.Requests.ToList();
        var authenticate = requests.FindLastIndex(r => r.Path.EndsWith("/authenticate", StringComparison.Ordinal));
        Assert.True(authenticate >= 0, "the challenge was not answered through Stripe");
        var intentId = requests[authenticate].Path.Split('/')[3];
        Assert.Contains(requests.Skip(authenticate + 1), r => r.Method == "GET" && r.Path == $"/v1/payment_intents/{intentId}" && !r.Form.ContainsKey("client_secret"));
        await AssertAccessibleAsync(page, "3-D Secure payment confirmed");

        await confirmation.GetByRole(AriaRole.Link, new() { Name = "View receipt" }).ClickAsync();
        var receiptView = page.Locator(".pp-receipt");
        await Expect(receiptView).ToContainTextAsync(receipt);
        await Expect(receiptView).ToContainTextAsync(numbers[0]);
        await AssertNothingTypedIsStoredAsync();
    });

    [Fact]
    public Task A_payer_who_fails_the_3D_Secure_challenge_is_charged_nothing_and_the_invoice_stays_payable() => RunAsync(async page =>
    {
        await SignInAsync(page, "gus");
        var numbers = await SelectInvoicesAsync(page, 1);
        var panel = await OpenPayPanelAsync(page);
        await AddCardInlineAsync(panel, page, ThreeDSecureCard);
        var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = "Make payment", Exact = true });
        await Expect(makePayment).ToBeEnabledAsync();
        await makePayment.ClickAsync();

        var challenge = page.GetByRole(AriaRole.Dialog, new() { Name = "Confirm your payment (3D Secure test page)" });
        await Expect(challenge).ToBeVisibleAsync();
        var key = host.StandIn.Requests.Last(r => r.Method == "POST" && r.Path == "/v1/payment_intents").Form["metadata[portal_idempotency_key]"];
        await challenge.GetByRole(AriaRole.Button, new() { Name = "Fail authentication" }).ClickAsync();

        var error = panel.GetByTestId("pay-error");
        await Expect(error).ToContainTextAsync("The payment was not made: The payment was not confirmed with your card issuer.");
        await Expect(error).ToContainTextAsync("Your invoices are still open");
        await Expect(panel.GetByTestId("pay-confirmation")).ToHaveCountAsync(0);
        await Expect(panel.GetByTestId("customer-action")).ToHaveCountAsync(0);
        Assert.Equal(0, host.StandIn.MoneyMovingIntents(key));
        await AssertAccessibleAsync(page, "3-D Secure refused");

        // The hold is released: after a fresh load the invoice can be selected and paid again.
        await page.GotoAsync("/portal/invoices");
        await page.GetByRole(AriaRole.Searchbox).First.FillAsync(numbers[0]);
        var box = page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select invoice {numbers[0]}", Exact = true });
        await Expect(box).ToBeVisibleAsync();
        await Expect(box).ToBeEnabledAsync();
        await Expect(page.Locator("tr", new() { Has = box })).Not.ToContainTextAsync("Pending");
    });

    // Review: a lost card dispute never reached the portal, so the payment stayed paid with the money gone.
    [Fact]
    public Task A_card_payment_whose_dispute_is_lost_shows_returned_and_its_invoice_opens_again() => RunAsync(async page =>
    {
        await SignInAsync(page, "pat");
        var numbers = await SelectInvoicesAsync(page, 1);
        var panel = await OpenPayPanelAsync(page);
        await AddCardInlineAsync(panel, page, Card);
        var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = "Make payment", Exact = true });
        await Expect(makePayment).ToBeEnabledAsync();
        await makePayment.ClickAsync();
        var confirmation = panel.GetByTestId("pay-confirmation");
        await Expect(confirmation).ToBeVisibleAsync();
        var key = host.StandIn.Requests.Last(r => r.Method == "POST" && r.Path == "/v1/payment_intents").Form["metadata[portal_idempotency_key]"];
        var charge = host.StandIn.ChargeOf(host.StandIn.IntentIdOf(key)!)!;
        await confirmation.GetByRole(AriaRole.Link, new() { Name = "View receipt" }).ClickAsync();
        var receiptView = page.Locator(".pp-receipt");
        await Expect(receiptView).ToContainTextAsync(numbers[0]);
        await Expect(receiptView).Not.ToContainTextAsync("Returned");

        // Stripe tells the portal over its webhook, signed, as it would: the dispute opened, then closed lost.
        using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        foreach (var (type, status) in new[] { ("charge.dispute.created", "needs_response"), ("charge.dispute.closed", "lost") })
        {
            var (_, body) = StripeEvents.Event(type, StripeEvents.Dispute(charge, "fraudulent", status), DateTimeOffset.UtcNow);
            using var delivery = new HttpRequestMessage(HttpMethod.Post, "/portal-payments/gateways/stripe/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            delivery.Headers.TryAddWithoutValidation("Stripe-Signature", StripeEvents.Sign(body, StripeGatewayHarness.WebhookSecret, DateTimeOffset.UtcNow));
            using var answer = await http.SendAsync(delivery);
            Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("Applied", await answer.Content.ReadAsStringAsync());
        }

        await page.ReloadAsync();
        await Expect(receiptView).ToContainTextAsync("Returned by the bank");
        Assert.Equal(1, host.StandIn.MoneyMovingIntents(key));
        // Its invoice is open to pay again.
        await page.GotoAsync("/portal/invoices");
        await page.GetByRole(AriaRole.Searchbox).First.FillAsync(numbers[0]);
        var box = page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select invoice {numbers[0]}", Exact = true });
        await Expect(box).ToBeVisibleAsync();
        await Expect(box).ToBeEnabledAsync();
    });

    // ---- steps ----

    private async Task RunAsync(Func<IPage, Task> test, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        await using var context = await host.NewContextAsync();
        var page = await context.NewPageAsync();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                output.WriteLine("[browser console error] " + m.Text);
            }
        };
        try
        {
            await test(page);
        }
        catch
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
            var log = host.Output;
            output.WriteLine(log.Length > 6000 ? log[^6000..] : log);
            throw;
        }
    }

    internal static async Task SignInAsync(IPage page, string user)
    {
        await page.GotoAsync("/login");
        await page.Locator($"button[data-user='{user}']").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome to the Northwind Supply customer portal", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("header")).ToContainTextAsync("Signed in as");
    }

    private static async Task OpenPaymentMethodsAsync(IPage page)
    {
        await page.GotoAsync("/portal/payment-methods");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Payment methods", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("methods").Or(page.GetByTestId("methods-empty"))).ToBeVisibleAsync();
    }

    /// <summary>Clicks "Add payment method" until the form shows (prerendered buttons do nothing until the circuit connects).</summary>
    private static async Task OpenAddFormAsync(IPage page)
    {
        var button = page.Locator("main").GetByRole(AriaRole.Button, new() { NameRegex = new Regex("Add payment method$") });
        var form = page.GetByRole(AriaRole.Heading, new() { Name = "Add a payment method", Level = 2, Exact = true });
        for (var attempt = 0; attempt < 15 && !await form.IsVisibleAsync(); attempt++)
        {
            if (await button.IsVisibleAsync())
            {
                await button.ClickAsync();
            }
            await Task.Delay(700);
        }
        await Expect(form).ToBeVisibleAsync();
    }

    internal static async Task<List<string>> SelectInvoicesAsync(IPage page, int count)
    {
        await page.GotoAsync("/portal/invoices");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Open invoices", Level = 1 })).ToBeVisibleAsync();
        var boxes = page.GetByRole(AriaRole.Checkbox, new() { NameRegex = new Regex("^Select invoice INV-") });
        await Expect(boxes.First).ToBeVisibleAsync();
        var numbers = new List<string>();
        for (var attempt = 0; attempt < 20 && numbers.Count < count; attempt++)
        {
            foreach (var box in await boxes.AllAsync())
            {
                if (numbers.Count == count)
                {
                    break;
                }
                var number = SelectLabel().Match(await box.GetAttributeAsync("aria-label") ?? "").Groups[1].Value;
                if (!numbers.Contains(number) && await box.IsEnabledAsync())
                {
                    await box.CheckAsync();
                    if (await box.IsCheckedAsync())
                    {
                        numbers.Add(number);
                    }
                }
            }
            if (numbers.Count < count)
            {
                await Task.Delay(500); // the circuit was not connected yet
            }
        }
        Assert.Equal(count, numbers.Count);
        await Expect(page.GetByText($"{count} selected")).ToBeVisibleAsync();
        return numbers;
    }

    internal static async Task<ILocator> OpenPayPanelAsync(IPage page)
    {
        await page.GetByTestId("pay-selected").ClickAsync();
        var panel = page.GetByTestId("pay-panel");
        await Expect(panel.GetByTestId("total")).ToHaveTextAsync(new Regex("^\\s*USD [\\d,]+\\.\\d{2}\\s*$"));
        return panel;
    }

    internal static async Task AddCardInlineAsync(ILocator panel, IPage page, string number)
    {
        var addNew = panel.GetByRole(AriaRole.Radio, new() { Name = "Add a payment method", Exact = true });
        if (!await addNew.IsCheckedAsync())
        {
            await addNew.CheckAsync();
        }
        await Expect(panel.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true })).ToBeEnabledAsync();
        await panel.GetByLabel("Name on card", new() { Exact = true }).FillAsync("Pat Payer");
        await TypeCardAsync(page, number, $"11 / {(DateTime.UtcNow.Year + 2) % 100:00}");
        await panel.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true }).ClickAsync();
        await Expect(panel.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true })).ToHaveCountAsync(0);
    }

    /// <summary>Types into Stripe's card frame (the stand-in's Payment Element), as a payer would.</summary>
    private static async Task TypeCardAsync(IPage page, string number, string expiry)
    {
        var frame = page.FrameLocator("iframe[title='Secure payment input frame']");
        await frame.GetByLabel("Card number").FillAsync(number);
        await frame.GetByLabel("Expiration date (MM / YY)").FillAsync(expiry);
        await frame.GetByLabel("Security code").FillAsync("739");
        await frame.GetByLabel("ZIP").FillAsync("94107");
    }

    private static ILocator Notice(IPage page) => page.Locator("main p.pp-notice[role=status]");

    private static ILocator Row(IPage page, string nickname) =>
        page.GetByTestId("method-row").Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = nickname, Exact = true }) });

    private static string MinorUnits(string total) => new string(total.Where(char.IsAsciiDigit).ToArray()).TrimStart('0');

    /// <summary>Fails on serious or critical axe-core findings.</summary>
    private async Task AssertAccessibleAsync(IPage page, string state)
    {
        var result = await page.RunAxe(new AxeRunOptions { ResultTypes = [ResultType.Violations] });
        var failing = (result.Violations ?? []).Where(v => v.Impact is "serious" or "critical").ToList();
        var message = new StringBuilder();
        foreach (var v in failing)
        {
            message.AppendLine($"{v.Id} ({v.Impact}): {v.Help} — {string.Join("; ", (v.Nodes ?? []).Select(n => n.Target?.ToString() + " " + n.Html))}");
        }
        output.WriteLine($"[axe] {state}: {failing.Count} serious/critical");
        Assert.True(failing.Count == 0, $"Accessibility violations in '{state}':\n{message}");
    }

    /// <summary>No card or bank account number typed in these tests is in the host's data folder or log.</summary>
    private async Task AssertNothingTypedIsStoredAsync()
    {
        var texts = new List<(string Source, string Text)> { ("host log", host.Output) };
        foreach (var file in Directory.GetFiles(host.DataDirectory, "*", SearchOption.AllDirectories))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            texts.Add((Path.GetFileName(file), Encoding.Latin1.GetString(buffer.ToArray())));
        }
        Assert.Contains(texts, t => t.Source == "portal.db");
        Assert.Contains(texts, t => t.Text.Contains("pm_", StringComparison.Ordinal)); // the scan sees what was stored
        foreach (var secret in new[] { Card, DecliningCard, BankAccount })
        {
            Assert.DoesNotContain(texts, t => t.Text.Contains(secret, StringComparison.Ordinal));
        }
    }

    [GeneratedRegex(@"^Select invoice (.+)$")]
    private static partial Regex SelectLabel();
}

/// <summary>The stand-in's keys, named for the assertions.</summary>
internal static class StripeStandInKeys
{
    public const string Publishable = Infrastructure.StripeStandIn.PublishableKey;
    public const string Secret = Infrastructure.StripeStandIn.SecretKey;
}
