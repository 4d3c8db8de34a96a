using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Radzen;

namespace Portal.Payments.Ui.Tests;

/// <summary>The invoice preview dialog: accessible modal, sandboxed document frame, Print, Escape and focus.</summary>
public class InvoicePreviewDialogTests : BunitContext
{
    /// <summary>How long to wait for a render that follows async work: bUnit's own default (one second) is short on a loaded machine.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private const string ModulePath = "./_content/Portal.Payments.Ui/js/invoice-preview.js";
    private readonly BunitJSModuleInterop _module;
    private int _closed;

    public InvoicePreviewDialogTests()
    {
        JSInterop.Mode = JSRuntimeMode.Strict;
        Services.AddRadzenComponents();
        Services.AddPortalStrings();
        _module = JSInterop.SetupModule(ModulePath);
        _module.SetupVoid("open", _ => true).SetVoidResult();
        _module.SetupVoid("close", _ => true).SetVoidResult();
    }

    private IRenderedComponent<InvoicePreviewDialog> RenderDialog() =>
        Render<InvoicePreviewDialog>(p => p
            .Add(x => x.InvoiceId, 42)
            .Add(x => x.InvoiceNumber, "INV-1042")
            .Add(x => x.OnClosed, () => _closed++));

    private static AngleSharp.Dom.IElement Button(IRenderedComponent<InvoicePreviewDialog> cut, string name) =>
        Assert.Single(cut.FindAll("button"), b => (b.QuerySelector(".rz-button-text")?.TextContent ?? b.TextContent).Trim() == name);

    [Fact]
    public void It_is_a_modal_dialog_named_after_the_invoice()
    {
        var cut = RenderDialog();

        var dialog = cut.Find("[role=dialog]");
        Assert.Equal("true", dialog.GetAttribute("aria-modal"));
        Assert.Equal("-1", dialog.GetAttribute("tabindex"));
        var title = cut.Find($"#{dialog.GetAttribute("aria-labelledby")}");
        Assert.Equal("Invoice INV-1042", title.TextContent.Trim());
        Assert.NotNull(Button(cut, "Print"));
        Assert.NotNull(Button(cut, "Close"));
    }

    [Fact]
    public void The_frame_shows_the_document_endpoint_without_a_sandbox_attribute_that_would_blank_a_pdf()
    {
        var cut = RenderDialog();

        var frame = cut.Find("iframe");
        Assert.Equal("Invoice INV-1042 document", frame.GetAttribute("title"));
        // Relative to the app's base path, like the portal's navigation links.
        Assert.Equal("portal-payments/api/invoices/42/document", frame.GetAttribute("src"));
        // A sandboxed frame keeps Chromium's PDF viewer out (a blank frame); the document endpoint sandboxes every other
        // type by its Content-Security-Policy (InvoiceDocumentEndpointTests).
        Assert.False(frame.HasAttribute("sandbox"), $"sandbox=\"{frame.GetAttribute("sandbox")}\"");
        var link = Assert.Single(cut.FindAll("a"), a => a.TextContent.Trim() == "Open in new tab");
        Assert.Equal("portal-payments/api/invoices/42/document", link.GetAttribute("href"));
        Assert.Equal("_blank", link.GetAttribute("target"));
        Assert.Contains("noopener", link.GetAttribute("rel"));
    }

    [Fact]
    public void Focus_moves_into_the_dialog_when_it_opens()
    {
        var cut = RenderDialog();

        var open = _module.VerifyInvoke("open");
        var dialog = Assert.IsType<ElementReference>(open.Arguments[0]);
        Assert.Equal(cut.Find("[role=dialog]").GetAttribute("blazor:elementReference"), dialog.Id);
    }

    [Fact]
    public void Print_prints_the_frame()
    {
        _module.SetupVoid("print", _ => true).SetVoidResult();
        var cut = RenderDialog();

        Button(cut, "Print").Click();

        var print = _module.VerifyInvoke("print");
        var frame = Assert.IsType<ElementReference>(print.Arguments[0]);
        Assert.Equal(cut.Find("iframe").GetAttribute("blazor:elementReference"), frame.Id);
        Assert.Equal("", cut.Find("[role=alert]").TextContent.Trim());
    }

    [Fact]
    public void A_print_the_browser_refuses_explains_what_to_do_instead()
    {
        _module.SetupVoid("print", _ => true).SetException(new JSException("Blocked"));
        var cut = RenderDialog();

        Button(cut, "Print").Click();

        cut.WaitForAssertion(() => Assert.Contains("Open in new tab", cut.Find("[role=alert]").TextContent), Timeout);
        Assert.Equal(0, _closed);
    }

    [Fact]
    public void Escape_closes_and_gives_focus_back()
    {
        var cut = RenderDialog();

        cut.Find("[role=dialog]").KeyDown(new KeyboardEventArgs { Key = "Enter" });
        Assert.Equal(0, _closed);
        cut.Find("[role=dialog]").KeyDown(new KeyboardEventArgs { Key = "Escape" });

        Assert.Equal(1, _closed);
        _module.VerifyInvoke("close");
    }

    [Fact]
    public void Close_closes_once_and_gives_focus_back()
    {
        var cut = RenderDialog();

        Button(cut, "Close").Click();
        cut.Find("[role=dialog]").KeyDown(new KeyboardEventArgs { Key = "Escape" });

        Assert.Equal(1, _closed);
        Assert.Single(_module.Invocations["close"]);
    }
}
