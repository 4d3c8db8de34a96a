using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.Autopay;
using Portal.Payments.Services.Payments;
using Portal.Payments.Users;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// A user of two accounts opens a form on one, switches to the other with the host's account switcher (the form stays
/// open in the circuit) and confirms: nothing may be charged or saved on the account the form was not opened for, and the
/// refusal says why (not "not found").
/// </summary>
public abstract class AccountSwitchTests(TestDatabase database)
{
    private static PortalUser TwoAccounts(string current, string first, string second) => new()
    {
        UserId = "user-1",
        DisplayName = "Pat Payer",
        Email = "pat@example.test",
        CurrentAccountId = current,
        Accounts = [new PortalAccountAccess(first, "First Corp", PortalPermissions.Pay), new PortalAccountAccess(second, "Second Corp", PortalPermissions.Pay)],
    };

    private static CapturedPaymentMethod Visa(PortalHarness h)
    {
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("4242424242424242", 12, 2030, "123", "Pat Payer", "02139"));
        Assert.True(captured.Succeeded, captured.Message);
        return new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card);
    }

    private static void AssertSwitched(PortalValidationException refused)
    {
        Assert.Equal("AccountSwitched", refused.Error?.Code);
        Assert.Contains("opened for First Corp", refused.Message, StringComparison.Ordinal);
        Assert.Contains("now working on Second Corp", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_card_added_in_a_form_opened_on_the_other_account_is_refused_and_stored_nowhere()
    {
        await using var h = new PortalHarness(database);
        var (first, second) = (PortalHarness.NewAccount(), PortalHarness.NewAccount());
        h.Users.User = TwoAccounts(second, first, second);   // switched after the add form opened on the first
        var methods = h.Get<PaymentMethodService>();

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() =>
            methods.AddCardAsync(new AddCardRequest(Visa(h), "Ops card", Key()) { OpenedForAccountId = first }));

        AssertSwitched(refused);
        Assert.Empty(await methods.ListAsync());
        h.Users.User = TwoAccounts(first, first, second);
        Assert.Empty(await methods.ListAsync());
        // Back on the account it was opened for, the same form saves.
        var saved = await methods.AddCardAsync(new AddCardRequest(Visa(h), "Ops card", Key()) { OpenedForAccountId = first });
        Assert.Equal("Ops card", Assert.Single(await methods.ListAsync()).Nickname);
        Assert.Equal(saved.Id, (await methods.ListAsync())[0].Id);
    }

    [Fact]
    public async Task A_deposit_form_opened_on_one_account_and_confirmed_after_switching_charges_nothing()
    {
        await using var h = new PortalHarness(database);
        var (first, second) = (PortalHarness.NewAccount(), PortalHarness.NewAccount());
        h.Users.User = TwoAccounts(second, first, second);
        var card = await CardAsync(h);   // a card of the account now current

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<DepositService>().MakeDepositAsync(
            new DepositRequest(Usd(500m), "Prepayment", card.Id, Key()) { OpenedForAccountId = first }));

        AssertSwitched(refused);
        Assert.Empty(await PaymentsAsync(h, second));
        Assert.Equal(0, await ChargeCountAsync(h, second));
    }

    [Fact]
    public async Task Pay_now_confirmed_after_switching_account_is_refused_saying_the_account_changed()
    {
        await using var h = new PortalHarness(database);
        var (first, second) = (PortalHarness.NewAccount(), PortalHarness.NewAccount());
        h.Users.User = TwoAccounts(first, first, second);
        var ids = await InvoicesAsync(h, first, new Item("INV-SW-1", 12_000));
        var card = await CardAsync(h);
        var payments = h.Get<PaymentService>();
        var preview = await payments.PreviewAsync(ids, null, card.Id);
        h.Users.User = TwoAccounts(second, first, second);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => payments.PayInvoicesAsync(
            new PayInvoicesRequest(ids, card.Id, Key()) { ExpectedTotal = preview.TotalCharged, OpenedForAccountId = first }));

        AssertSwitched(refused);
        Assert.Empty(await PaymentsAsync(h, first));
        Assert.Empty(await PaymentsAsync(h, second));
        Assert.Equal(0, await ChargeCountAsync(h, first));
    }

    [Fact]
    public async Task A_schedule_confirmed_after_switching_account_is_refused_saying_the_account_changed()
    {
        await using var h = new PortalHarness(database);
        var (first, second) = (PortalHarness.NewAccount(), PortalHarness.NewAccount());
        h.Users.User = TwoAccounts(first, first, second);
        var ids = await InvoicesAsync(h, first, new Item("INV-SW-2", 8_000));
        var card = await CardAsync(h);
        h.Users.User = TwoAccounts(second, first, second);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<ScheduledPaymentService>().ScheduleAsync(
            new SchedulePaymentRequest(ids, Today.AddDays(5), card.Id, Key()) { OpenedForAccountId = first }));

        AssertSwitched(refused);
        Assert.Empty(await PaymentsAsync(h, first));
    }

    [Fact]
    public async Task Autopay_turned_off_or_changed_from_a_page_of_the_other_account_is_refused_and_stays_on()
    {
        await using var h = new PortalHarness(database);
        var (first, second) = (PortalHarness.NewAccount(), PortalHarness.NewAccount());
        var autopay = h.Get<AutopayService>();
        h.Users.User = TwoAccounts(second, first, second);
        var secondCard = await CardAsync(h);
        var secondView = await autopay.EnrollAsync(new AutopayTerms(secondCard.Id, AutopayRule.DueDate));
        h.Users.User = TwoAccounts(first, first, second);
        var firstCard = await CardAsync(h);
        var page = await autopay.EnrollAsync(new AutopayTerms(firstCard.Id, AutopayRule.DueDate));
        Assert.Equal(first, page.AccountId);
        h.Users.User = TwoAccounts(second, first, second);   // the page still shows the first account's autopay

        AssertSwitched(await Assert.ThrowsAsync<PortalValidationException>(() => autopay.CancelAsync(page.AccountId)));
        AssertSwitched(await Assert.ThrowsAsync<PortalValidationException>(() => autopay.ChangeAsync(
            new AutopayTerms(firstCard.Id, AutopayRule.DaysBeforeDue) { DaysBeforeDue = 3, OpenedForAccountId = page.AccountId }, page.Enrollment!.Version)));

        var now = await autopay.GetAsync();
        Assert.Equal(second, now.AccountId);
        Assert.Equal(secondView.Enrollment!.Id, now.Enrollment!.Id);
        Assert.Equal(secondView.Enrollment.Version, now.Enrollment.Version);
        Assert.Equal(AutopayRule.DueDate, now.Enrollment.Terms.Rule);
        // On the account the page shows, it turns off.
        var off = await autopay.CancelAsync(now.AccountId);
        Assert.Null(off.Enrollment);
    }
}

public sealed class AccountSwitchTests_Sqlite(SqliteDatabase db) : AccountSwitchTests(db), IClassFixture<SqliteDatabase>;

public sealed class AccountSwitchTests_Postgres(PostgresDatabase db) : AccountSwitchTests(db), IClassFixture<PostgresDatabase>;
