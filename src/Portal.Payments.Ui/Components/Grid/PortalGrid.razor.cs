using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Portal.Payments.Grid;
using Portal.Payments.Services;
using Radzen;
using Radzen.Blazor;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// A saved layout of a <see cref="PortalGrid{TRow}"/>: Radzen's settings (columns, order, widths, filters, sorts, page size),
/// the search text, and whatever the page adds (the open invoices keep their aging period as <c>agingBucket</c>).
/// </summary>
public sealed class PortalGridLayout
{
    /// <summary>Columns (order, width, visibility), filters, sorts and page size.</summary>
    public DataGridSettings? Grid { get; set; }

    /// <summary>General search text.</summary>
    public string? Search { get; set; }

    /// <summary>The page's own parts of the layout, by name.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>
/// The portal's grid: search box (anywhere in the searched fields from three characters), saved views, spreadsheet view,
/// CSV export and a Radzen DataGrid whose filtering, sorting and paging all run in the database through
/// <see cref="LoadPage"/>. A page supplies one column list and its data; selection and row actions stay with the page.
/// </summary>
/// <typeparam name="TRow">Row type.</typeparam>
public partial class PortalGrid<TRow> : ComponentBase, IDisposable where TRow : notnull
{
    private const int DefaultPageSize = 25;
    private static readonly IEnumerable<int> PageSizes = [25, 50, 100];
    private static readonly TimeSpan MaxLoadingIndicatorDelay = TimeSpan.FromMinutes(1);

    private readonly string _id = "pp-grid-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Func<bool> _held;
    private RadzenDataGrid<PortalGridSlot<TRow>>? _grid;
    private object _gridKey = new();
    private DataGridSettings? _settings;
    private int _pageSize = DefaultPageSize;
    // Null until the first load: Radzen's grid raises LoadData on its first render only while Data is null.
    private List<TRow>? _rows;
    // The rows in their places: the DataGrid's items (see PortalGridSlot), as a query Radzen counts without compiling (see ListQuery).
    private ListQuery<PortalGridSlot<TRow>>? _slots;
    private int _count;
    private bool _loading;
    // Radzen's loading indicator: only once a load has run for LoadingIndicatorDelay.
    private bool _showLoading;
    private int _loadNumber;
    // The end of a load that outlived Radzen's click (see LoadDataAsync); reloads the page asks for wait for it.
    private Task _pendingLoad = Task.CompletedTask;
    private bool _disposed;
    private string? _error;
    // The last load failed (the database, not the query): the empty result offers Try again, not Clear filters.
    private bool _loadFailed;
    private IReadOnlyList<GridFilter> _filters = [];
    private IReadOnlyList<GridSort> _sorts = [];
    private string? _search;
    private string? _appliedSearch;
    private bool _spreadsheet;
    private CancellationTokenSource? _debounce;
    private GridColumnMap _map = new([]);
    private IReadOnlyList<PortalGridColumn<TRow>>? _mappedColumns;
    // One cell fragment per templated column for the grid's lifetime: a new delegate each render would re-render every
    // column. A column of plain text has none: its rows write the text straight into the cell (_cells).
    private Dictionary<string, RenderFragment<PortalGridSlot<TRow>>> _templates = [];
    // Each column's body cells (classes with the alignment's, and a plain column's text), built once per column list.
    private Dictionary<string, PortalGridCell<PortalGridSlot<TRow>>> _cells = [];
    // The filter's value drop-downs (first and second condition) of each column with its own FilterChoices.
    private Dictionary<string, (RenderFragment<RadzenDataGridColumn<PortalGridSlot<TRow>>> First, RenderFragment<RadzenDataGridColumn<PortalGridSlot<TRow>>> Second)> _filterValues = [];
    private RenderFragment? _columnDeclarations;
    private readonly RenderFragment _header;
    // The enum filters' choices in the user's language (one delegate for the grid's lifetime).
    private readonly Func<Enum, string?> _enumText;
    private int _shownRevision;
    private int _sheetReloads;   // bumped to make the spreadsheet view load its rows again
    private (DataGridSettings? Settings, IReadOnlyList<PortalGridColumn<TRow>> Columns, string Css)? _cardTitles;
    // Settings given to the grid that it has not applied yet (see GridRendered).
    private DataGridSettings? _pushed;
    // The movable columns while "Arrange columns" is open.
    private IReadOnlyList<GridColumnArrangement>? _arranging;


    /// <summary>A grid shell.</summary>
    public PortalGrid()
    {
        _held = () => Held;
        _enumText = value => PaymentText.EnumValue(L, value);
        // The selection bar inside Radzen's header, in a render tree of its own (see GridHeaderContent).
        _header = builder =>
        {
            builder.OpenComponent<GridHeaderContent>(0);
            builder.AddComponentParameter(1, nameof(GridHeaderContent.ChildContent), SelectionBar);
            builder.CloseComponent();
        };
    }

    [Inject] private ILogger<PortalGrid<TRow>> Logger { get; set; } = default!;

    /// <summary>Saved-views key of the grid ("invoices", "history"). Required.</summary>
    [Parameter, EditorRequired] public string GridKey { get; set; } = "";

    /// <summary>The columns, in their built-in order. Required.</summary>
    [Parameter, EditorRequired] public IReadOnlyList<PortalGridColumn<TRow>> Columns { get; set; } = [];

    /// <summary>Loads one page (and the total count) of the query: the page's Core service. Required.</summary>
    [Parameter, EditorRequired] public Func<GridQuery, CancellationToken, Task<GridPage<TRow>>> LoadPage { get; set; } = default!;

    /// <summary>Accessible name of the grid ("Open invoices"). Required.</summary>
    [Parameter, EditorRequired] public string Label { get; set; } = "";

    /// <summary>Label of the search box. Default "Search".</summary>
    [Parameter] public string? SearchLabel { get; set; }

    /// <summary>Placeholder of the search box (what it searches). Default none.</summary>
    [Parameter] public string? SearchPlaceholder { get; set; }

    /// <summary>Said when nothing matches the search and filters. Default "Nothing matches your search and filters.".</summary>
    [Parameter] public string? NoMatchText { get; set; }

    /// <summary>Said when there are no rows at all. Default "Nothing to show.".</summary>
    [Parameter] public string? EmptyText { get; set; }

    /// <summary>The CSV link of a query and the visible fields in view order; no Export CSV link when null. Default none.</summary>
    [Parameter] public Func<GridQuery, IReadOnlyList<string>, string>? ExportLink { get; set; }

    /// <summary>The page's selection bar: in the grid's header row (above the spreadsheet view there). Default none.</summary>
    [Parameter] public RenderFragment? SelectionBar { get; set; }

    /// <summary>Extra CSS classes of a row (a selected row is highlighted). Default none.</summary>
    [Parameter] public Func<TRow, string?>? RowClass { get; set; }

    /// <summary>True while the page filters the rows by something of its own (the open invoices' aging period). Default false.</summary>
    [Parameter] public bool PageFilterActive { get; set; }

    /// <summary>Raised by "Clear filters": the page clears its own filters too (before the grid reloads).</summary>
    [Parameter] public EventCallback OnFiltersCleared { get; set; }

    /// <summary>Raised after a page of rows loaded.</summary>
    [Parameter] public EventCallback<GridPage<TRow>> OnPageLoaded { get; set; }

    /// <summary>The page's parts of a saved layout (called when the user saves a view). Default none.</summary>
    [Parameter] public Func<Dictionary<string, JsonElement>>? SaveLayoutExtra { get; set; }

    /// <summary>Applies the page's parts of a layout (null for the built-in layout) before the grid reloads.</summary>
    [Parameter] public EventCallback<IReadOnlyDictionary<string, JsonElement>?> OnLayoutApplied { get; set; }

    /// <summary>Bumped by the page when the data changed under the same query (after a payment): the rows reload.</summary>
    [Parameter] public int Revision { get; set; }

    /// <summary>
    /// A page of rows that takes longer than this to load shows the loading indicator; a quicker one goes straight from
    /// the old rows to the new (nothing renders in between). From zero to one minute; default 400 ms.
    /// </summary>
    [Parameter] public TimeSpan LoadingIndicatorDelay { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>Prefix of the test ids ("grid" gives "grid-search", "grid-export-csv"…). Default "grid".</summary>
    [Parameter] public string TestId { get; set; } = "grid";

    /// <summary>The query the grid shows now, from its first row (search, filters, sorts; page size as Take).</summary>
    public GridQuery CurrentQuery => new() { Search = _appliedSearch, Filters = _filters, Sorts = _sorts, Take = _pageSize, TimeZone = Time.Zone.Id };

    /// <summary>The rows of the page shown now.</summary>
    public IReadOnlyList<TRow> Rows => _rows ?? [];

    /// <summary>Rows of the whole result (all pages).</summary>
    public int TotalCount => _count;

    /// <summary>True when a search, a column filter or the page's own filter narrows the rows.</summary>
    public bool IsFiltered => _appliedSearch is not null || _filters.Count > 0 || PageFilterActive;

    private IReadOnlyList<string> VisibleFields => _map.VisibleFields(_settings);

    /// <summary>
    /// The titles of the hidden columns whose filters narrow the rows shown now. Read on every render: built again only
    /// when the filters, the layout or the columns change (as <see cref="CardTitles"/>), not on every click.
    /// </summary>
    private IReadOnlyList<string> HiddenFilterTitles
    {
        get
        {
            if (_filters.Count == 0)
            {
                return [];
            }
            if (_hiddenFilterTitles is not { } cached || !ReferenceEquals(cached.Filters, _filters) || !ReferenceEquals(cached.Settings, _settings)
                || !ReferenceEquals(cached.Columns, Columns))
            {
                var visible = VisibleFields;
                List<string> titles = [.. _filters.Select(f => f.Field).Distinct(StringComparer.Ordinal).Where(f => !visible.Contains(f, StringComparer.Ordinal)).Select(_map.Title)];
                _hiddenFilterTitles = cached = (_filters, _settings, Columns, titles);
            }
            return cached.Titles;
        }
    }

    private (IReadOnlyList<GridFilter> Filters, DataGridSettings? Settings, IReadOnlyList<PortalGridColumn<TRow>> Columns, IReadOnlyList<string> Titles)? _hiddenFilterTitles;

    /// <summary>
    /// The phone cards' cell titles: one rule per visible column, in view order, naming the n-th cell of every row. Built
    /// again only when the layout (order, visibility) or the columns change.
    /// </summary>
    private string CardTitles
    {
        get
        {
            if (_cardTitles is not { } cached || !ReferenceEquals(cached.Settings, _settings) || !ReferenceEquals(cached.Columns, Columns))
            {
                var css = GridCardTitles.Css(_id, Columns, _settings);
                _cardTitles = cached = (_settings, Columns, css);
            }
            return cached.Css;
        }
    }

    /// <inheritdoc />
    protected override bool ShouldRender() => !Held;

    /// <summary>
    /// While a page loads, until the indicator is due, neither this component nor the DataGrid renders: the old rows would
    /// render again unchanged, for nothing but the indicator's flash.
    /// </summary>
    private bool Held => _loading && !_showLoading;

    /// <inheritdoc />
    protected override async Task OnParametersSetAsync()
    {
        if (LoadingIndicatorDelay < TimeSpan.Zero || LoadingIndicatorDelay > MaxLoadingIndicatorDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(LoadingIndicatorDelay), LoadingIndicatorDelay,
                $"{nameof(PortalGrid<TRow>)}.{nameof(LoadingIndicatorDelay)} must be from zero (show the indicator at once) to {MaxLoadingIndicatorDelay.TotalSeconds:0} s, not {LoadingIndicatorDelay}.");
        }
        if (!ReferenceEquals(_mappedColumns, Columns))
        {
            if (_mappedColumns is not null)
            {
                // Another column list: a new Radzen grid, since the declarations leave out what equals Radzen's defaults
                // (a parameter left out keeps the value an earlier list gave it), which loads its own rows.
                ForgetRows();
                _gridKey = new object();
            }
            _mappedColumns = Columns;
            _columnDeclarations = DeclareColumns;
            _map = GridColumnMap.For(Columns);
            _templates = Columns.Where(c => c.Template is not null).ToDictionary(c => c.Id, c => Cell(c.Template!), StringComparer.Ordinal);
            _cells = Columns.ToDictionary(c => c.Id, BodyCell, StringComparer.Ordinal);
            _filterValues = Columns.Where(c => c.FilterChoices is not null)
                .ToDictionary(c => c.Id, c => (FilterValue(c.FilterChoices!, first: true), FilterValue(c.FilterChoices!, first: false)), StringComparer.Ordinal);
        }
        if (_shownRevision != Revision)
        {
            _shownRevision = Revision;
            await ReloadAsync();
        }
    }

    /// <summary>Replaces rows of the page shown now (a comment count changed) without a reload.</summary>
    public void UpdateRows(Func<TRow, TRow> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (_rows is not null)
        {
            SetRows(_rows.ConvertAll(r => update(r)));
            StateHasChanged();
        }
    }

    /// <summary>Reloads the current page (after the data changed).</summary>
    public async Task ReloadAsync()
    {
        if (_spreadsheet)
        {
            ReloadSheet();
        }
        else if (_grid is not null)
        {
            await _grid.Reload();
            await PendingLoadsAsync();
        }
    }

    /// <summary>Reloads from the first page (after the page's own filter changed).</summary>
    public async Task FirstPageAsync()
    {
        if (_spreadsheet)
        {
            ReloadSheet();
        }
        else if (_grid is not null)
        {
            await _grid.FirstPage(true);
            await PendingLoadsAsync();
        }
    }

    /// <summary>
    /// The spreadsheet view loads its rows again: the data changed, or a filter of the page's own that its query does not
    /// carry (the open invoices' aging period) did.
    /// </summary>
    private void ReloadSheet()
    {
        _sheetReloads++;
        StateHasChanged();
    }

    /// <summary>Clears the search, every column filter and (through <see cref="OnFiltersCleared"/>) the page's own filters.</summary>
    public async Task ClearFiltersAsync()
    {
        _debounce?.Cancel();
        _search = _appliedSearch = null;
        _error = null;
        _loadFailed = false;
        if (_grid is not null)
        {
            foreach (var column in _grid.ColumnsCollection)
            {
                column.ClearFilters();
            }
        }
        await OnFiltersCleared.InvokeAsync();
        await FirstPageAsync();
    }

    private Task LoadDataAsync(LoadDataArgs args)
    {
        var number = ++_loadNumber;
        _loading = true;
        var take = args.Top is > 0 ? args.Top.Value : _pageSize;
        Task<GridPage<TRow>> loading;
        try
        {
            var query = new GridQuery
            {
                Search = _appliedSearch,
                Filters = _map.Filters(args),
                Sorts = _map.Sorts(args),
                Skip = args.Skip ?? 0,
                Take = take,
                // A day filter on a payment's time means the day the grid shows it on: the user's zone.
                TimeZone = Time.Zone.Id,
            };
            _filters = query.Filters;
            _sorts = query.Sorts;
            loading = LoadTitledAsync(query, CancellationToken.None);
        }
        catch (Exception ex)
        {
            loading = Task.FromException<GridPage<TRow>>(ex);
        }
        if (loading.IsCompleted)
        {
            // On SQLite every load completes here: the rows render with the click's own render.
            return CompleteLoadAsync(number, loading, args.Skip ?? 0, take, deferred: false);
        }
        // Still running (a database across a network). Radzen's click (pager, sort, filter) ends now, so its own renders
        // (the pager's new page, the held grid) go out in one batch and the rows render once when they come. Awaited
        // here, each step of the load would end in a render of its own: five render batches per page change on
        // PostgreSQL, each a message the browser applies and acknowledges.
        _ = ShowLoadingLaterAsync(number);
        _pendingLoad = CompleteDeferredAsync(number, loading, args.Skip ?? 0, take);
        return Task.CompletedTask;
    }

    // Until no load is running (a deferred load that steps back starts another).
    private async Task PendingLoadsAsync()
    {
        Task pending;
        do
        {
            pending = _pendingLoad;
            await pending;
        }
        while (!ReferenceEquals(pending, _pendingLoad));
    }

    // A deferred load's end: its exceptions go where the click's would have gone (the error boundary, the circuit). A
    // cancelled load is not an error there either (Blazor ignores a cancelled event task), nor anything after the grid is gone.
    private async Task CompleteDeferredAsync(int number, Task<GridPage<TRow>> loading, int skip, int take)
    {
        try
        {
            await CompleteLoadAsync(number, loading, skip, take, deferred: true);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !_disposed)
        {
            await DispatchExceptionAsync(ex);
        }
        catch (Exception ex) when (ex is OperationCanceledException || _disposed)
        {
            // Nothing to show it on, or nothing to show.
        }
    }

    private async Task CompleteLoadAsync(int number, Task<GridPage<TRow>> loading, int skip, int take, bool deferred)
    {
        GridPage<TRow>? loaded = null;
        var stepBack = false;
        try
        {
            loaded = await loading;
            if (number != _loadNumber)
            {
                // A newer load owns the grid (a click while this one ran): its rows, not these.
                return;
            }
            if (deferred && loaded is { Items.Count: 0, TotalCount: > 0 } && (loaded.TotalCount - 1) / take < skip / take && _grid is not null)
            {
                // The page came back empty and the result now ends before it (its last rows went elsewhere meanwhile): the
                // last page instead, as Radzen does for a load that ends within its click; the rows shown stay until it
                // comes (Radzen would take an empty page with a count above zero for this case and go to the first page).
                // A page empty although the count reaches it (rows went between the count and the read) shows as empty.
                stepBack = true;
                return;
            }
            SetRows([.. loaded.Items]);
            _count = loaded.TotalCount;
            _error = null;
            _loadFailed = false;
        }
        catch (PortalValidationException ex) when (number == _loadNumber)
        {
            // Never a silently wrong result: show why, and no rows.
            SetRows([]);
            _count = 0;
            _error = FieldErrorText.Of(L, ex);
            _loadFailed = false;
        }
        catch (Exception ex) when (number == _loadNumber && ex is not OperationCanceledException and not PortalAccessDeniedException and not PortalValidationException)
        {
            // The database (or the host's data source) failed: say so, offer the same page again, keep search and filters.
            Logger.LogWarning(ex, "The {Grid} grid's rows could not be loaded", GridKey);
            SetRows([]);
            _count = 0;
            _error = L["Grid.LoadFailed"];
            _loadFailed = true;
        }
        catch (Exception ex) when (number != _loadNumber && ex is not PortalAccessDeniedException)
        {
            // A load a newer one replaced: what it would have said no longer applies.
            return;
        }
        finally
        {
            // An older load that ends after a newer one started leaves the hold to the newer one.
            if (number == _loadNumber)
            {
                _loading = _showLoading = false;
            }
            if (stepBack)
            {
                _count = loaded!.TotalCount;
                await _grid!.GoToPage((loaded.TotalCount - 1) / take);
            }
        }
        if (deferred && !_disposed)
        {
            StateHasChanged();
        }
        if (loaded is not null)
        {
            await OnPageLoaded.InvokeAsync(loaded);
        }
    }

    /// <summary>Shows the loading indicator if load <paramref name="number"/> is still running after the delay.</summary>
    private async Task ShowLoadingLaterAsync(int number)
    {
        await Task.Delay(LoadingIndicatorDelay);
        if (!_disposed && number == _loadNumber && _loading)
        {
            _showLoading = true;
            StateHasChanged();
        }
    }

    private Task<GridPage<TRow>> LoadSheetAsync(int skip, int take, CancellationToken cancellationToken) =>
        LoadTitledAsync(CurrentQuery with { Skip = skip, Take = take }, cancellationToken);

    // LoadPage, with a refused column filter named by the column's title as the grid shows it (the user's language), not
    // by the service's English field title. Completes synchronously when LoadPage does.
    private async Task<GridPage<TRow>> LoadTitledAsync(GridQuery query, CancellationToken cancellationToken)
    {
        try
        {
            return await LoadPage(query, cancellationToken);
        }
        catch (PortalValidationException ex) when (_map.Retitled(ex) is { } retitled)
        {
            throw retitled;
        }
    }

    private string CellText(TRow row, string field) => Columns.FirstOrDefault(c => c.Field == field)?.Text(row) ?? "";

    private static string? SlotPath(string? property) => PortalGridSlot<TRow>.PathOf(property);

    /// <summary>
    /// Radzen's column declarations, with only the parameters that differ from Radzen's defaults. They are rendered inside
    /// the Radzen grid's own render tree, which every render of the grid (each page change) builds and compares again and
    /// which the circuit keeps twice: one frame per parameter, 15 columns.
    /// </summary>
    private void DeclareColumns(RenderTreeBuilder builder)
    {
        foreach (var column in Columns)
        {
            builder.OpenComponent<PortalDataGridColumn<PortalGridSlot<TRow>>>(0);
            builder.SetKey(column.Id);
            builder.AddComponentParameter(1, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.UniqueID), column.Id);
            builder.AddComponentParameter(2, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.Title), column.Title);
            if (SlotPath(column.Property) is { } property)
            {
                builder.AddComponentParameter(3, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.Property), property);
            }
            if (column.Width is { } width)
            {
                builder.AddComponentParameter(4, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.Width), width);
            }
            if (column.Align != TextAlign.Left)
            {
                builder.AddComponentParameter(5, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.TextAlign), column.Align);
            }
            if (!column.Visible)
            {
                builder.AddComponentParameter(6, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.Visible), false);
            }
            if (!(column.IsData && column.Sortable))
            {
                builder.AddComponentParameter(7, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.Sortable), false);
                builder.AddComponentParameter(8, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.Filterable), false);
            }
            if (!column.IsPickable)
            {
                builder.AddComponentParameter(10, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.Reorderable), false);
                builder.AddComponentParameter(11, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.Resizable), false);
            }
            if (column.CssClass is { } headerCss)
            {
                builder.AddComponentParameter(13, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.HeaderCssClass), headerCss);
            }
            if (column.HeaderTemplate is { } header)
            {
                builder.AddComponentParameter(14, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.HeaderTemplate), header);
            }
            if (_templates.TryGetValue(column.Id, out var template))
            {
                builder.AddComponentParameter(15, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.Template), template);
            }
            if (_filterValues.TryGetValue(column.Id, out var filterValue))
            {
                builder.AddComponentParameter(16, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.FilterValueTemplate), filterValue.First);
                builder.AddComponentParameter(17, nameof(RadzenDataGridColumn<PortalGridSlot<TRow>>.SecondFilterValueTemplate), filterValue.Second);
            }
            builder.CloseComponent();
        }
    }

    /// <summary>
    /// The value drop-down of an enum column's filter condition offering only <paramref name="choices"/>, as Radzen's own
    /// offers every member: the same values (the member's number), words, placeholder and accessible name.
    /// </summary>
    private RenderFragment<RadzenDataGridColumn<PortalGridSlot<TRow>>> FilterValue(IReadOnlyList<Enum> choices, bool first)
    {
        var items = choices.Select(value => new DropDownItem<object>
        {
            Value = Convert.ChangeType(value, Enum.GetUnderlyingType(value.GetType()), CultureInfo.InvariantCulture),
            Text = _enumText(value) ?? value.ToString(),
        }).ToList();
        return column => builder =>
        {
            var grid = column.Grid;
            builder.OpenComponent<RadzenDropDown<object>>(0);
            builder.AddComponentParameter(1, nameof(RadzenDropDown<object>.Data), items);
            builder.AddComponentParameter(2, nameof(RadzenDropDown<object>.TextProperty), nameof(DropDownItem<object>.Text));
            builder.AddComponentParameter(3, nameof(RadzenDropDown<object>.ValueProperty), nameof(DropDownItem<object>.Value));
            builder.AddComponentParameter(4, nameof(RadzenDropDown<object>.Value), first ? column.GetFilterValue() : column.GetSecondFilterValue());
            builder.AddComponentParameter(5, nameof(RadzenDropDown<object>.Placeholder), grid.EnumFilterSelectText);
            builder.AddComponentParameter(6, nameof(RadzenDropDown<object>.InputAttributes), new Dictionary<string, object>
            {
                ["aria-label"] = column.Title + (first ? grid.FilterValueAriaLabel : grid.SecondFilterValueAriaLabel),
            });
            builder.AddComponentParameter(7, nameof(RadzenDropDown<object>.Change),
                EventCallback.Factory.Create<object>(column, value => column.SetFilterValue(value, first)));
            builder.CloseComponent();
        };
    }

    private void SetRows(List<TRow>? rows)
    {
        _rows = rows;
        _slots = rows is null ? null : new([.. rows.Select((row, index) => new PortalGridSlot<TRow>(index, row))]);
    }

    private static RenderFragment<PortalGridSlot<TRow>> Cell(RenderFragment<TRow> template) => slot => template(slot.Row);

    private static PortalGridCell<PortalGridSlot<TRow>> BodyCell(PortalGridColumn<TRow> column)
    {
        var align = column.Align switch
        {
            TextAlign.Right => "rz-text-align-right",
            TextAlign.Center => "rz-text-align-center",
            _ => null,
        };
        var css = string.Join(' ', new[] { column.CssClass, column.CellCssClass, align }.OfType<string>());
        var text = column.Template is null ? column.Text : null;
        return new(css.Length > 0 ? css : null, text is null ? null : slot => text(slot.Row));
    }

    // Radzen loads a grid built with settings only when they differ from the state it was built in: the grid of a view
    // that changes nothing but the page size (given to it as its parameter) never asked for rows and showed none. Its
    // first render, after Radzen's own settings step, asks for them when nothing else did.
    //
    // And settings the page gave the grid (a saved view, "Arrange columns") are applied once the grid has rendered with
    // them: Radzen applies new settings only when the last parameter update before its next render brought them, and a
    // page that renders the grid twice in between (a dialog closing as the view applies) left the old columns standing.
    private void GridRendered(DataGridRenderEventArgs<PortalGridSlot<TRow>> args)
    {
        if (args.Grid is not { } grid || _disposed)
        {
            return;
        }
        Func<Task>? load = null;
        if (_pushed is { } pushed)
        {
            // The grid's first render with them: while it holds them it applies them now (once more, one extra load, when it
            // already had); settings it saved since are its own and applied.
            _pushed = null;
            if (ReferenceEquals(grid.Settings, pushed))
            {
                load = () => grid.ReloadSettings(forceReload: true);   // applies them all and loads the rows
            }
        }
        if (load is null && args.FirstRender && _slots is null && !_loading)
        {
            load = grid.Reload;
        }
        if (load is null)
        {
            return;
        }
        _ = InvokeAsync(async () =>
        {
            try
            {
                await load();
            }
            catch (Exception ex) when (!_disposed && ex is not OperationCanceledException)
            {
                await DispatchExceptionAsync(ex);
            }
        });
    }

    private string? RowClasses(PortalGridSlot<TRow> slot) => RowClass?.Invoke(slot.Row);

    private async Task SearchTypedAsync()
    {
        _debounce?.Cancel();
        _debounce?.Dispose();
        _debounce = new CancellationTokenSource();
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(400), _debounce.Token);
            await ApplySearchAsync();
        }
        catch (TaskCanceledException)
        {
            // A newer keystroke replaced this search.
        }
    }

    /// <summary>Enter or the Search button: search now; the pending typed search is dropped, so the same search does not run twice.</summary>
    private Task SubmitSearchAsync()
    {
        _debounce?.Cancel();
        return ApplySearchAsync();
    }

    private async Task ApplySearchAsync()
    {
        var text = string.IsNullOrWhiteSpace(_search) ? null : _search.Trim();
        if (text == _appliedSearch)
        {
            return;
        }
        _appliedSearch = text;
        await FirstPageAsync();
    }

    private async Task ClearSearchAsync()
    {
        _debounce?.Cancel();
        _search = null;
        // The clear button goes with the text: the search box takes the focus instead of the page's top.
        _searchFocus.Request();
        await ApplySearchAsync();
    }

    /// <summary>
    /// A failed load's "Try again": the same page with the same search, filters and sorts. The button goes while it loads,
    /// so the search box takes the focus.
    /// </summary>
    private Task RetryLoadFromButtonAsync()
    {
        _searchFocus.Request();
        return ReloadAsync();
    }

    /// <summary>The empty result's "Clear filters": the button goes with the empty result, so the search box takes the focus.</summary>
    private Task ClearFiltersFromButtonAsync()
    {
        _searchFocus.Request();
        return ClearFiltersAsync();
    }

    // The search box, and its focus after a button beside it or below it removed itself (Clear search, Clear filters).
    private ElementReference _searchInput;
    private readonly StepFocus _searchFocus = new();

    /// <inheritdoc />
    protected override Task OnAfterRenderAsync(bool firstRender) => _searchFocus.ApplyAsync(_searchInput);

    private void ToggleSpreadsheet(ChangeEventArgs e)
    {
        _spreadsheet = e.Value is true;
        // The grid is rebuilt when it comes back (from the kept settings); a null Data makes it load.
        ForgetRows();
    }

    private void LoadSettings(DataGridLoadSettingsEventArgs args)
    {
        if (_settings is not null)
        {
            args.Settings = _settings;
        }
    }

    private string CurrentLayout() => GridColumnMap.Serialize(new PortalGridLayout
    {
        Grid = _settings,
        Search = _appliedSearch,
        Extra = SaveLayoutExtra?.Invoke() is { Count: > 0 } extra ? extra : null,
    });

    /// <summary>"Arrange columns": the movable columns in their order now, shown or not, with their widths.</summary>
    private void OpenColumnsDialog()
    {
        if (_grid is null)
        {
            return;
        }
        var titles = Columns.ToDictionary(c => c.Id, c => c.Title, StringComparer.Ordinal);
        var movable = Columns.Where(c => c.IsPickable).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        _arranging = [.. InViewOrder(_grid.ColumnsCollection)
            .Where(c => c.UniqueID is { } id && movable.Contains(id))
            .Select(c => new GridColumnArrangement(c.UniqueID!, titles[c.UniqueID!], c.GetVisible(), c.GetWidth() is { Length: > 0 } w ? w : null))];
    }

    // Radzen's columns in the order the header shows them (a column never moved has no order index: its declared place).
    private static IEnumerable<RadzenDataGridColumn<PortalGridSlot<TRow>>> InViewOrder(IList<RadzenDataGridColumn<PortalGridSlot<TRow>>> columns) =>
        columns.Select((c, i) => (c, i)).OrderBy(x => x.c.GetOrderIndex() ?? x.i).ThenBy(x => x.i).Select(x => x.c);

    /// <summary>
    /// Applies "Arrange columns" as a saved view of the grid as it is now would be applied (search, sorts, filters, page and
    /// the page's own parts kept), with the movable columns' new order, visibility and widths; the fixed columns keep their places.
    /// </summary>
    private Task ApplyColumnsAsync(IReadOnlyList<GridColumnArrangement> arranged)
    {
        if (_grid is null)
        {
            return Task.CompletedTask;
        }
        _grid.SaveSettings(); // the grid as it is now into _settings (Radzen's settings event, bound)
        // A copy (through the saved-view form), as a saved view of the grid as it is would be.
        var layout = GridColumnMap.Deserialize<PortalGridLayout>(CurrentLayout()) ?? new PortalGridLayout();
        var settings = layout.Grid ??= new DataGridSettings();
        var byId = arranged.ToDictionary(a => a.Id, StringComparer.Ordinal);
        var next = new Queue<string>(arranged.Select(a => a.Id));
        var order = InViewOrder(_grid.ColumnsCollection).Select(c => c.UniqueID!).Select(id => byId.ContainsKey(id) ? next.Dequeue() : id).ToList();
        var saved = settings.Columns.Where(c => c.UniqueID is not null).ToDictionary(c => c.UniqueID!, StringComparer.Ordinal);
        settings.Columns = [.. order.Select((id, index) =>
        {
            var column = saved.GetValueOrDefault(id) ?? new DataGridColumnSettings { UniqueID = id };
            column.OrderIndex = index;
            if (byId.TryGetValue(id, out var a))
            {
                column.Visible = a.Visible;
                column.Width = a.Width!; // null: the column's standard width
            }
            return column;
        })];
        return ApplyLayoutAsync(layout);
    }

    /// <summary>Applies a saved view (or the built-in layout for null) by rebuilding the grid from it.</summary>
    private Task ApplyLayoutAsync(string? json) => ApplyLayoutAsync(GridColumnMap.Deserialize<PortalGridLayout>(json));

    // A layout of objects of its own: Radzen holds the settings objects it was given and compares new ones with them.
    private async Task ApplyLayoutAsync(PortalGridLayout? layout)
    {
        _search = _appliedSearch = string.IsNullOrWhiteSpace(layout?.Search) ? null : layout.Search.Trim();
        _filters = [];
        _sorts = [];
        _spreadsheet = false;
        _error = null;
        await OnLayoutApplied.InvokeAsync(layout?.Extra);
        // The view's settings and page size only now, with the new grid: the page re-renders after OnLayoutApplied, and
        // the old grid handed the view's page size there reloaded at it and stored its own layout (no sort, no filters)
        // over the view's before the new grid read it: a view with another page size came up unsorted.
        _settings = _pushed = layout?.Grid;
        _pageSize = _settings?.PageSize is 25 or 50 or 100 ? _settings.PageSize.Value : DefaultPageSize;
        ForgetRows();
        _gridKey = new object();
    }

    // No rows, so the next Radzen grid loads its own (a grid built with rows does not); a load still running was for
    // the grid before and must not put its rows back.
    private void ForgetRows()
    {
        SetRows(null);
        _loadNumber++;
        _loading = _showLoading = false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        _debounce?.Cancel();
        _debounce?.Dispose();
        GC.SuppressFinalize(this);
    }
}
