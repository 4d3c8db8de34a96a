using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// With a gateway that does not keep methods (no <see cref="GatewayCapabilities.StoreMethods"/>) the pages offer only what
/// it can do: a card for the payment at hand, no saving, no bank accounts, and they say why.
/// </summary>
public class MethodKeepingUiTests : PayTestContext
{
    /// <summary>The sandbox, declaring everything it does but keeping methods.</summary>
    private sealed class NonKeeping(SandboxGateway inner) : PaymentGatewayBase
    {
        public override string Key => inner.Key;

        public override GatewayCapabilities Capabilities => inner.Capabilities & ~GatewayCapabilities.StoreMethods;

        public override Type CaptureComponent => inner.CaptureComponent;

        public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) =>
            inner.StoreMethodAsync(request, cancellationToken);

        public override Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default) =>
            inner.ChargeAsync(request, cancellationToken);
    }

    private async Task StartNonKeepingAsync(Action<Portal.Payments.Hosting.PortalPaymentsOptions>? configure = null)
    {
        AddPortal(configure, invoiceCount: 3);
        Services.AddScoped<IPaymentGateway>(sp => new NonKeeping(sp.GetRequiredService<SandboxGateway>()));
        await Services.MigratePortalPaymentsAsync();
        Users.SignIn(PortalPermissions.Pay);
    }

    [Fact]
    public async Task The_pay_picker_adds_a_card_for_this_payment_only_says_so_and_offers_no_bank_account()
    {
        await StartNonKeepingAsync();
        var selected = new List<PaymentMethodView>();
        var cut = Render<PaymentMethodPicker>(p => p.Add(x => x.OnSelected, (PaymentMethodView m) => selected.Add(m)));
        cut.WaitForAssertion(() => Assert.NotNull(Input(cut, "Card number")), Timeout);

        Assert.Empty(cut.FindAll("[data-testid=save-for-future]"));
        Assert.Equal("This card pays this payment only: the payment processor does not keep cards for later.",
            cut.Find("[data-testid=this-payment-only]").TextContent.Trim());
        Assert.DoesNotContain(cut.FindAll("label"), l => l.TextContent.Trim() == "Bank account");
        EnterCard(cut);

        cut.WaitForAssertion(() => Assert.Single(selected), Timeout);
        Assert.Equal(("4242", false), (selected[0].Last4, selected[0].SavedForFuture));
        Assert.Contains("this payment only", cut.Find("fieldset.pp-picker").TextContent);
        Assert.Empty(await Methods.ListAsync());
    }

    [Fact]
    public async Task A_picker_that_needs_a_saved_method_offers_no_add_and_says_why()
    {
        await StartNonKeepingAsync();

        var cut = Render<PaymentMethodPicker>(p => p.Add(x => x.OfferSaveForFuture, false));

        cut.WaitForAssertion(() => Assert.Equal("There are no saved payment methods: the payment processor does not keep them for later payments.",
            cut.Find("[data-testid=picker-none-kept]").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll("section.pp-add-method"));
        Assert.DoesNotContain(cut.FindAll("label"), l => l.TextContent.Trim() == "Add a payment method");
    }

    [Fact]
    public async Task The_payment_methods_page_has_no_add_button_and_says_to_enter_a_card_when_paying()
    {
        await StartNonKeepingAsync();

        var cut = RenderManager();

        Assert.Equal("No payment methods yet. The payment processor does not keep payment methods: enter a card when you pay.",
            cut.Find("[data-testid=methods-empty]").TextContent.Trim());
        Assert.DoesNotContain(cut.FindAll("button"), b => ButtonName(b) == "Add payment method");
    }

    [Fact]
    public async Task Scheduling_offers_no_card_for_one_payment_and_says_why()
    {
        await StartNonKeepingAsync();
        var ids = await SeedAsync(("INV-KEEP-S1", 40_000, null, OpenItemType.Invoice));

        var cut = Render<SchedulePaymentPanel>(p => p.Add(x => x.InvoiceIds, ids));

        cut.WaitForAssertion(() => Assert.Equal("There are no saved payment methods: the payment processor does not keep them for later payments.",
            cut.Find("[data-testid=picker-none-kept]").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll("section.pp-add-method"));
    }

    [Fact]
    public async Task The_fee_hint_does_not_send_the_payer_to_a_bank_account_that_cannot_be_added()
    {
        await StartNonKeepingAsync(ConvenienceFeeDisclosureTests.CardFee);
        var ids = await SeedAsync(("INV-KEEP-F1", 40_000, null, OpenItemType.Invoice));

        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));

        cut.WaitForAssertion(() => Assert.Equal("Card: Convenience fee (2.5%), USD 10.00.", cut.Find("[data-testid=method-fee-hint]").TextContent.Trim()), Timeout);
    }

    [Fact]
    public async Task With_a_gateway_that_keeps_methods_the_page_offers_adding_and_the_picker_offers_saving()
    {
        await StartAsync();

        var manager = RenderManager();
        var picker = Render<PaymentMethodPicker>();

        Assert.Equal("No payment methods yet. Add a card or a bank account to pay invoices.", manager.Find("[data-testid=methods-empty]").TextContent.Trim());
        Assert.Single(manager.FindAll("button"), b => ButtonName(b) == "Add payment method");
        picker.WaitForAssertion(() => Assert.NotNull(Input(picker, "Card number")), Timeout);
        Assert.Single(picker.FindAll("[data-testid=save-for-future]"));
        Assert.Empty(picker.FindAll("[data-testid=this-payment-only], [data-testid=picker-none-kept]"));
    }
}
