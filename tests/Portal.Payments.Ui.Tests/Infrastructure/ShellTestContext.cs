using Microsoft.AspNetCore.Components;
using Radzen;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>A bUnit context for the portal shell alone: Radzen, the portal's texts, loose JS interop, an interactive renderer.</summary>
public abstract class ShellTestContext : BunitContext
{
    protected ShellTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddRadzenComponents();
        Services.AddPortalStrings();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }
}
