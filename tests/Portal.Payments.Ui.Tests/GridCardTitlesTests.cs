using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Portal.Payments.Ui.Components;
using Radzen;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The phone cards' titles: one rule per visible column, in view order, scoped to one grid, and no title can break out of
/// its CSS string or the style element.
/// </summary>
public class GridCardTitlesTests
{
    private sealed record Row(string Number);

    private static readonly PortalGridColumn<Row>[] Columns =
    [
        new() { Id = "select", Title = "Select", HeaderTemplate = _ => { } },
        new() { Id = "Number", Property = "Number", Field = "number", Title = "Invoice" },
        new() { Id = "PoNumber", Property = "PoNumber", Field = "po", Title = "PO number" },
        new() { Id = "Reference", Property = "Reference", Field = "reference", Title = "Reference", Visible = false },
        new() { Id = "actions", Title = "Actions" },
    ];

    /// <summary>(n-th cell, title) of every rule in <paramref name="css"/>, for the grid <paramref name="gridId"/>.</summary>
    private static List<(int Cell, string Title)> Rules(string css, string gridId) =>
        [.. Regex.Matches(css, @"#(?<grid>[\w-]+) \.pp-grid-cards tr\.rz-data-row > td:nth-child\((?<n>\d+)\)::before \{ content: ""(?<title>[^""]*)""; \}")
            .Select(m =>
            {
                Assert.Equal(gridId, m.Groups["grid"].Value);
                return (int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["title"].Value);
            })];

    [Fact]
    public void The_built_in_layout_titles_the_visible_columns_in_order_and_skips_a_column_headed_by_a_control()
    {
        var css = GridCardTitles.Css("pp-grid-1", Columns, null);

        Assert.StartsWith("@media (max-width: 768px) {", css, StringComparison.Ordinal);
        // The select column is cell 1 and keeps its place, with no title; the hidden Reference column has no cell.
        Assert.Equal([(2, "Invoice"), (3, "PO number"), (4, "Actions")], Rules(css, "pp-grid-1"));
    }

    [Fact]
    public void A_saved_layout_reorders_and_hides_the_titles_with_its_columns()
    {
        var settings = new DataGridSettings
        {
            Columns =
            [
                new DataGridColumnSettings { UniqueID = "select", Visible = true, OrderIndex = 0 },
                new DataGridColumnSettings { UniqueID = "Number", Visible = true, OrderIndex = 3 },
                new DataGridColumnSettings { UniqueID = "PoNumber", Visible = false, OrderIndex = 1 },
                new DataGridColumnSettings { UniqueID = "Reference", Visible = true, OrderIndex = 2 },
                new DataGridColumnSettings { UniqueID = "actions", Visible = true, OrderIndex = 4 },
            ],
        };

        Assert.Equal([(2, "Reference"), (3, "Invoice"), (4, "Actions")], Rules(GridCardTitles.Css("g", Columns, settings), "g"));
    }

    [Fact]
    public void A_saved_column_without_a_unique_id_is_found_by_its_bound_property_as_the_grid_finds_it()
    {
        var settings = new DataGridSettings
        {
            Columns =
            [
                new DataGridColumnSettings { Property = "Row.PoNumber", Visible = true, OrderIndex = 0 },
                // The row's bare property is not what the grid binds ("Row.Number"): the grid ignores it, so do the titles.
                new DataGridColumnSettings { Property = "Number", Visible = false, OrderIndex = 9 },
            ],
        };

        // PO number moves before Invoice (it ties with the select column at place 0, and a tie keeps the built-in order).
        Assert.Equal([(2, "PO number"), (3, "Invoice"), (4, "Actions")], Rules(GridCardTitles.Css("g", Columns, settings), "g"));
    }

    [Fact]
    public void A_title_cannot_end_its_string_its_rule_or_the_style_element()
    {
        PortalGridColumn<Row>[] columns = [new() { Id = "x", Title = "Say \"hi\" } </style><b>\\ 'n' & more\nline" }];

        var css = GridCardTitles.Css("g", columns, null);

        var rule = Assert.Single(Rules(css, "g"));
        Assert.Equal(@"Say \22 hi\22  } \3C /style\3E \3C b\3E \5C  \27 n\27  \26  more\A line", rule.Title);
        Assert.DoesNotContain("<", css, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", css, StringComparison.Ordinal);
        // The braces of the title stay inside the string: the sheet still holds exactly one rule and the media block.
        Assert.EndsWith("; } }", css, StringComparison.Ordinal);
    }
}
