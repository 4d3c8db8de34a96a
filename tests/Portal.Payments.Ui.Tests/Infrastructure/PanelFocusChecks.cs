using Bunit;
using Microsoft.AspNetCore.Components;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>The focus of an inline panel (<c>InlinePanelBase</c>) as its script calls show it, shared by the pay and schedule panel tests.</summary>
public static class PanelFocusChecks
{
    /// <summary>The module path of the portal's focus script; set it up before rendering the panel.</summary>
    public const string DialogModule = "./_content/Portal.Payments.Ui/js/dialog.js";

    /// <summary>
    /// The title took the focus once, after the script remembered what had it; Cancel gives the focus back to the same
    /// element, or to the grid when that is gone.
    /// </summary>
    public static async Task AssertTakesAndGivesBackTheFocusAsync<TPanel>(IRenderedComponent<TPanel> cut, BunitJSInterop js, BunitJSModuleInterop dialogJs)
        where TPanel : IComponent
    {
        Assert.Single(js.Invocations, i => i.Identifier == "Blazor._internal.domWrapper.focus");
        // What had the focus (the button that opened the panel) is remembered, the module loaded before the title takes
        // the focus, and it gets the focus back on Cancel.
        var remembered = Assert.Single(dialogJs.Invocations, i => i.Identifier == "remember");
        var invocations = js.Invocations.ToList();
        var importedAt = invocations.FindIndex(i => i.Identifier == "import");
        Assert.True(importedAt >= 0 && importedAt < invocations.FindIndex(i => i.Identifier == "Blazor._internal.domWrapper.focus"));
        Assert.DoesNotContain(dialogJs.Invocations, i => i.Identifier == "restore");
        await cut.InvokeAsync(() => cut.FindAll("button").First(b => b.TextContent.Trim() == "Cancel").Click());
        var restored = Assert.Single(dialogJs.Invocations, i => i.Identifier == "restore");
        Assert.Equal(remembered.Arguments[0], restored.Arguments[0]);
        // When the button is gone (a payment cleared the selection), the grid takes the focus.
        Assert.Equal("[role=grid]", restored.Arguments[1]);
    }
}
