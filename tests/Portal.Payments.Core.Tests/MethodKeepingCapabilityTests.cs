using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.Payments;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// A gateway without <see cref="GatewayCapabilities.StoreMethods"/> keeps a card for the payment at hand only: the
/// portal adds cards for one payment, refuses to save one (or to add a bank account, whose ACH authorization covers
/// later debits) before the gateway is asked, and such a card still pays. The flag was read nowhere: the portal saved
/// cards such an adapter could not charge again.
/// </summary>
public abstract class MethodKeepingCapabilityTests(TestDatabase database)
{
    /// <summary>The sandbox without <see cref="GatewayCapabilities.StoreMethods"/>, noting every method it is asked to store.</summary>
    private sealed class NonKeepingGateway(SandboxGateway inner, ConcurrentQueue<StoreMethodRequest> stored) : SandboxPassThrough(inner)
    {
        public override GatewayCapabilities Capabilities => Inner.Capabilities & ~GatewayCapabilities.StoreMethods;

        public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default)
        {
            stored.Enqueue(request);
            return Inner.StoreMethodAsync(request, cancellationToken);
        }
    }

    private static PortalHarness NonKeeping(TestDatabase db, out string account, out ConcurrentQueue<StoreMethodRequest> stored)
    {
        var asked = stored = new ConcurrentQueue<StoreMethodRequest>();
        return Harness(db, out account, configure: b => b.Services.Replace(
            ServiceDescriptor.Scoped<IPaymentGateway>(sp => new NonKeepingGateway(sp.GetRequiredService<SandboxGateway>(), asked))));
    }

    private static AddCardRequest Card(PortalHarness h, bool saveForFuture)
    {
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("4242424242424242", 12, 2030, "123", "Pat Payer", "02139"));
        Assert.True(captured.Succeeded, captured.Message);
        return new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Key()) { SaveForFuture = saveForFuture };
    }

    [Fact]
    public async Task Saving_a_card_is_refused_with_what_to_do_before_the_gateway_is_asked()
    {
        await using var h = NonKeeping(database, out _, out var stored);
        var methods = h.Get<PaymentMethodService>();
        Assert.False(methods.KeepsMethods);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => methods.AddCardAsync(Card(h, saveForFuture: true)));

        Assert.Equal(("method", "MethodsNotKept"), (refused.Field, refused.Error?.Code));
        Assert.Contains("one payment only", refused.Message);
        Assert.Empty(stored);
        Assert.Empty(await methods.ListAsync());
    }

    [Fact]
    public async Task Adding_a_bank_account_is_refused_before_the_gateway_is_asked()
    {
        await using var h = NonKeeping(database, out _, out var stored);
        var methods = h.Get<PaymentMethodService>();
        var captured = h.Get<SandboxGateway>().CaptureBankAccount(new SandboxBankInput("110000000", "000123456789", "Acme AP", BankAccountType.Checking, BankAccountHolderType.Business));
        Assert.True(captured.Succeeded, captured.Message);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => methods.AddBankAccountAsync(new AddBankAccountRequest(
            new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.BankAccount), null, Key(), new AchSignature("Pat Payer", true, methods.CurrentAgreement.Version))));

        Assert.Equal(("type", "BankAccountsNotKept"), (refused.Field, refused.Error?.Code));
        Assert.Empty(stored);
        Assert.Empty(await methods.ListAsync());
    }

    [Fact]
    public async Task A_card_for_one_payment_is_added_unlisted_and_pays_an_invoice()
    {
        await using var h = NonKeeping(database, out var account, out var stored);
        var methods = h.Get<PaymentMethodService>();
        var ids = await InvoicesAsync(h, account, new Item("INV-KEEP-1", 12_500));

        var card = await methods.AddCardAsync(Card(h, saveForFuture: false));
        var paid = await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest([ids[0]], card.Id, Key()));

        Assert.Single(stored);
        Assert.False(card.SavedForFuture);
        Assert.False(card.IsDefault);
        Assert.Empty(await methods.ListAsync());
        Assert.Equal(PaymentStatus.Succeeded, paid.Status);
        Assert.Equal(125.00m, paid.Amount.Amount);
    }

    [Fact]
    public async Task A_card_for_one_payment_cannot_be_scheduled_for_later_and_nothing_is_stored()
    {
        await using var h = NonKeeping(database, out var account, out _);
        var ids = await InvoicesAsync(h, account, new Item("INV-KEEP-2", 9_900));
        var card = await h.Get<PaymentMethodService>().AddCardAsync(Card(h, saveForFuture: false));

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() =>
            h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(5), card.Id, Key())));

        Assert.Equal(("method", "ScheduleMethodNotKept"), (refused.Field, refused.Error?.Code));
        Assert.Empty(await PaymentsAsync(h, account));
        Assert.Equal(InvoiceStatus.Open, (await InvoiceRowsAsync(h, ids)).Single().Status);
    }

    [Fact]
    public async Task A_gateway_that_keeps_methods_says_so_and_saves_cards()
    {
        await using var h = Harness(database, out _);
        var methods = h.Get<PaymentMethodService>();

        Assert.True(methods.KeepsMethods);
        var saved = await methods.AddCardAsync(Card(h, saveForFuture: true));

        Assert.True(saved.SavedForFuture);
        Assert.Equal([saved.Id], (await methods.ListAsync()).Select(m => m.Id));
    }
}

public sealed class MethodKeepingCapabilityTests_Sqlite(SqliteDatabase db) : MethodKeepingCapabilityTests(db), IClassFixture<SqliteDatabase>;

public sealed class MethodKeepingCapabilityTests_Postgres(PostgresDatabase db) : MethodKeepingCapabilityTests(db), IClassFixture<PostgresDatabase>;
