using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Services;
using Portal.Payments.Users;
using Xunit;

namespace Portal.Payments.Core.Tests;

public abstract class AccountScopeTests(TestDatabase database)
{
    [Fact]
    public async Task Summary_covers_only_the_current_account_and_buckets_add_up()
    {
        var mine = PortalHarness.NewAccount();
        var other = PortalHarness.NewAccount();
        await using var h = new PortalHarness(database, b => b.ConfigureDemoErp(o =>
        {
            o.Accounts.Add(new() { AccountId = mine, InvoiceCount = 300 });
            o.Accounts.Add(new() { AccountId = other, InvoiceCount = 50 });
        }));
        h.SignIn(other);
        var otherSummary = await h.Get<AccountOverviewService>().GetSummaryAsync();
        h.SignIn(mine, PortalPermissions.View);
        var summary = await h.Get<AccountOverviewService>().GetSummaryAsync();

        Assert.Equal(mine, summary.AccountId);
        Assert.Equal(300, summary.OpenItemCount);
        Assert.Equal(50, otherSummary.OpenItemCount);
        Assert.Equal(5, summary.Buckets.Count);
        Assert.Equal(summary.TotalBalance.Amount, summary.Buckets.Sum(b => b.Balance.Amount));
        Assert.Equal(summary.OpenItemCount, summary.Buckets.Sum(b => b.ItemCount));
        // The demo ledger spreads items over five months: every period has items.
        Assert.All(summary.Buckets, b => Assert.True(b.ItemCount > 0, $"{b.Label} is empty"));
        Assert.NotNull(summary.LastSyncedAt);
    }

    // Review (vendor embedding): a host's user context giving an id longer than the portal's 64-character columns (an
    // OpenID Connect name identifier written as a URL) worked on SQLite in development, and on PostgreSQL in production
    // every payment failed with "value too long for type character varying(64)", naming no setting.
    [Fact]
    public async Task A_user_id_longer_than_the_portal_stores_is_refused_at_the_door_naming_the_value_on_every_database()
    {
        await using var h = PaymentSeed.Harness(database, out var account);
        var ids = await PaymentSeed.InvoicesAsync(h, account, new PaymentSeed.Item("INV-LONG-ID", 5_000));
        var card = await PaymentSeed.CardAsync(h);
        var longId = "https://login.vendor.example/tenants/4711/users/00u1a2b3c4d5e6f7g8h9";
        Assert.True(longId.Length > 64);
        h.Users.User = Testing.FakePortalUserContext.UserOn(account, PortalPermissions.Pay, userId: longId);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            h.Get<Portal.Payments.Services.Payments.PaymentService>().PayInvoicesAsync(new Portal.Payments.Services.Payments.PayInvoicesRequest(ids, card.Id, PaymentSeed.Key())));

        Assert.Contains($"PortalUser.UserId '{longId}' has {longId.Length} characters", refused.Message, StringComparison.Ordinal);
        Assert.Contains("at most 64", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await PaymentSeed.PaymentsAsync(h, account));
    }

    [Fact]
    public async Task Nobody_signed_in_is_refused()
    {
        await using var h = new PortalHarness(database);
        var ex = await Assert.ThrowsAsync<PortalAccessDeniedException>(() => h.Get<AccountOverviewService>().GetSummaryAsync());
        Assert.True(ex.NotSignedIn);
        Assert.Contains("sign in", ex.Message);
    }

    [Fact]
    public async Task A_current_account_the_user_does_not_belong_to_is_refused()
    {
        await using var h = new PortalHarness(database);
        var user = h.SignIn(PortalHarness.NewAccount());
        h.Users.User = user with { CurrentAccountId = PortalHarness.NewAccount() };
        var ex = await Assert.ThrowsAsync<PortalAccessDeniedException>(() => h.Get<AccountOverviewService>().GetSummaryAsync());
        Assert.False(ex.NotSignedIn);
    }

    [Fact]
    public async Task View_only_users_may_read_but_not_change_anything()
    {
        await using var h = new PortalHarness(database);
        h.SignIn(PortalHarness.NewAccount(), PortalPermissions.View);
        var access = h.Get<PortalAccess>();
        var scope = await access.ForViewAsync();
        Assert.False(scope.CanPay);
        var ex = await Assert.ThrowsAsync<PortalAccessDeniedException>(async () => await access.ForPayAsync());
        Assert.Contains("view-only", ex.Message);
    }

    [Fact]
    public async Task Mailbox_shows_only_the_current_accounts_emails()
    {
        var mine = PortalHarness.NewAccount();
        await using var h = new PortalHarness(database);
        var sender = h.Get<Notifications.INotificationSender>();
        await sender.SendAsync(new Notifications.PortalEmail { Id = Guid.NewGuid(), To = "a@x.test", Subject = "Mine", TextBody = "1", Kind = Notifications.NotificationKind.General, AccountId = mine });
        await sender.SendAsync(new Notifications.PortalEmail { Id = Guid.NewGuid(), To = "b@x.test", Subject = "Theirs", TextBody = "2", Kind = Notifications.NotificationKind.General, AccountId = PortalHarness.NewAccount() });
        h.SignIn(mine, PortalPermissions.View);
        var mail = await h.Get<MailboxService>().ListAsync();
        Assert.Equal("Mine", Assert.Single(mail).Subject);
    }
}

public sealed class AccountScopeTests_Sqlite(SqliteDatabase db) : AccountScopeTests(db), IClassFixture<SqliteDatabase>;

public sealed class AccountScopeTests_Postgres(PostgresDatabase db) : AccountScopeTests(db), IClassFixture<PostgresDatabase>;
