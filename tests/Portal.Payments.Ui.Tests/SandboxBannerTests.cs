using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// While the sandbox gateway or the demo ERP runs, every portal page (its shell) and every receipt says so in a banner;
/// with real adapters there is none. (Receipts: see <see cref="ReceiptViewTests"/>.)
/// </summary>
public class SandboxBannerTests : BunitContext
{
    public SandboxBannerTests() => JSInterop.Mode = JSRuntimeMode.Loose;

    private PortalPaymentsBuilder Portal() => Services.AddCustomerPortalPayments(o => o.RunBackgroundServices = false).UseSqlite("Data Source=unused.db");

    private IRenderedComponent<PortalShell> Shell()
    {
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return Render<PortalShell>(p => p.Add(x => x.Title, "Open invoices").AddChildContent("<p>content</p>"));
    }

    [Fact]
    public void With_the_sandbox_gateway_and_the_demo_ERP_every_page_says_no_real_money_moves_and_names_both()
    {
        Portal().UseSandboxGateway().UseDemoErp();

        var banner = Shell().Find("[data-testid=sandbox-banner]");

        Assert.Equal("note", banner.GetAttribute("role"));
        Assert.StartsWith("Sandbox: no real money moves.", banner.TextContent.Trim(), StringComparison.Ordinal);
        Assert.Contains("sandbox gateway", banner.TextContent, StringComparison.Ordinal);
        Assert.Contains("nothing is charged", banner.TextContent, StringComparison.Ordinal);
        Assert.Contains("invented by the demo ERP", banner.TextContent, StringComparison.Ordinal);
        // At the top of the page, before its heading.
        Assert.Equal("pp-root pp-sandbox-banner", Shell().Find("section.pp-shell > *").GetAttribute("class"));
    }

    [Fact]
    public void With_a_real_gateway_but_the_demo_ERP_the_banner_says_the_invoices_are_invented_not_that_no_money_moves()
    {
        Portal().UseSandboxGateway().UseDemoErp().AddGateway<NoGateway>();

        var text = Shell().Find("[data-testid=sandbox-banner]").TextContent;

        Assert.StartsWith("Demo ERP: the invoices and balances are invented.", text.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("no real money moves", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sandbox gateway", text, StringComparison.Ordinal);
    }

    [Fact]
    public void With_real_adapters_there_is_no_banner()
    {
        Portal().AddGateway<NoGateway>();

        Assert.Empty(Shell().FindAll("[data-testid=sandbox-banner]"));
    }

    [Fact]
    public void A_German_user_reads_the_banner_in_German()
    {
        Portal().UseSandboxGateway().UseDemoErp();
        using var _ = TestCulture.Use("de-DE");

        var text = Shell().Find("[data-testid=sandbox-banner]").TextContent;

        Assert.StartsWith("Sandbox: Es fließt kein echtes Geld.", text.Trim(), StringComparison.Ordinal);
        Assert.Contains("Zahlungen gehen an das Sandbox-Gateway: Karten und Bankkonten sind Testnummern, es wird nichts belastet.", text, StringComparison.Ordinal);
        Assert.Contains("Die Rechnungen und Salden sind vom Demo-ERP erfunden", text, StringComparison.Ordinal);
        Assert.DoesNotContain("no real money moves", text, StringComparison.Ordinal);
        Assert.DoesNotContain("nothing is charged", text, StringComparison.Ordinal);
        Assert.DoesNotContain("invented by the demo ERP", text, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_real_gateway_but_the_demo_ERP_a_German_user_reads_that_the_invoices_are_invented()
    {
        Portal().UseSandboxGateway().UseDemoErp().AddGateway<NoGateway>();
        using var _ = TestCulture.Use("de-DE");

        var text = Shell().Find("[data-testid=sandbox-banner]").TextContent;

        Assert.StartsWith("Demo-ERP: Die Rechnungen und Salden sind erfunden.", text.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("Demo ERP: the invoices", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sandbox-Gateway", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gateway_the_host_registers_itself_after_the_sandbox_takes_the_sandbox_off_the_banner()
    {
        Portal().UseSandboxGateway().UseDemoErp().Services.AddScoped<IPaymentGateway, NoGateway>();

        var text = Shell().Find("[data-testid=sandbox-banner]").TextContent;

        Assert.StartsWith("Demo ERP: the invoices", text.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("sandbox gateway", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_simulation_the_portal_has_no_text_for_is_described_in_its_own_words()
    {
        Portal().AddGateway<NoGateway>().AnnounceSimulation(
            new SimulatedAdapter(SimulatedAdapterRole.Gateway, "acme test gateway", "Payments go to Acme's test gateway."));
        using var _ = TestCulture.Use("de-DE");

        var text = Shell().Find("[data-testid=sandbox-banner]").TextContent;

        Assert.StartsWith("Sandbox: Es fließt kein echtes Geld.", text.Trim(), StringComparison.Ordinal);
        Assert.Contains("Payments go to Acme's test gateway.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SandboxBanner.", text, StringComparison.Ordinal);
    }

    private sealed class NoGateway : PaymentGatewayBase
    {
        public override string Key => "none";
        public override GatewayCapabilities Capabilities => GatewayCapabilities.Cards;
        public override Type CaptureComponent => typeof(ComponentBase);
        public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public override Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
