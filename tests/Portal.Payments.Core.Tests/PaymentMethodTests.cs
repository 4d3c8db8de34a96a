using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Users;
using Xunit;

namespace Portal.Payments.Core.Tests;

public abstract class PaymentMethodTests(TestDatabase database)
{
    private static CapturedPaymentMethod Card(PortalHarness h, string number = "4242424242424242", int month = 12, int year = 2030)
    {
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput(number, month, year, "123", "Pat Payer", "02139"));
        Assert.True(captured.Succeeded, captured.Message);
        return new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card);
    }

    private static CapturedPaymentMethod Bank(PortalHarness h, string account = "000123456789")
    {
        var captured = h.Get<SandboxGateway>().CaptureBankAccount(new SandboxBankInput("110000000", account, "Acme AP", BankAccountType.Checking, BankAccountHolderType.Business));
        Assert.True(captured.Succeeded, captured.Message);
        return new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.BankAccount);
    }

    private static AchSignature Signed(PaymentMethodService s, string name = "Pat Payer") => new(name, true, s.CurrentAgreement.Version);

    private static string Key() => Guid.NewGuid().ToString("N");

    private static PortalHarness Harness(TestDatabase db, out string account, PortalPermissions permissions = PortalPermissions.Pay)
    {
        var h = new PortalHarness(db);
        account = PortalHarness.NewAccount();
        h.SignIn(account, permissions);
        h.Users.User = h.Users.User! with { IpAddress = "203.0.113.7", UserAgent = "Mozilla/5.0 Test" };
        return h;
    }

    [Fact]
    public async Task A_new_account_has_no_methods_and_the_first_card_becomes_default()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        Assert.Empty(await s.ListAsync());
        var first = await s.AddCardAsync(new AddCardRequest(Card(h), "AP card", Key()));
        var second = await s.AddCardAsync(new AddCardRequest(Card(h, "5555555555554444"), null, Key()));
        Assert.Equal("Visa •••• 4242", first.Display);
        Assert.True(first.IsDefault);
        Assert.False(second.IsDefault);
        Assert.Equal("Mastercard •••• 4444", second.Display);
        var list = await s.ListAsync();
        Assert.Equal([first.Id, second.Id], list.Select(m => m.Id));
        Assert.Equal("12/2030", list[0].Expiry);
        Assert.Equal("AP card", list[0].Nickname);
    }

    [Fact]
    public async Task A_holder_name_longer_than_the_column_is_a_field_message_and_nothing_is_stored()
    {
        await using var h = Harness(database, out var account);
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("4242424242424242", 12, 2030, "123", new string('P', 300), "02139"));
        Assert.True(captured.Succeeded, captured.Message);

        var ex = await Assert.ThrowsAsync<PortalValidationException>(() =>
            h.Get<PaymentMethodService>().AddCardAsync(new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Key())));

        Assert.Equal("holderName", ex.Field);
        Assert.Contains("300 characters", ex.Message);
        Assert.Contains("at most 200", ex.Message);
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        Assert.False(await db.PaymentMethods.AnyAsync(m => m.AccountId == account));
    }

    [Fact]
    public async Task A_database_refusal_on_save_is_a_field_message_not_a_crash()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var card = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        // Make the database refuse the next save (as PostgreSQL refuses text longer than a column).
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync(database is PostgresDatabase
                ? "CREATE OR REPLACE FUNCTION pp_test_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql; " +
                  "CREATE TRIGGER pp_test_refuse BEFORE UPDATE ON pp_payment_methods FOR EACH ROW EXECUTE FUNCTION pp_test_refuse();"
                : "CREATE TRIGGER pp_test_refuse BEFORE UPDATE ON pp_payment_methods BEGIN SELECT RAISE(ABORT, 'refused by test'); END;");
        }
        try
        {
            var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(card.Id, new() { Nickname = "Travel" }));
            Assert.Equal("method", ex.Field);
            Assert.Contains("could not be saved", ex.Message);
        }
        finally
        {
            await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
            var drop = database is PostgresDatabase ? "DROP TRIGGER pp_test_refuse ON pp_payment_methods" : "DROP TRIGGER pp_test_refuse";
            await db.Database.ExecuteSqlRawAsync(drop);
        }
    }

    [Fact]
    public async Task Only_token_and_display_data_are_stored()
    {
        await using var h = Harness(database, out var account);
        await h.Get<PaymentMethodService>().AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var row = await db.PaymentMethods.SingleAsync(m => m.AccountId == account);
        Assert.StartsWith("sbx_pm_", row.Token);
        Assert.Equal("4242", row.Last4);
        foreach (var text in new[] { row.Token, row.HolderName, row.BrandOrBank, row.Nickname, row.BillingPostalCode })
        {
            Assert.DoesNotContain("4242424242424242", text ?? "");
        }
    }

    [Fact]
    public async Task Double_click_with_one_form_key_stores_one_method()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var request = new AddCardRequest(Card(h), null, Key());
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            await using var scope = new PortalHarnessScope(h);
            return await scope.Get<PaymentMethodService>().AddCardAsync(request);
        }));
        Assert.Single(results.Select(r => r.Id).Distinct());
        Assert.Single(await s.ListAsync());
    }

    [Fact]
    public async Task Bank_account_needs_consent_and_a_signature_and_saves_nothing_without()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var version = s.CurrentAgreement.Version;
        var noConsent = await Assert.ThrowsAsync<PortalValidationException>(() => s.AddBankAccountAsync(new(Bank(h), null, Key(), new AchSignature("Pat", false, version))));
        Assert.Equal("consent", noConsent.Field);
        var blank = await Assert.ThrowsAsync<PortalValidationException>(() => s.AddBankAccountAsync(new(Bank(h), null, Key(), new AchSignature("   ", true, version))));
        Assert.Equal("signerName", blank.Field);
        Assert.Contains("full name", blank.Message);
        var stale = await Assert.ThrowsAsync<PortalValidationException>(() => s.AddBankAccountAsync(new(Bank(h), null, Key(), new AchSignature("Pat", true, "1999-01"))));
        Assert.Equal("agreement", stale.Field);
        Assert.Empty(await s.ListAsync());
    }

    [Fact]
    public async Task Ach_authorization_is_recorded_with_evidence()
    {
        await using var h = Harness(database, out var account);
        var s = h.Get<PaymentMethodService>();
        var method = await s.AddBankAccountAsync(new(Bank(h), "Operating", Key(), Signed(s, "  Pat Q. Payer ")));
        Assert.Equal("Sandbox Bank checking •••• 6789", method.Display);
        var ach = Assert.Single(await s.GetAchAuthorizationsAsync(method.Id));
        var agreement = s.CurrentAgreement;
        Assert.Equal(agreement.Version, ach.AgreementVersion);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(agreement.Text))).ToLowerInvariant(), ach.AgreementSha256);
        Assert.Equal("Pat Q. Payer", ach.SignerName);
        Assert.Equal("user-1", ach.UserId);
        Assert.Equal(account, ach.AccountId);
        Assert.Equal(h.Clock.GetUtcNow(), ach.SignedAt);
        Assert.Equal("203.0.113.7", ach.IpAddress);
        Assert.Equal("Mozilla/5.0 Test", ach.UserAgent);
        Assert.Equal("6789", ach.AccountLast4);
        Assert.Null(ach.RevokedAt);
    }

    [Fact]
    public async Task Ach_authorization_cannot_be_updated_or_deleted()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var method = await s.AddBankAccountAsync(new(Bank(h), null, Key(), Signed(s)));
        var factory = h.Get<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var row = await db.AchAuthorizations.SingleAsync(a => a.PaymentMethodId == method.Id);
        row.SignerName = "Someone Else";
        await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());

        // Past EF, the database itself refuses (triggers).
        await using var raw = await factory.CreateDbContextAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => raw.AchAuthorizations.Where(a => a.Id == row.Id).ExecuteUpdateAsync(x => x.SetProperty(a => a.SignerName, "Forged")));
        await Assert.ThrowsAnyAsync<Exception>(() => raw.AchAuthorizations.Where(a => a.Id == row.Id).ExecuteDeleteAsync());
        Assert.Equal("Pat Payer", (await raw.AchAuthorizations.AsNoTracking().SingleAsync(a => a.Id == row.Id)).SignerName);
    }

    [Fact]
    public async Task Deleting_a_bank_account_revokes_its_authorization_and_keeps_the_record_two_years()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var method = await s.AddBankAccountAsync(new(Bank(h), null, Key(), Signed(s)));
        h.Clock.Advance(TimeSpan.FromDays(3));
        await s.DeleteAsync(method.Id);
        Assert.Empty(await s.ListAsync());
        var ach = Assert.Single(await s.GetAchAuthorizationsAsync(method.Id));
        Assert.Equal(h.Clock.GetUtcNow(), ach.RevokedAt);
        Assert.True(ach.RetainUntil >= ach.RevokedAt!.Value.AddYears(2));
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => db.AchAuthorizations.Where(a => a.Id == ach.Id).ExecuteDeleteAsync());
    }

    [Fact]
    public async Task Deleting_a_method_used_by_scheduled_payments_is_refused_naming_them()
    {
        await using var h = Harness(database, out var account);
        var s = h.Get<PaymentMethodService>();
        var method = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            foreach (var (receipt, day) in new[] { ("R-SCHED-1", 5), ("R-SCHED-2", 9) })
            {
                db.Payments.Add(new PaymentRecord
                {
                    Id = Guid.NewGuid(), AccountId = account, Kind = PaymentKind.InvoicePayment, Status = PaymentStatus.Scheduled,
                    Currency = "USD", AmountMinor = 12_345, PaymentMethodId = method.Id, ScheduledFor = new DateOnly(2026, 3, day),
                    IdempotencyKey = Key(), GatewayKey = "sandbox", ReceiptNumber = receipt + Key()[..4], CreatedByUserId = "user-1", CreatedAt = DateTime.UtcNow,
                });
            }
            await db.SaveChangesAsync();
        }
        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.DeleteAsync(method.Id));
        Assert.Contains("R-SCHED-1", ex.Message);
        Assert.Contains("R-SCHED-2", ex.Message);
        Assert.Contains("2026-03-05", ex.Message);
        Assert.Contains("Cancel them first", ex.Message);
        Assert.Single(await s.ListAsync());
    }

    // Review (money path): a method could be deleted (removed at the gateway) while a payment with it had an unknown
    // outcome; the retry under the payment's key then met a method gone and could record a failure for money taken.
    [Fact]
    public async Task Deleting_a_method_is_refused_while_a_payment_with_it_has_an_unknown_outcome_and_allowed_once_known()
    {
        await using var h = Harness(database, out var account);
        var ids = await PaymentSeed.InvoicesAsync(h, account, new PaymentSeed.Item("INV-DEL-1", 4_200));
        var card = await PaymentSeed.CardAsync(h, "4000000000000119");   // the answer is lost
        var outcome = await h.Get<Portal.Payments.Services.Payments.PaymentService>().PayInvoicesAsync(
            new Portal.Payments.Services.Payments.PayInvoicesRequest(ids, card.Id, Key()));
        Assert.Equal(PaymentStatus.Unconfirmed, outcome.Status);
        var s = h.Get<PaymentMethodService>();

        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.DeleteAsync(card.Id));
        Assert.Equal(("method", "MethodPaymentInProgress"), (ex.Field, ex.Error?.Code));
        Assert.Contains(outcome.ReceiptNumber, ex.Message);
        Assert.Contains(await s.ListAsync(), m => m.Id == card.Id);

        h.Clock.Advance(TimeSpan.FromHours(1));
        await h.Get<Portal.Payments.Services.Payments.PaymentReconciler>().ReconcileAsync();
        Assert.Equal(PaymentStatus.Succeeded, Assert.Single(await PaymentSeed.PaymentsAsync(h, account)).Status);
        await s.DeleteAsync(card.Id);
        Assert.DoesNotContain(await s.ListAsync(), m => m.Id == card.Id);
    }

    [Fact]
    public async Task Deleting_a_method_used_by_one_scheduled_payment_is_refused_naming_it_in_a_sentence()
    {
        await using var h = Harness(database, out var account);
        var s = h.Get<PaymentMethodService>();
        var method = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        var receipt = "R-ONE-" + Key()[..4];
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            db.Payments.Add(new PaymentRecord
            {
                Id = Guid.NewGuid(), AccountId = account, Kind = PaymentKind.InvoicePayment, Status = PaymentStatus.Scheduled,
                Currency = "USD", AmountMinor = 12_345, PaymentMethodId = method.Id, ScheduledFor = new DateOnly(2026, 3, 5),
                IdempotencyKey = Key(), GatewayKey = "sandbox", ReceiptNumber = receipt, CreatedByUserId = "user-1", CreatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.DeleteAsync(method.Id));

        Assert.Equal(("method", "MethodPaysScheduledOne"), (ex.Field, ex.Error?.Code));
        Assert.Equal($"This method pays a scheduled payment: {receipt} on 2026-03-05 (USD 123.45). Cancel it first, then delete the method.", ex.Message);
        var parts = Assert.IsAssignableFrom<IReadOnlyList<PortalFieldError>>(Assert.Single(ex.Error!.Arguments));
        Assert.Equal("MethodScheduledPayment", Assert.Single(parts).Code);
        Assert.Single(await s.ListAsync());
    }

    [Fact]
    public async Task Deleting_the_default_promotes_the_next_method()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var a = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        var b = await s.AddCardAsync(new AddCardRequest(Card(h, "5555555555554444"), null, Key()));
        await s.DeleteAsync(a.Id);
        Assert.True(Assert.Single(await s.ListAsync()).IsDefault);
        Assert.Equal(b.Id, (await s.ListAsync())[0].Id);
    }

    [Fact]
    public async Task Set_default_moves_the_flag()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var a = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        var b = await s.AddBankAccountAsync(new(Bank(h), null, Key(), Signed(s)));
        await s.SetDefaultAsync(b.Id);
        var list = await s.ListAsync();
        Assert.Equal(b.Id, Assert.Single(list, m => m.IsDefault).Id);
        Assert.Equal(b.Id, list[0].Id);
        Assert.False(list.Single(m => m.Id == a.Id).IsDefault);
    }

    private static async Task ChangeAsync(PortalHarness h, Guid id, Func<IQueryable<PaymentMethodRecord>, Task> change)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        await change(db.PaymentMethods.Where(m => m.Id == id));
    }

    private static Task ToOtherGatewayAsync(PortalHarness h, Guid id) =>
        ChangeAsync(h, id, q => q.ExecuteUpdateAsync(x => x.SetProperty(m => m.GatewayKey, "retired-gateway")));

    private static async Task<PaymentMethodView> SoleUsableDefaultAsync(PaymentMethodService s)
    {
        var list = await s.ListAsync();
        var only = Assert.Single(list, m => m.IsDefault);
        Assert.Contains(only.Status, new[] { PaymentMethodStatus.Active, PaymentMethodStatus.ExpiringSoon });
        return only;
    }

    [Fact]
    public async Task Two_tabs_setting_different_defaults_at_once_leave_exactly_one_default()
    {
        await using var h = Harness(database, out var account);
        var s = h.Get<PaymentMethodService>();
        var ids = new List<Guid>();
        foreach (var number in new[] { "4242424242424242", "5555555555554444", "4000056655665556" })
        {
            ids.Add((await s.AddCardAsync(new AddCardRequest(Card(h, number), null, Key()))).Id);
        }
        for (var round = 0; round < 12; round++)
        {
            await using var tab1 = new PortalHarness(database);
            tab1.SignIn(account);
            await using var tab2 = new PortalHarness(database);
            tab2.SignIn(account);
            var (first, second) = round % 2 == 0 ? (ids[1], ids[2]) : (ids[2], ids[1]);
            await Task.WhenAll(
                Task.Run(() => tab1.Get<PaymentMethodService>().SetDefaultAsync(first)),
                Task.Run(() => tab2.Get<PaymentMethodService>().SetDefaultAsync(second)));
            Assert.Contains((await SoleUsableDefaultAsync(s)).Id, new[] { first, second });
            await s.SetDefaultAsync(ids[0]);
        }
    }

    // Review: the account's methods were locked by updating their rows, and a new account has none: two first methods
    // saved at once (two clerks, two tabs) both found no default and both became it (PostgreSQL).
    [Fact]
    public async Task Two_first_methods_saved_at_once_leave_exactly_one_default()
    {
        for (var round = 0; round < 12; round++)
        {
            await using var h = Harness(database, out var account);
            await using var tab1 = new PortalHarness(database);
            tab1.SignIn(account);
            await using var tab2 = new PortalHarness(database);
            tab2.SignIn(account);
            var first = Card(tab1);
            var second = Card(tab2, "5555555555554444");
            await Task.WhenAll(
                Task.Run(() => tab1.Get<PaymentMethodService>().AddCardAsync(new AddCardRequest(first, null, Key()))),
                Task.Run(() => tab2.Get<PaymentMethodService>().AddCardAsync(new AddCardRequest(second, null, Key()))));
            var methods = await h.Get<PaymentMethodService>().ListAsync();
            Assert.Equal(2, methods.Count);
            await SoleUsableDefaultAsync(h.Get<PaymentMethodService>());
        }
    }

    [Fact]
    public async Task Deleting_the_default_and_the_next_method_at_once_leaves_one_usable_default()
    {
        for (var round = 0; round < 8; round++)
        {
            await using var h = Harness(database, out var account);
            var s = h.Get<PaymentMethodService>();
            var a = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
            h.Clock.Advance(TimeSpan.FromSeconds(1));
            var b = await s.AddCardAsync(new AddCardRequest(Card(h, "5555555555554444"), null, Key()));
            h.Clock.Advance(TimeSpan.FromSeconds(1));
            var c = await s.AddCardAsync(new AddCardRequest(Card(h, "4000056655665556"), null, Key()));
            await using var tab1 = new PortalHarness(database);
            tab1.SignIn(account);
            await using var tab2 = new PortalHarness(database);
            tab2.SignIn(account);
            await Task.WhenAll(
                Task.Run(() => tab1.Get<PaymentMethodService>().DeleteAsync(a.Id)),
                Task.Run(() => tab2.Get<PaymentMethodService>().DeleteAsync(b.Id)));
            Assert.Equal(c.Id, (await SoleUsableDefaultAsync(s)).Id);
        }
    }

    [Fact]
    public async Task Deleting_the_default_skips_expired_verifying_and_other_gateway_methods()
    {
        await using var h = Harness(database, out _); // clock: 2026-03-02
        var s = h.Get<PaymentMethodService>();
        var a = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var expired = await s.AddCardAsync(new AddCardRequest(Card(h, "5555555555554444", month: 3, year: 2026), null, Key()));
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var verifying = await s.AddBankAccountAsync(new(Bank(h), null, Key(), Signed(s)));
        await ChangeAsync(h, verifying.Id, q => q.ExecuteUpdateAsync(x => x.SetProperty(m => m.VerificationPending, true)));
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var other = await s.AddCardAsync(new AddCardRequest(Card(h, "4000056655665556"), null, Key()));
        await ToOtherGatewayAsync(h, other.Id);
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var usable = await s.AddCardAsync(new AddCardRequest(Card(h, "4012888888881881"), null, Key()));
        h.Clock.Advance(TimeSpan.FromDays(31)); // April: the March card has expired

        await s.DeleteAsync(a.Id);

        Assert.Equal(usable.Id, (await SoleUsableDefaultAsync(s)).Id);
        await s.DeleteAsync(usable.Id);
        Assert.DoesNotContain(await s.ListAsync(), m => m.IsDefault); // none left that can pay: no default
        Assert.Equal(3, (await s.ListAsync()).Count);
        Assert.Contains(expired.Id, (await s.ListAsync()).Select(m => m.Id));
    }

    [Fact]
    public async Task A_method_of_a_gateway_no_longer_run_is_listed_as_such_and_the_first_new_method_becomes_default()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var old = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        await ToOtherGatewayAsync(h, old.Id);
        Assert.Equal(PaymentMethodStatus.OtherGateway, (await s.GetAsync(old.Id)).Status);

        var fresh = await s.AddCardAsync(new AddCardRequest(Card(h, "5555555555554444"), null, Key()));
        var second = await s.AddCardAsync(new AddCardRequest(Card(h, "4000056655665556"), null, Key()));

        Assert.True(fresh.IsDefault);
        Assert.False(second.IsDefault);
        var list = await s.ListAsync();
        Assert.Equal(fresh.Id, (await SoleUsableDefaultAsync(s)).Id);
        Assert.Equal(PaymentMethodStatus.OtherGateway, list.Single(m => m.Id == old.Id).Status);
        Assert.False(list.Single(m => m.Id == old.Id).IsDefault);
    }

    /// <summary>The sandbox, except that it does not know the tokens of <see cref="Foreign"/> (another gateway's) and counts the asks.</summary>
    private sealed class CurrentGateway(SandboxGateway inner) : SandboxPassThrough(inner)
    {
        public HashSet<string> Foreign { get; } = [];
        public int Asked;

        public override Task<GatewayOperationResult> RemoveMethodAsync(string token, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Asked);
            return Foreign.Contains(token) ? Task.FromResult(GatewayOperationResult.Fail(GatewayErrorCode.InvalidToken, "No such payment method.")) : Inner.RemoveMethodAsync(token, cancellationToken);
        }

        public override Task<GatewayOperationResult> UpdateMethodAsync(UpdateMethodRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Asked);
            return Foreign.Contains(request.Token) ? Task.FromResult(GatewayOperationResult.Fail(GatewayErrorCode.InvalidToken, "No such payment method.")) : Inner.UpdateMethodAsync(request, cancellationToken);
        }
    }

    // Review: a method of a gateway no longer run was sent to the current gateway to be removed or changed; a gateway that
    // does not know the token refused, so the payer could never delete it, and a change showed the gateway's refusal.
    [Fact]
    public async Task A_method_of_a_gateway_no_longer_run_is_deleted_without_asking_the_current_gateway_and_its_details_are_not_sent_to_it()
    {
        CurrentGateway? current = null;
        await using var h = PaymentSeed.Harness(database, out _, configure: b => b.Services.Replace(
            ServiceDescriptor.Scoped<IPaymentGateway>(sp => current = new CurrentGateway(sp.GetRequiredService<SandboxGateway>()))));
        var s = h.Get<PaymentMethodService>();
        var old = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        var kept = await s.AddCardAsync(new AddCardRequest(Card(h, "5555555555554444"), null, Key()));
        await ToOtherGatewayAsync(h, old.Id);
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            current!.Foreign.Add(await db.PaymentMethods.Where(m => m.Id == old.Id).Select(m => m.Token).SingleAsync());
        }

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(old.Id, new() { ExpiryMonth = 1, ExpiryYear = 2031 }));
        Assert.Equal(("expiry", (string?)"MethodOtherGatewayNotUpdatable"), (refused.Field, refused.Error?.Code));
        Assert.Equal("Ops card", (await s.UpdateAsync(old.Id, new() { Nickname = "Ops card" })).Nickname);   // the nickname is the portal's own

        await s.DeleteAsync(old.Id);

        Assert.Equal(0, current.Asked);
        Assert.Equal([kept.Id], (await s.ListAsync()).Select(m => m.Id).ToArray());
    }

    [Fact]
    public async Task A_new_card_takes_over_from_an_expired_default()
    {
        await using var h = Harness(database, out _); // clock: 2026-03-02
        var s = h.Get<PaymentMethodService>();
        var expiring = await s.AddCardAsync(new AddCardRequest(Card(h, month: 3, year: 2026), null, Key()));
        Assert.True(expiring.IsDefault);
        h.Clock.Advance(TimeSpan.FromDays(31));
        var card = await s.AddCardAsync(new AddCardRequest(Card(h, "5555555555554444"), null, Key()));
        var another = await s.AddCardAsync(new AddCardRequest(Card(h, "4000056655665556"), null, Key()));
        Assert.True(card.IsDefault);
        Assert.False(another.IsDefault);
        Assert.Equal(card.Id, (await SoleUsableDefaultAsync(s)).Id);
    }

    [Fact]
    public async Task Set_default_is_refused_for_an_expired_a_verifying_or_an_other_gateway_method()
    {
        await using var h = Harness(database, out _); // clock: 2026-03-02
        var s = h.Get<PaymentMethodService>();
        var a = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        var expired = await s.AddCardAsync(new AddCardRequest(Card(h, "5555555555554444", month: 3, year: 2026), null, Key()));
        var verifying = await s.AddBankAccountAsync(new(Bank(h), null, Key(), Signed(s)));
        await ChangeAsync(h, verifying.Id, q => q.ExecuteUpdateAsync(x => x.SetProperty(m => m.VerificationPending, true)));
        var other = await s.AddCardAsync(new AddCardRequest(Card(h, "4000056655665556"), null, Key()));
        await ToOtherGatewayAsync(h, other.Id);
        h.Clock.Advance(TimeSpan.FromDays(31));

        foreach (var (id, code) in new[] { (expired.Id, "DefaultMethodExpired"), (verifying.Id, "DefaultMethodVerificationPending"), (other.Id, "DefaultMethodOtherGateway") })
        {
            var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.SetDefaultAsync(id));
            Assert.Equal(("method", code), (ex.Field, ex.Error?.Code));
        }
        Assert.Equal(a.Id, (await SoleUsableDefaultAsync(s)).Id);
    }

    [Fact]
    public async Task Editing_a_card_validates_each_field()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var card = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        Assert.Equal("expiry", (await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(card.Id, new() { ExpiryMonth = 2, ExpiryYear = 2026 }))).Field);
        Assert.Equal("expiry", (await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(card.Id, new() { ExpiryMonth = 13, ExpiryYear = 2030 }))).Field);
        Assert.Equal("nickname", (await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(card.Id, new() { Nickname = new string('n', 51) }))).Field);
        Assert.Equal("holderName", (await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(card.Id, new() { HolderName = "  " }))).Field);
        Assert.Equal("postalCode", (await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(card.Id, new() { BillingPostalCode = "<script>" }))).Field);

        var updated = await s.UpdateAsync(card.Id, new() { ExpiryMonth = 1, ExpiryYear = 2031, HolderName = "P. Payer", BillingPostalCode = "10001", Nickname = "Travel" });
        Assert.Equal("01/2031", updated.Expiry);
        Assert.Equal(("P. Payer", "10001", "Travel"), (updated.HolderName, updated.BillingPostalCode, updated.Nickname));
        Assert.Equal("01/2031", (await s.GetAsync(card.Id)).Expiry);
    }

    [Fact]
    public async Task A_bank_account_has_no_expiry_to_edit()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var bank = await s.AddBankAccountAsync(new(Bank(h), null, Key(), Signed(s)));
        await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(bank.Id, new() { ExpiryMonth = 1, ExpiryYear = 2031 }));
        Assert.Equal("Ops", (await s.UpdateAsync(bank.Id, new() { Nickname = "Ops", HolderName = "Acme Treasury" })).Nickname);
    }

    [Fact]
    public async Task Nickname_over_50_characters_is_refused_and_nothing_is_saved()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.AddCardAsync(new AddCardRequest(Card(h), new string('x', 51), Key())));
        Assert.Equal("nickname", ex.Field);
        Assert.Contains("at most 50", ex.Message);
        Assert.Empty(await s.ListAsync());
    }

    [Fact]
    public async Task Another_accounts_method_is_not_found()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        var theirs = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        h.SignIn(PortalHarness.NewAccount(), userId: "someone-else");
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.GetAsync(theirs.Id));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.UpdateAsync(theirs.Id, new() { Nickname = "mine" }));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.SetDefaultAsync(theirs.Id));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.DeleteAsync(theirs.Id));
        Assert.Empty(await s.GetAchAuthorizationsAsync(theirs.Id));
        Assert.Empty(await s.ListAsync());
    }

    [Fact]
    public async Task View_only_users_can_list_but_not_change()
    {
        await using var h = Harness(database, out var account);
        var s = h.Get<PaymentMethodService>();
        var card = await s.AddCardAsync(new AddCardRequest(Card(h), null, Key()));
        h.SignIn(account, PortalPermissions.View, "viewer");
        Assert.Single(await s.ListAsync());
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.AddCardAsync(new AddCardRequest(Card(h), null, Key())));
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.AddBankAccountAsync(new(Bank(h), null, Key(), Signed(s))));
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.UpdateAsync(card.Id, new() { Nickname = "x" }));
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.SetDefaultAsync(card.Id));
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.DeleteAsync(card.Id));
        Assert.Single(await s.ListAsync());
    }

    [Fact]
    public async Task Status_shows_expiring_within_30_days_and_expired()
    {
        await using var h = Harness(database, out _); // clock: 2026-03-02
        var s = h.Get<PaymentMethodService>();
        var soon = await s.AddCardAsync(new AddCardRequest(Card(h, month: 3, year: 2026), null, Key()));
        var later = await s.AddCardAsync(new AddCardRequest(Card(h, "5555555555554444", month: 5, year: 2026), null, Key()));
        Assert.Equal(PaymentMethodStatus.ExpiringSoon, soon.Status);
        Assert.Equal(PaymentMethodStatus.Active, later.Status);
        h.Clock.Advance(TimeSpan.FromDays(61)); // 2026-05-02: March card expired, May card within 30 days
        var list = await s.ListAsync();
        Assert.Equal(PaymentMethodStatus.Expired, list.Single(m => m.Id == soon.Id).Status);
        Assert.Equal(PaymentMethodStatus.ExpiringSoon, list.Single(m => m.Id == later.Id).Status);
    }

    [Fact]
    public async Task Mismatched_capture_kind_and_forged_tokens_are_refused()
    {
        await using var h = Harness(database, out _);
        var s = h.Get<PaymentMethodService>();
        await Assert.ThrowsAsync<PortalValidationException>(() => s.AddCardAsync(new AddCardRequest(Bank(h) with { }, null, Key())));
        var forged = await Assert.ThrowsAsync<PortalValidationException>(() => s.AddCardAsync(new AddCardRequest(new CapturedPaymentMethod("sbx_cap_garbage", PaymentMethodType.Card), null, Key())));
        Assert.Contains("enter them again", forged.Message);
        Assert.Empty(await s.ListAsync());
    }
}

/// <summary>A second scope of one harness: another circuit of the same user.</summary>
internal sealed class PortalHarnessScope(PortalHarness harness) : IAsyncDisposable
{
    private readonly Microsoft.Extensions.DependencyInjection.AsyncServiceScope _scope =
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.CreateAsyncScope(harness.Root);

    public T Get<T>() where T : notnull => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<T>(_scope.ServiceProvider);

    public ValueTask DisposeAsync() => _scope.DisposeAsync();
}

public sealed class PaymentMethodTests_Sqlite(SqliteDatabase db) : PaymentMethodTests(db), IClassFixture<SqliteDatabase>;

public sealed class PaymentMethodTests_Postgres(PostgresDatabase db) : PaymentMethodTests(db), IClassFixture<PostgresDatabase>;
