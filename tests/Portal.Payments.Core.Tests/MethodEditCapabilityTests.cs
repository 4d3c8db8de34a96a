using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// Editing a stored method asks the gateway only for the details it holds that really changed, and never asks a gateway
/// without <see cref="GatewayCapabilities.UpdateMethods"/> (an adapter derived from <see cref="PaymentGatewayBase"/>
/// answers "unsupported" otherwise, and the payer read that sentence on a nickname change).
/// </summary>
public abstract class MethodEditCapabilityTests(TestDatabase database)
{
    /// <summary>The sandbox, with or without <see cref="GatewayCapabilities.UpdateMethods"/>, noting every update it is asked for.</summary>
    private sealed class UpdateRecordingGateway(SandboxGateway inner, bool canUpdate, ConcurrentQueue<UpdateMethodRequest> asked) : SandboxPassThrough(inner)
    {
        public override GatewayCapabilities Capabilities => canUpdate
            ? Inner.Capabilities | GatewayCapabilities.UpdateMethods
            : Inner.Capabilities & ~GatewayCapabilities.UpdateMethods;

        public override Task<GatewayOperationResult> UpdateMethodAsync(UpdateMethodRequest request, CancellationToken cancellationToken = default)
        {
            asked.Enqueue(request);
            // Without the capability this is PaymentGatewayBase's own answer ("unsupported").
            return canUpdate ? Inner.UpdateMethodAsync(request, cancellationToken) : base.UpdateMethodAsync(request, cancellationToken);
        }
    }

    private static PortalHarness Harness(TestDatabase db, bool canUpdate, out ConcurrentQueue<UpdateMethodRequest> asked)
    {
        var calls = asked = new ConcurrentQueue<UpdateMethodRequest>();
        var h = new PortalHarness(db, configure: b => b.Services.Replace(
            ServiceDescriptor.Scoped<IPaymentGateway>(sp => new UpdateRecordingGateway(sp.GetRequiredService<SandboxGateway>(), canUpdate, calls))));
        h.SignIn(PortalHarness.NewAccount());
        return h;
    }

    private static async Task<PaymentMethodView> CardAsync(PortalHarness h, string? nickname = null)
    {
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("4242424242424242", 12, 2030, "123", "Pat Payer", "02139"));
        Assert.True(captured.Succeeded, captured.Message);
        return await h.Get<PaymentMethodService>().AddCardAsync(new AddCardRequest(
            new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), nickname, Guid.NewGuid().ToString("N")));
    }

    private static async Task<PaymentMethodView> BankAsync(PortalHarness h)
    {
        var s = h.Get<PaymentMethodService>();
        var captured = h.Get<SandboxGateway>().CaptureBankAccount(new SandboxBankInput("110000000", "000123456789", "Acme AP", BankAccountType.Checking, BankAccountHolderType.Business));
        Assert.True(captured.Succeeded, captured.Message);
        return await s.AddBankAccountAsync(new AddBankAccountRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.BankAccount), null,
            Guid.NewGuid().ToString("N"), new AchSignature("Pat Payer", true, s.CurrentAgreement.Version)));
    }

    [Fact]
    public async Task Without_UpdateMethods_a_nickname_change_with_every_field_sent_back_saves_and_never_asks_the_gateway()
    {
        await using var h = Harness(database, canUpdate: false, out var asked);
        var s = h.Get<PaymentMethodService>();
        var card = await CardAsync(h, "AP card");
        Assert.False(s.CanUpdateGatewayDetails);

        // What the edit form sends: every field as shown (the holder and postal code padded as typed), the nickname new.
        var saved = await s.UpdateAsync(card.Id, new() { HolderName = " Pat Payer ", BillingPostalCode = "02139 ", Nickname = "Travel" });

        Assert.Equal("Travel", saved.Nickname);
        Assert.Equal(("Pat Payer", "02139", "12/2030"), (saved.HolderName, saved.BillingPostalCode, saved.Expiry));
        Assert.Empty(asked);
        Assert.Equal("Travel", (await s.GetAsync(card.Id)).Nickname);
    }

    [Fact]
    public async Task Without_UpdateMethods_a_new_holder_name_is_refused_with_what_to_do_and_nothing_changes()
    {
        await using var h = Harness(database, canUpdate: false, out var asked);
        var s = h.Get<PaymentMethodService>();
        var card = await CardAsync(h, "AP card");

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(card.Id, new() { HolderName = "P. Payer", Nickname = "Travel" }));

        Assert.Equal("holderName", refused.Field);
        Assert.Equal("CardDetailsNotUpdatable", refused.Error?.Code);
        Assert.Contains("add the card again", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot update stored methods", refused.Message, StringComparison.Ordinal);
        Assert.Empty(asked);
        var stored = await s.GetAsync(card.Id);
        Assert.Equal(("Pat Payer", "AP card"), (stored.HolderName, stored.Nickname));

        // The expiry and the postal code are refused by their own fields; a bank account names the account.
        Assert.Equal("expiry", (await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(card.Id, new() { ExpiryMonth = 1, ExpiryYear = 2031 }))).Field);
        Assert.Equal("postalCode", (await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(card.Id, new() { BillingPostalCode = "10001" }))).Field);
        var bank = await BankAsync(h);
        var bankRefused = await Assert.ThrowsAsync<PortalValidationException>(() => s.UpdateAsync(bank.Id, new() { HolderName = "Acme Treasury" }));
        Assert.Equal(("holderName", "BankDetailsNotUpdatable"), (bankRefused.Field, bankRefused.Error?.Code));
        Assert.Contains("add the bank account again", bankRefused.Message, StringComparison.Ordinal);
        Assert.Empty(asked);
    }

    [Fact]
    public async Task With_UpdateMethods_only_the_changed_details_go_to_the_gateway()
    {
        await using var h = Harness(database, canUpdate: true, out var asked);
        var s = h.Get<PaymentMethodService>();
        var card = await CardAsync(h);
        Assert.True(s.CanUpdateGatewayDetails);

        // Nickname only, the rest sent back unchanged: no call.
        await s.UpdateAsync(card.Id, new() { HolderName = "Pat Payer", BillingPostalCode = "02139", Nickname = "Travel" });
        Assert.Empty(asked);

        // A new postal code with the holder sent back unchanged: only the postal code goes.
        var saved = await s.UpdateAsync(card.Id, new() { HolderName = "Pat Payer", BillingPostalCode = " 10001", Nickname = "Travel" });
        var request = Assert.Single(asked);
        Assert.Equal((null, null, null, "10001"), (request.ExpiryMonth, request.ExpiryYear, request.HolderName, request.BillingPostalCode));
        Assert.Equal(("Pat Payer", "10001"), (saved.HolderName, saved.BillingPostalCode));

        // The same expiry sent again is no change either; a new one goes alone.
        asked.Clear();
        await s.UpdateAsync(card.Id, new() { ExpiryMonth = 12, ExpiryYear = 2030 });
        Assert.Empty(asked);
        await s.UpdateAsync(card.Id, new() { ExpiryMonth = 1, ExpiryYear = 2031, HolderName = "Pat Payer" });
        request = Assert.Single(asked);
        Assert.Equal((1, 2031, null, null), (request.ExpiryMonth, request.ExpiryYear, request.HolderName, request.BillingPostalCode));
        Assert.Equal("01/2031", (await s.GetAsync(card.Id)).Expiry);
    }
}

public sealed class MethodEditCapabilityTests_Sqlite(SqliteDatabase db) : MethodEditCapabilityTests(db), IClassFixture<SqliteDatabase>;

public sealed class MethodEditCapabilityTests_Postgres(PostgresDatabase db) : MethodEditCapabilityTests(db), IClassFixture<PostgresDatabase>;
