using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Sandbox;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Components;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>The "Make a deposit" page on real services and SQLite (deposits 1.00–100,000.00 by default).</summary>
public class DepositFormTests : PayTestContext
{
    private IRenderedComponent<DepositForm> RenderForm(bool waitForMethods = true)
    {
        var cut = Render<DepositForm>();
        cut.WaitForAssertion(() =>
        {
            Assert.Empty(cut.FindAll(".pp-shell-loading"));
            if (waitForMethods)
            {
                Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]"));
            }
        }, Timeout);
        return cut;
    }

    private async Task<List<PaymentRecord>> DepositsAsync()
    {
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        return await db.Payments.AsNoTracking().Where(p => p.AccountId == AccountId && p.Kind == PaymentKind.Deposit).ToListAsync();
    }

    // Review: a database failure while the review read the figures escaped and replaced the page with what was typed.
    [Fact]
    public async Task A_review_whose_figures_cannot_be_read_keeps_what_was_typed_and_says_so()
    {
        var lost = new InjectedDbFault("SELECT", "pp_payment_methods");
        await StartAsync(configure: o => o.Database.Interceptors.Add(lost));
        await AddCardAsync();
        var cut = RenderForm();
        Input(cut, "Amount").Change("300");
        Input(cut, "Note (optional)").Input("April");
        lost.Armed = true;

        Button(cut, "Review deposit").Click();

        cut.WaitForAssertion(() => Assert.EndsWith("Something went wrong on our side. What you entered is kept; please try again in a moment.",
            cut.Find("[data-testid=deposit-error]").TextContent.Trim()), Timeout);
        Assert.True(lost.Failed > 0);
        Assert.Equal("April", Input(cut, "Note (optional)").GetAttribute("value"));
        Assert.Empty(cut.FindAll("[data-testid=deposit-review]"));

        lost.Armed = false;
        Button(cut, "Review deposit").Click();
        cut.WaitForAssertion(() => Assert.Equal("USD 300.00", cut.Find("[data-testid=review-amount]").TextContent.Trim()), Timeout);
    }

    // Review (access): a user of two accounts left the deposit form open on one, switched to the other with the host's
    // account switcher and confirmed: the deposit was charged on the account switched to.
    [Fact]
    public async Task A_deposit_confirmed_after_the_user_switched_account_charges_nothing_and_says_why()
    {
        await StartAsync();
        var card = await AddCardAsync();
        var cut = RenderForm();
        Input(cut, "Amount").Change("300");
        Button(cut, "Review deposit").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-review]")), Timeout);
        var acme = Users.Current!;
        Users.Current = acme with
        {
            CurrentAccountId = "GLOBEX",
            Accounts = [.. acme.Accounts, new PortalAccountAccess("GLOBEX", "Globex Corporation", PortalPermissions.Pay)],
        };
        await using (var db = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            // The card is the second account's too (as one added inline after the switch would be): only the form's account stops it.
            await db.PaymentMethods.Where(m => m.Id == card.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.AccountId, "GLOBEX"));
        }

        Button(cut, "Confirm deposit").Click();

        cut.WaitForAssertion(() => Assert.Contains("This form was opened for Acme Industrial Supply, but you are now working on Globex Corporation. Nothing was charged or saved.",
            cut.Find("[data-testid=deposit-error]").TextContent), Timeout);
        await using var check = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        Assert.Empty(await check.Payments.AsNoTracking().Where(p => p.Kind == PaymentKind.Deposit).ToListAsync());
    }

    [Fact]
    public async Task Amount_note_and_method_are_reviewed_then_confirmed_once_with_a_receipt_link()
    {
        await StartAsync();
        await AddCardAsync();
        var cut = RenderForm();
        Assert.Equal("Make a deposit", cut.Find("h1").TextContent.Trim());

        Input(cut, "Amount").Change("$1,250.5");   // the currency's own symbol may come with it
        Input(cut, "Note (optional)").Input("Advance for <b>April</b>");
        Assert.Equal("24 / 500", cut.Find("[data-testid=note-counter]").TextContent.Trim());
        Button(cut, "Review deposit").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-review]")), Timeout);
        Assert.Equal("USD 1,250.50", cut.Find("[data-testid=review-amount]").TextContent.Trim());
        Assert.Equal("Advance for <b>April</b>", cut.Find("[data-testid=review-note]").TextContent.Trim());
        Assert.Equal("Visa •••• 4242", cut.Find("[data-testid=review-method]").TextContent.Trim());
        Assert.Empty(await DepositsAsync());

        Button(cut, "Confirm deposit").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-confirmation]")), Timeout);
        var deposit = Assert.Single(await DepositsAsync());
        Assert.Equal((125_050L, "Advance for <b>April</b>", PaymentStatus.Succeeded), (deposit.AmountMinor, deposit.Memo, deposit.Status));
        Assert.Equal(deposit.ReceiptNumber, cut.Find("[data-testid=receipt-number]").TextContent.Trim());
        Assert.Equal("Deposit succeeded.", cut.Find("[data-testid=deposit-status]").TextContent.Trim());
        var link = Assert.Single(cut.FindAll("a"), a => a.TextContent.Trim() == "View receipt");
        Assert.Equal($"portal/payments/{deposit.Id}/receipt", link.GetAttribute("href"));
    }

    // Readthrough: the forms sent the account they were opened for, but a card added inline through their picker after
    // the switch took the current account when the add form opened: it was saved on the account switched to (where the
    // form then refused to use it), the very "new card landed on the other account" the forms' check was for.
    [Fact]
    public async Task A_card_added_inline_after_the_user_switched_account_is_not_saved_on_the_account_switched_to()
    {
        await StartAsync();
        await AddCardAsync();
        var cut = RenderForm();
        var acme = Users.Current!;
        Users.Current = acme with
        {
            CurrentAccountId = "GLOBEX",
            Accounts = [.. acme.Accounts, new PortalAccountAccess("GLOBEX", "Globex Corporation", PortalPermissions.Pay)],
        };

        Input(cut, "Add a payment method").Change(true);
        cut.WaitForAssertion(() => Assert.NotNull(Input(cut, "Card number")), Timeout);
        EnterCard(cut, number: "5555 5555 5555 4444", month: "6", year: "2029");

        cut.WaitForAssertion(() => Assert.Contains("This form was opened for Acme Industrial Supply, but you are now working on Globex Corporation. Nothing was charged or saved.",
            cut.Find("section.pp-add-method").TextContent), Timeout);
        await using var check = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        Assert.Empty(await check.PaymentMethods.AsNoTracking().Where(m => m.AccountId == "GLOBEX").ToListAsync());
    }

    // Review: back from the review, a card added for this deposit only was no longer listed (still chosen, unseen), and
    // "Make another deposit" kept it chosen, unseen, for the next deposit.
    [Fact]
    public async Task A_card_for_this_deposit_only_is_listed_chosen_when_changing_and_the_next_deposit_starts_from_the_saved_ones()
    {
        await StartAsync();
        var visa = await AddCardAsync();
        var cut = RenderForm();
        Input(cut, "Amount").Change("300");
        Input(cut, "Add a payment method").Change(true);
        cut.WaitForAssertion(() => Assert.NotNull(Input(cut, "Card number")), Timeout);
        cut.Find("[data-testid=save-for-future]").Change(false);
        EnterCard(cut, number: "5555 5555 5555 4444", month: "6", year: "2029");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("section.pp-add-method")), Timeout);
        Button(cut, "Review deposit").Click();
        cut.WaitForAssertion(() => Assert.Equal("Mastercard •••• 4444", cut.Find("[data-testid=review-method]").TextContent.Trim()), Timeout);

        Button(cut, "Change").Click();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=picker-option]").Count), Timeout);
        var oneOff = Input(cut, "Mastercard •••• 4444 · this payment only");
        Assert.True(oneOff.HasAttribute("checked"));
        Assert.False(Input(cut, "Visa •••• 4242 · default").HasAttribute("checked"));
        Button(cut, "Review deposit").Click();
        cut.WaitForAssertion(() => Assert.Equal("Mastercard •••• 4444", cut.Find("[data-testid=review-method]").TextContent.Trim()), Timeout);
        Button(cut, "Confirm deposit").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-confirmation]")), Timeout);

        Button(cut, "Make another deposit").Click();

        cut.WaitForAssertion(() => Assert.True(Input(cut, "Visa •••• 4242 · default").HasAttribute("checked")), Timeout);
        Assert.Single(cut.FindAll("[data-testid=picker-option]"));
        Input(cut, "Amount").Change("40");
        Button(cut, "Review deposit").Click();
        cut.WaitForAssertion(() => Assert.Equal("Visa •••• 4242", cut.Find("[data-testid=review-method]").TextContent.Trim()), Timeout);
        Button(cut, "Confirm deposit").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-confirmation]")), Timeout);
        var deposits = (await DepositsAsync()).OrderBy(d => d.AmountMinor).ToList();
        Assert.Equal([(4_000L, "Visa •••• 4242"), (30_000L, "Mastercard •••• 4444")], deposits.Select(d => (d.AmountMinor, d.MethodDescription)));
        Assert.Equal((Guid?)visa.Id, deposits[0].PaymentMethodId);
    }

    [Fact]
    public async Task An_unknown_outcome_keeps_the_deposit_so_a_new_review_of_the_same_deposit_is_not_charged_again()
    {
        await StartAsync();
        await AddCardAsync(number: "4000000000000119");   // the sandbox charges, then the answer is lost
        var cut = RenderForm();
        Input(cut, "Amount").Change("777.00");
        Button(cut, "Review deposit").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-review]")), Timeout);
        Button(cut, "Confirm deposit").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-unconfirmed]")), Timeout);
        Assert.Contains("Your payment may have gone through: check Payment history before paying again.", cut.Find("[data-testid=deposit-unconfirmed]").TextContent);
        var first = Assert.Single(await DepositsAsync());

        // Checking again sends the same deposit (same key): the first deposit answers, and the gateway is asked about it
        // at once by its key (it charged, so the deposit succeeded): one deposit, one charge.
        Button(cut, "Check again").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-confirmation]")), Timeout);
        Assert.Equal("Deposit succeeded.", cut.Find("[data-testid=deposit-status]").TextContent.Trim());
        var deposit = Assert.Single(await DepositsAsync());
        Assert.Equal((first.Id, PaymentStatus.Succeeded), (deposit.Id, deposit.Status));
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        Assert.Equal(1, await Services.GetRequiredService<SandboxGateway>().CountChargesForPaymentAsync(deposit.Id));
    }

    [Theory]
    [InlineData("ten", "amount", "Enter the deposit amount as a number, e.g. 1,234.50.")]
    [InlineData("€10", "amount", "Enter the deposit amount as a number, e.g. 1,234.50.")]
    [InlineData("0", "amount", "The deposit must be greater than zero.")]
    [InlineData("10.001", "amount", "USD amounts have at most 2 decimal places.")]
    [InlineData("0.50", "amount", "Deposits are from USD 1.00 to USD 100,000.00.")]
    [InlineData("100000.01", "amount", "Deposits are from USD 1.00 to USD 100,000.00.")]
    public async Task Bad_amounts_are_refused_at_the_field(string typed, string field, string message)
    {
        await StartAsync();
        await AddCardAsync();
        var cut = RenderForm();

        Input(cut, "Amount").Change(typed);
        Button(cut, "Review deposit").Click();

        var input = Input(cut, field == "amount" ? "Amount" : "Note (optional)");
        Assert.Equal(message, ErrorFor(cut, input).TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=deposit-review]"));
    }

    [Fact]
    public async Task A_note_over_500_characters_is_refused_at_the_field()
    {
        await StartAsync();
        await AddCardAsync();
        var cut = RenderForm();

        Input(cut, "Amount").Change("10");
        Input(cut, "Note (optional)").Input(new string('n', 501));
        Assert.Contains("pp-counter-over", cut.Find("[data-testid=note-counter]").ClassList);
        Button(cut, "Review deposit").Click();

        Assert.Equal("The note is 501 characters; shorten it to 500 or fewer.", ErrorFor(cut, Input(cut, "Note (optional)")).TextContent.Trim());
    }

    [Fact]
    public async Task Disabled_deposits_show_only_the_explanation()
    {
        await StartAsync(configure: o => o.Deposits.Enabled = false);

        var cut = RenderForm(waitForMethods: false);

        Assert.Contains(DepositService.DisabledMessage, cut.Markup);
        Assert.Empty(cut.FindAll("input"));
        Assert.Empty(cut.FindAll("button"));
    }

    [Fact]
    public async Task A_view_only_user_is_told_and_offered_nothing_to_do()
    {
        await StartAsync(PortalPermissions.View);

        var cut = RenderForm(waitForMethods: false);

        Assert.Contains("view-only", cut.Markup);
        Assert.Empty(cut.FindAll("input"));
    }

    [Fact]
    public async Task The_deposit_receipt_says_on_account_and_shows_the_note()
    {
        await StartAsync();
        var card = await AddCardAsync();
        var made = await Services.GetRequiredService<DepositService>().MakeDepositAsync(new DepositRequest(Money.Create(75m, "USD"), "For May", card.Id, Guid.NewGuid().ToString("N")));

        var cut = Render<ReceiptView>(p => p.Add(x => x.PaymentId, made.PaymentId));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=receipt-deposit]")), Timeout);

        Assert.Equal("Note: For May", cut.Find("[data-testid=receipt-memo]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=receipt-lines]"));
        Assert.Equal("USD 75.00", cut.Find("[data-testid=receipt-amount]").TextContent.Trim());
    }
}
