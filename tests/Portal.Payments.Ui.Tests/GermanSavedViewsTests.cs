using AngleSharp.Dom;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Services.Views;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>The saved-views bar for a German user: labels, view names' marks, forms and notices in German.</summary>
public class GermanSavedViewsTests : PaymentMethodTestContext
{
    private const string Grid = "invoices";
    private const string Layout = """{"columns":[{"property":"Number","width":"90px"}],"pageSize":25}""";

    private SavedViewService Views => Services.GetRequiredService<SavedViewService>();

    private IRenderedComponent<SavedViewsBar> RenderBar()
    {
        var cut = Render<SavedViewsBar>(p => p.Add(x => x.Grid, Grid).Add(x => x.GetCurrentLayout, () => Layout));
        cut.WaitForAssertion(() => Assert.False(Select(cut).HasAttribute("disabled")), Timeout);
        return cut;
    }

    private static IElement Select(IRenderedComponent<SavedViewsBar> cut) => Input(cut, "Ansicht");

    private static string[] Options(IRenderedComponent<SavedViewsBar> cut) =>
        Select(cut).QuerySelectorAll("option").Select(o => o.TextContent.Trim()).ToArray();

    private static string Status(IRenderedComponent<SavedViewsBar> cut) => cut.Find("[role=status]").TextContent.Trim();

    private static void AssertNoEnglish(IRenderedComponent<SavedViewsBar> cut)
    {
        var shown = cut.Find(".pp-views").TextContent + " " + cut.Find(".pp-views").GetAttribute("aria-label");
        foreach (var english in new[] { "Standard view", "Save", "shared", "default", "Rename", "Delete", "View", "Cancel", "Keep it", "Showing" })
        {
            Assert.DoesNotContain(english, shown, StringComparison.Ordinal);
        }
        Assert.DoesNotMatch(@"(>|"")\s*(Views|Common)\.[A-Z]\w*", cut.Markup);
    }

    [Fact]
    public async Task A_German_user_sees_the_views_marked_and_switches_in_German()
    {
        await StartAsync();
        Users.Current = Users.Current! with { UserId = "u-sam", DisplayName = "Sam Second" };
        await Views.SaveAsync(new SaveViewRequest(Grid, "Team", Layout) { IsShared = true });
        Users.SignIn(PortalPermissions.Pay);
        var mine = await Views.SaveAsync(new SaveViewRequest(Grid, "Mine", Layout) { IsShared = true, MakeDefault = true });
        using var german = TestCulture.Use("de-DE");

        var cut = RenderBar();

        Assert.Equal("Gespeicherte Ansichten", cut.Find("[role=group]").GetAttribute("aria-label"));
        Assert.Equal(["Standardansicht", "Mine (freigegeben) (meine Startansicht)", "Team (freigegeben von Sam Second)"], Options(cut));
        Assert.Equal(["Ansicht speichern …", "Umbenennen", "Freigabe aufheben", "Löschen", "Startansicht zurücksetzen"], cut.FindAll(".pp-views-bar button").Select(ButtonName));

        Select(cut).Change("");
        Assert.Equal("Die Standardansicht wird angezeigt.", Status(cut));
        Select(cut).Change(mine.Id.ToString());
        Assert.Equal("Die Ansicht „Mine“ wird angezeigt.", Status(cut));
        Button(cut, "Freigabe aufheben").Click();
        cut.WaitForAssertion(() => Assert.Equal("„Mine“ ist nicht mehr freigegeben.", Status(cut)), Timeout);
        Button(cut, "Startansicht zurücksetzen").Click();
        cut.WaitForAssertion(() => Assert.Equal("Die Standardansicht ist wieder Ihre Startansicht.", Status(cut)), Timeout);
        AssertNoEnglish(cut);
    }

    [Fact]
    public async Task A_German_user_saves_renames_and_deletes_a_view_in_German()
    {
        await StartAsync();
        var draft = await Views.SaveAsync(new SaveViewRequest(Grid, "Entwurf", Layout));
        using var german = TestCulture.Use("de-DE");
        var cut = RenderBar();
        Select(cut).Change(draft.Id.ToString());

        Button(cut, "Ansicht speichern …").Click();
        Assert.Equal("Ansicht speichern", cut.Find("form h2").TextContent.Trim());
        Assert.NotNull(Input(cut, "„Entwurf“ mit dem aktuellen Layout überschreiben"));
        Input(cut, "Name der Ansicht").Input("Diese Woche fällig");
        Input(cut, "Für alle Benutzer dieses Kontos freigeben").Change(true);
        Input(cut, "Als meine Startansicht verwenden").Change(true);
        Assert.NotNull(Button(cut, "Abbrechen"));
        AssertNoEnglish(cut);
        Button(cut, "Speichern").Click();
        cut.WaitForAssertion(() => Assert.Equal(
            "Ansicht „Diese Woche fällig“ als Ihre Startansicht gespeichert und für alle Benutzer dieses Kontos freigegeben.", Status(cut)), Timeout);

        Button(cut, "Umbenennen").Click();
        Assert.Equal("„Diese Woche fällig“ umbenennen", cut.Find("form h2").TextContent.Trim());
        Input(cut, "Neuer Name").Input("Fällig");
        Button(cut, "Name speichern").Click();
        cut.WaitForAssertion(() => Assert.Equal("Ansicht in „Fällig“ umbenannt.", Status(cut)), Timeout);

        Button(cut, "Löschen").Click();
        var confirm = cut.Find("[role=alertdialog]");
        Assert.Equal("Ansicht „Fällig“ löschen?", confirm.QuerySelector("h2")!.TextContent.Trim());
        Assert.Equal("Alle Benutzer dieses Kontos verlieren sie; wer sie als Startansicht nutzt, sieht stattdessen die Standardansicht.",
            confirm.QuerySelector("p")!.TextContent.Trim());
        Assert.Single(Buttons(confirm, "Behalten"));
        AssertNoEnglish(cut);
        Assert.Single(Buttons(confirm, "Löschen")).Click();
        cut.WaitForAssertion(() => Assert.Equal("Ansicht „Fällig“ gelöscht. Die Standardansicht wird angezeigt.", Status(cut)), Timeout);
        Assert.Equal(["Standardansicht", "Entwurf"], Options(cut));
    }
}
