using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;
using Portal.Payments.Grid;
using Portal.Payments.Services;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Radzen;

namespace Portal.Payments.Ui.Tests;

/// <summary>The invoice preview dialog and the spreadsheet view for a German user.</summary>
public class GermanInvoiceToolsTests : BunitContext
{
    /// <summary>How long to wait for a render that follows async work: bUnit's own default (one second) is short on a loaded machine.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private const string ModulePath = "./_content/Portal.Payments.Ui/js/invoice-preview.js";

    public GermanInvoiceToolsTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddRadzenComponents();
        Services.AddPortalStrings();
    }

    private IRenderedComponent<InvoicePreviewDialog> RenderPreview() =>
        Render<InvoicePreviewDialog>(p => p.Add(x => x.InvoiceId, 42).Add(x => x.InvoiceNumber, "INV-1042"));

    private IRenderedComponent<GridSpreadsheet<string>> RenderSheet(Func<int, int, CancellationToken, Task<GridPage<string>>> load) =>
        Render<GridSpreadsheet<string>>(p => p
            .Add(x => x.Query, new object())
            .Add(x => x.Load, load)
            .Add(x => x.Title, f => f)
            .Add(x => x.CellText, (row, _) => row)
            .Add(x => x.Label, "Offene Rechnungen, Tabellenansicht")
            .Add(x => x.Fields, ["Number"]));

    [Fact]
    public void The_preview_dialog_speaks_German()
    {
        JSInterop.SetupModule(ModulePath).SetupVoid("print", _ => true).SetException(new JSException("Blocked"));
        using var german = TestCulture.Use("de-DE");
        var cut = RenderPreview();

        var dialog = cut.Find("[role=dialog]");
        Assert.Equal("Rechnung INV-1042", cut.Find($"#{dialog.GetAttribute("aria-labelledby")}").TextContent.Trim());
        Assert.Equal("Dokument der Rechnung INV-1042", cut.Find("iframe").GetAttribute("title"));
        Assert.Equal("In neuem Tab öffnen", cut.Find("a").TextContent.Trim());
        Assert.Equal(["Drucken", "Schließen"], cut.FindAll("button .rz-button-text").Select(b => b.TextContent.Trim()));

        cut.FindAll("button")[0].Click();

        cut.WaitForAssertion(() => Assert.Equal("Das Dokument lässt sich hier nicht drucken. Wählen Sie „In neuem Tab öffnen“ und drucken Sie es dort.",
            cut.Find("[role=alert]").TextContent.Trim()), Timeout);
        Assert.DoesNotContain("Invoice", cut.Markup);
        Assert.DoesNotContain("new tab", cut.Markup);
        Assert.DoesNotMatch(@"(>|"")\s*(Preview|Dialog)\.[A-Z]\w*", cut.Markup);
    }

    [Fact]
    public void The_spreadsheet_says_it_is_loading_in_German()
    {
        using var german = TestCulture.Use("de-DE");
        var pending = new TaskCompletionSource<GridPage<string>>();
        var cut = RenderSheet((skip, _, _) => skip == 0 ? Task.FromResult(new GridPage<string>(["INV-1"], 500)) : pending.Task);

        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("td"), c => c.TextContent.Trim() == "Wird geladen …"), Timeout);
        Assert.DoesNotContain("Loading", cut.Markup);
    }

    // Review: a database failure while the spreadsheet view loaded went to the page's error boundary, replacing the page.
    [Fact]
    public void A_failed_load_is_said_in_German_with_try_again_which_loads_the_rows()
    {
        using var german = TestCulture.Use("de-DE");
        var fail = true;
        var cut = RenderSheet((_, _, _) => fail
            ? Task.FromException<GridPage<string>>(new TimeoutException("the database did not answer"))
            : Task.FromResult(new GridPage<string>(["INV-1"], 1)));

        cut.WaitForAssertion(() => Assert.Equal("Die Zeilen konnten gerade nicht geladen werden. Bitte versuchen Sie es gleich noch einmal.",
            cut.Find("[role=alert]").TextContent.Trim()), Timeout);
        Assert.Equal("Erneut versuchen", cut.Find("[data-testid=spreadsheet-retry]").TextContent.Trim());

        fail = false;
        cut.Find("[data-testid=spreadsheet-retry]").Click();
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("td"), c => c.TextContent.Trim() == "INV-1"), Timeout);
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[role=alert]")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=spreadsheet-retry]"));
    }

    [Fact]
    public void A_refused_query_is_explained_in_German()
    {
        using var german = TestCulture.Use("de-DE");
        var refusal = new PortalFieldError("q", "AmountNotPositive", "The amount to pay for INV-1 must be greater than zero.", ["INV-1"]);

        var cut = RenderSheet((_, _, _) => Task.FromException<GridPage<string>>(refusal.ToException()));

        cut.WaitForAssertion(() => Assert.Equal("Der Betrag für INV-1 muss größer als null sein.", cut.Find("[role=alert]").TextContent.Trim()), Timeout);
    }
}
