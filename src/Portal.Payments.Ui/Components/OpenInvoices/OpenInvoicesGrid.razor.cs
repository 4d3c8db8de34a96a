using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.JSInterop;
using Portal.Payments.Data;
using Portal.Payments.Discounts;
using Portal.Payments.Erp;
using Portal.Payments.Grid;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Services.Payments;
using Microsoft.AspNetCore.Builder;
using Radzen;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// The open invoices of the signed-in account: balances (with the money in flight) as period filters, the grid, and paying:
/// select on the page, select every payable item matching the filters, or pay every past-due invoice at once; pay now or
/// schedule; cancel scheduled payments with a confirmation; preview an invoice; comments in a side panel.
/// </summary>
public partial class OpenInvoicesGrid : ComponentBase, IAsyncDisposable
{
    private readonly string _id = "pp-inv-" + Guid.NewGuid().ToString("N")[..8];
    // Payable (Open) items selected to pay or schedule, with their open balance; kept across pages.
    private readonly Dictionary<long, Money> _selected = [];
    // Scheduled items selected to cancel their scheduled payments, with their number.
    private readonly Dictionary<long, string> _selectedScheduled = [];
    // Amounts to pay typed in the grid for selected invoices (kept across pages, like the selection).
    private readonly Dictionary<long, GridAmount> _amounts = [];
    private PortalGrid<InvoiceRow>? _grid;
    private IReadOnlyList<PortalGridColumn<InvoiceRow>> _columns = [];
    private AccountSummary? _summary;
    private PayableCount? _matching;
    // The result (paging and sorts aside) _matching is the count of, landed or still running (_matching null meanwhile);
    // null when nothing is counted. Another page or sort of the same result does not count it again.
    private string? _matchingKey;
    // The result (its _matchingKey) whose "select all matching" made the selection; null once the selection changed otherwise.
    private string? _allSelectedKey;
    // Loads of rows started (see LoadPageAsync).
    private int _pageLoads;
    private bool _disposed;
    private bool _canPay;
    private bool _busy;
    private string? _error;
    private string? _notice;
    private int? _bucket;
    private bool _paying;
    private bool _scheduling;
    private bool _panelSettled;   // the open panel has paid or scheduled: it pays nothing more
    private bool _cancelling;
    private IReadOnlyList<long> _payIds = [];
    private IReadOnlyDictionary<long, Money>? _payAmounts;
    // A new key per Pay/Schedule click: the panel starts over from the current selection and amounts.
    private object _panelKey = new();
    private InvoiceRow? _preview;
    private InvoiceRow? _comments;
    private int _revision;
    // Changes when a tick of the page's check box was not (fully) taken: the box is drawn anew, so it shows what is selected
    // rather than the tick the browser made.
    private int _pageBoxRender;

    // A refused tick or untick of a row's box, drawn once as the browser shows it (see Echo).
    private (long Id, bool Ticked)? _echo;

    // Each row object's handlers, made once. Radzen renders the rows again when a page change's event ends (after the
    // load has yielded, as it does on PostgreSQL), and new closures would give every handler a new id: three attributes
    // in every row sent again for nothing. A changed row (UpdateRows) is a new object and gets new handlers.
    private readonly Dictionary<InvoiceRow, RowHandlers> _rowHandlers = new(ReferenceEqualityComparer.Instance);
    private CancellationTokenSource? _matchingLoad;
    // A cancel of scheduled invoices clears their selection, and with it the Actions button that opened the dialog: the
    // grid takes the focus once the dialog is gone, instead of the browser dropping it to the top of the page.
    private MarkedFocus? _focusGrid;

    [Inject] private InvoiceQueryService Invoices { get; set; } = default!;
    [Inject] private IDiscountPolicy Discounts { get; set; } = default!;
    [Inject] private ILogger<OpenInvoicesGrid> Logger { get; set; } = default!;
    [Inject] private AccountOverviewService Overview { get; set; } = default!;
    [Inject] private PortalAccess Access { get; set; } = default!;
    [Inject] private PortalUiState UiState { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    private int SelectedCount => _selected.Count + _selectedScheduled.Count;

    private Money SelectedTotal => _selected.Values.Aggregate(Money.Zero(_summary!.TotalBalance.Currency), (sum, m) => sum + m);

    private IReadOnlyList<InvoiceRow> PageRows => _grid?.Rows ?? [];

    private bool PageHasSelectable => _canPay && PageRows.Any(Selectable);

    private bool PageAllSelected => PageHasSelectable && PageRows.Where(Selectable).All(IsSelected);

    /// <summary>The selection holds as many payable items as one payment takes (<see cref="InvoiceQueryService.MaxSelection"/>).</summary>
    private bool SelectionFull => _selected.Count >= InvoiceQueryService.MaxSelection;

    /// <summary>
    /// The pay or schedule panel is open on the selection and can still pay it: the selection cannot change until it has paid
    /// or is closed (the panel pays the invoices it opened with, so a box ticked or unticked meanwhile would say otherwise).
    /// </summary>
    private bool SelectionLocked => (_paying || _scheduling) && !_panelSettled;

    /// <summary>A row's check box can change: unticking always, ticking a payable item only while the selection is not full.</summary>
    private bool CanTick(InvoiceRow row) =>
        !SelectionLocked && Selectable(row) && (row.Status == InvoiceStatus.Scheduled || _selected.ContainsKey(row.Id) || !SelectionFull);

    /// <summary>
    /// "Select all matching" is offered while a payable item of the result may be unselected: not once it selected this very
    /// result (and the selection did not change since), nor when every payable item of the result is on this page and ticked.
    /// How many items are selected says nothing about the result: they may all be other searches' items.
    /// </summary>
    private bool OfferSelectAll =>
        _matching is { MatchingCount: > 0 } matching
        && _allSelectedKey != _matchingKey
        && !(PageRows.Count(r => r.CanSelect) == matching.MatchingCount && PageRows.Where(r => r.CanSelect).All(r => _selected.ContainsKey(r.Id)));

    /// <inheritdoc />
    protected override async Task OnInitializedAsync()
    {
        try
        {
            _canPay = (await Access.ForViewAsync()).CanPay;
            _columns = BuildColumns();
            await LoadSummaryAsync();
        }
        catch (PortalAccessDeniedException ex)
        {
            _error = FieldErrorText.Of(L, ex);
        }
        catch (Exception)
        {
            // Also an ERP's timeout (a TaskCanceledException): the page says so instead of losing the circuit.
            _error = L["Invoices.LoadFailed"];
        }
    }

    /// <summary>
    /// The column list (titles written once, here): the built-in layout shows what a payer works with. A sortable column is
    /// as wide as its longest title, English or German, beside the sort arrow a sorted column shows (portal-payments.css,
    /// .pp-invoices): "Invoice number" 10rem and "PO number" 8rem; at 9.5rem and 7.5rem a sorted one read "Invoice num…".
    /// </summary>
    private List<PortalGridColumn<InvoiceRow>> BuildColumns()
    {
        var columns = new List<PortalGridColumn<InvoiceRow>>();
        if (_canPay)
        {
            columns.Add(new() { Id = "select", Title = L["Invoices.Select"], HeaderTemplate = SelectPageHeader, Template = SelectCell, Width = "2.5rem", CssClass = "pp-col-select" });
        }
        columns.AddRange(
        [
            new() { Id = nameof(InvoiceRow.Number), Property = nameof(InvoiceRow.Number), Field = InvoiceFields.Number, Title = L["Invoices.Number"],
                Text = r => r.Number, CellCssClass = "pp-inv-number", Width = "10rem" },
            new() { Id = nameof(InvoiceRow.PoNumber), Property = nameof(InvoiceRow.PoNumber), Field = InvoiceFields.PoNumber, Title = L["Invoices.PoNumber"],
                Text = r => r.PoNumber ?? "", Width = "8rem" },
            new() { Id = nameof(InvoiceRow.Reference), Property = nameof(InvoiceRow.Reference), Field = InvoiceFields.Reference, Title = L["Invoices.Reference"],
                Text = r => r.Reference ?? "", Width = "10rem", Visible = false },
            new() { Id = nameof(InvoiceRow.DocumentDate), Property = nameof(InvoiceRow.DocumentDate), Field = InvoiceFields.DocumentDate, Title = L["Invoices.InvoiceDate"],
                Text = r => PortalFormat.Date(r.DocumentDate), Width = "6.5rem", Visible = false },
            new() { Id = nameof(InvoiceRow.DueDate), Property = nameof(InvoiceRow.DueDate), Field = InvoiceFields.DueDate, Title = L["Invoices.DueDate"],
                Template = DueCell, Text = r => PortalFormat.Date(r.DueDate), Width = "10.5rem" },
            new() { Id = "Original.Amount", Property = "Original.Amount", Field = InvoiceFields.Original, Title = L["Invoices.Original"],
                Text = r => PortalFormat.Amount(r.Original), Align = TextAlign.Right, Width = "7.5rem", Visible = false },
            new() { Id = "OpenBalance.Amount", Property = "OpenBalance.Amount", Field = InvoiceFields.OpenBalance, Title = L["Invoices.OpenBalance"],
                Text = r => PortalFormat.Amount(r.OpenBalance), CellCssClass = "pp-amount", Align = TextAlign.Right, Width = "9.5rem" },
            new() { Id = nameof(InvoiceRow.DiscountAmount), Property = nameof(InvoiceRow.DiscountAmount), Field = InvoiceFields.Discount, Title = L["Invoices.DiscountToday"],
                Text = DiscountText, Align = TextAlign.Right, Width = "10rem" },
            new() { Id = nameof(InvoiceRow.DiscountDate), Property = nameof(InvoiceRow.DiscountDate), Field = InvoiceFields.DiscountDate, Title = L["Invoices.DiscountDate"],
                Text = r => r.DiscountDate is { } d ? PortalFormat.Date(d) : "", Width = "6.5rem", Visible = false },
        ]);
        if (_canPay)
        {
            columns.Add(new() { Id = "pay-amount", Title = L["Invoices.AmountToPay"], Template = AmountToPayCell, Align = TextAlign.Right, Width = "7.5rem", Pickable = true });
        }
        columns.AddRange(
        [
            new() { Id = nameof(InvoiceRow.Type), Property = nameof(InvoiceRow.Type), Field = InvoiceFields.Type, Title = L["Invoices.Type"], EnumType = typeof(OpenItemType),
                Text = r => TypeText(r.Type), Width = "7rem", Visible = false },
            new() { Id = nameof(InvoiceRow.Status), Property = nameof(InvoiceRow.Status), Field = InvoiceFields.Status, Title = L["Invoices.Status"], EnumType = typeof(InvoiceStatus),
                Template = StatusCell, Text = StatusText, CellCssClass = "pp-inv-status", Width = "8rem" },
            new() { Id = nameof(InvoiceRow.CommentCount), Property = nameof(InvoiceRow.CommentCount), Field = InvoiceFields.Comments, Title = L["Invoices.CommentCount"],
                Text = r => PortalFormat.Count(r.CommentCount), Align = TextAlign.Right, Width = "5.5rem", Visible = false },
            new() { Id = "actions", Title = L["Invoices.Actions"], Template = ActionsCell, Width = "5.5rem", CssClass = "pp-col-actions" },
        ]);
        return columns;
    }

    private async Task LoadSummaryAsync()
    {
        _summary = await Overview.GetSummaryAsync();
        UiState.SetSummary(_summary);
    }

    private InvoiceQuery QueryOf(GridQuery query) => new()
    {
        Search = query.Search,
        Filters = query.Filters,
        Sorts = query.Sorts,
        Skip = query.Skip,
        Take = query.Take,
        AgingBucket = _bucket,
    };

    private async Task<GridPage<InvoiceRow>> LoadPageAsync(GridQuery query, CancellationToken cancellationToken)
    {
        var number = ++_pageLoads;
        var page = await Invoices.QueryAsync(QueryOf(query), cancellationToken);
        if (number != _pageLoads || _disposed)
        {
            // A newer load started meanwhile (a click while this one ran), or what the count depends on changed since this
            // one started (ForgetMatching), or the grid is gone: the rows shown are another load's, and it counts for them.
            return page;
        }
        _rowHandlers.Clear();
        if (_canPay)
        {
            // The result may have changed (search, filters, period, or the data after a payment): how many payable items it
            // holds, for "select all matching". A result counted already, or being counted, is not counted again.
            var matchingQuery = QueryOf(query);
            var key = MatchingKey(matchingQuery);
            if (key != _matchingKey)
            {
                _ = CountMatchingAsync(matchingQuery, key);
            }
        }
        return page;
    }

    private async Task CountMatchingAsync(InvoiceQuery query, string key)
    {
        _matchingLoad?.Cancel();
        _matchingLoad = new CancellationTokenSource();
        var token = _matchingLoad.Token;
        // No offer until this result's own count lands (another result's count would label its rows).
        _matchingKey = key;
        _matching = null;
        try
        {
            var matching = await Invoices.CountPayableAsync(query, token);
            if (!token.IsCancellationRequested)
            {
                _matching = matching;
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (Exception ex)
        {
            if (token.IsCancellationRequested || _disposed)
            {
                // A newer count replaced this one, or the grid is gone: it says nothing.
                return;
            }
            // No "select all" for this result; the next load of it counts again. The grid shows why a query is refused;
            // anything else is logged.
            _matchingKey = null;
            if (ex is not (OperationCanceledException or PortalValidationException or PortalAccessDeniedException))
            {
                Logger.LogWarning(ex, "Counting the payable items of the open-invoices result failed; \"select all matching\" is not offered for it.");
            }
            await InvokeAsync(StateHasChanged);
        }
    }

    // The count no longer holds (the data, the period or the layout changed): none shown, none landing, and no load that
    // started before the change counts.
    private void ForgetMatching()
    {
        if (!_disposed)
        {
            _matchingLoad?.Cancel();
        }
        _matching = null;
        _matchingKey = null;
        _pageLoads++;
    }

    // What "select all matching" depends on: the search, filters and period (it takes the payable items by due date).
    private static string MatchingKey(InvoiceQuery query) => InvoiceQueryCodec.Encode(query with { Sorts = [], Skip = 0, Take = 0 });

    private string ExportLink(GridQuery query, IReadOnlyList<string> fields) => InvoiceExportEndpoints.Link(QueryOf(query), fields);

    private string? RowClass(InvoiceRow row) => IsSelected(row) ? "pp-row-selected" : null;

    private async Task ToggleBucketAsync(int index)
    {
        _bucket = _bucket == index ? null : index;
        _notice = _bucket is { } b && _summary is { } s ? L["Invoices.ShowingPeriod", BucketLabel(s.Buckets[b])] : L["Invoices.ShowingAllPeriods"];
        ForgetMatching();
        if (_grid is not null)
        {
            await _grid.FirstPageAsync();
        }
    }

    private void FiltersCleared()
    {
        _bucket = null;
        ForgetMatching();
        _notice = L["Grid.FiltersCleared"];
    }

    private Dictionary<string, JsonElement> SaveLayoutExtra() =>
        _bucket is { } b ? new() { ["agingBucket"] = JsonSerializer.SerializeToElement(b) } : [];

    private void LayoutApplied(IReadOnlyDictionary<string, JsonElement>? extra)
    {
        _bucket = extra?.GetValueOrDefault("agingBucket") is { ValueKind: JsonValueKind.Number } e && e.TryGetInt32(out var b)
                  && _summary is { } s && b >= 0 && b < s.Buckets.Count ? b : null;
        ForgetMatching();
    }

    private bool Selectable(InvoiceRow row) => _canPay && (row.CanSelect || row.Status == InvoiceStatus.Scheduled);

    private bool IsSelected(InvoiceRow row) => _selected.ContainsKey(row.Id) || _selectedScheduled.ContainsKey(row.Id);

    /// <summary>Whether a row's check box is drawn ticked: as selected, except in the one render that echoes a refused change.</summary>
    private bool BoxTicked(InvoiceRow row) => _echo is { } echo && echo.Id == row.Id ? echo.Ticked : IsSelected(row);

    private void ToggleSelected(InvoiceRow row, ChangeEventArgs e)
    {
        if (RefusedWhileLocked())
        {
            Echo(row, e);
            return;
        }
        if (!Select(row, e.Value is true))
        {
            _notice = L["Invoices.SelectionFull", PortalFormat.Count(InvoiceQueryService.MaxSelection)];
            Echo(row, e);
        }
    }

    /// <summary>
    /// A box the browser ticked or unticked in the instant before it was drawn disabled, and whose change was refused: the
    /// browser still draws it changed, and the render after the refusal holds the same value as the one before, so Blazor
    /// sends nothing for it. It is drawn once as the browser shows it and then as it is (see OnAfterRenderAsync): the
    /// second render's change of the value puts the box back.
    /// </summary>
    private void Echo(InvoiceRow row, ChangeEventArgs e) => _echo = (row.Id, e.Value is true);

    private RowHandlers HandlersOf(InvoiceRow row)
    {
        if (!_rowHandlers.TryGetValue(row, out var handlers))
        {
            handlers = new RowHandlers(e => ToggleSelected(row, e), () => _preview = row, () => _comments = row);
            _rowHandlers[row] = handlers;
        }
        return handlers;
    }

    /// <summary>What a row's check box, preview and comments buttons do.</summary>
    private sealed record RowHandlers(Action<ChangeEventArgs> Toggle, Action Preview, Action Comments);

    // Selects or unselects a row; false when a payable row is not selected because the selection is full (one payment
    // takes at most InvoiceQueryService.MaxSelection items, and the server refuses more).
    private bool Select(InvoiceRow row, bool on)
    {
        if (on && Selectable(row))
        {
            if (row.Status == InvoiceStatus.Scheduled)
            {
                _selectedScheduled[row.Id] = row.Number;
            }
            else if (!_selected.ContainsKey(row.Id))
            {
                if (SelectionFull)
                {
                    return false;
                }
                _selected[row.Id] = row.OpenBalance;
            }
            _allSelectedKey = null;
        }
        else
        {
            _selected.Remove(row.Id);
            _selectedScheduled.Remove(row.Id);
            _amounts.Remove(row.Id);
            _allSelectedKey = null;
        }
        return true;
    }

    /// <summary>The header check box: every selectable row of the page, or none of them.</summary>
    private void TogglePage(ChangeEventArgs e)
    {
        if (RefusedWhileLocked())
        {
            _pageBoxRender++;
            return;
        }
        var on = e.Value is true;
        var left = 0;
        foreach (var row in PageRows.Where(Selectable))
        {
            if (!Select(row, on))
            {
                left++;
            }
        }
        if (left > 0)
        {
            // Up to the limit, in the page's order: the box is drawn again, unticked, and the clerk is told why.
            _pageBoxRender++;
            var taken = PageRows.Count(Selectable) - left;
            _notice = taken == 0 ? L["Invoices.SelectionFull", PortalFormat.Count(InvoiceQueryService.MaxSelection)] : L["Invoices.PageSelectedUpToLimit", PortalFormat.Count(taken),
                PortalFormat.Count(InvoiceQueryService.MaxSelection), PortalFormat.Count(left)];
            return;
        }
        _notice = on ? L["Invoices.PageSelected", PortalFormat.Count(PageRows.Count(Selectable))] : L["Invoices.PageUnselected"];
    }

    /// <summary>A change of the selection that arrived before its box was drawn disabled: refused with the reason.</summary>
    private bool RefusedWhileLocked()
    {
        if (SelectionLocked)
        {
            _notice = L["Invoices.SelectionLocked"];
        }
        return SelectionLocked;
    }

    private void ClearSelection()
    {
        if (RefusedWhileLocked())
        {
            return;
        }
        _allSelectedKey = null;
        _selected.Clear();
        _selectedScheduled.Clear();
        _amounts.Clear();
        _notice = L["Invoices.SelectionCleared"];
        // "Clear selection" goes with the selection (and so do Pay and Actions): the grid takes the focus.
        (_focusGrid ??= new MarkedFocus(JS)).RequestFirst(GridSelector);
    }

    // This grid's table (not a host's own grid on the same page).
    private const string GridSelector = "[data-testid=grid-grid] [role=grid]";

    /// <summary>Every payable item of the current result (all pages), computed by the server.</summary>
    private async Task SelectAllMatchingAsync()
    {
        if (_grid is null || _busy || RefusedWhileLocked())
        {
            return;
        }
        _busy = true;
        try
        {
            // The result the offer was counted for (the button shows only once its count landed).
            var key = _matchingKey;
            var selection = await Invoices.SelectPayableAsync(QueryOf(_grid.CurrentQuery));
            ReplaceSelection(selection);
            _allSelectedKey = key;
            // The offer goes once taken: the focus goes on to paying what it selected (or to the grid when it selected nothing).
            (_focusGrid ??= new MarkedFocus(JS)).RequestFirst(_selected.Count > 0 ? "[data-testid=pay-selected]" : GridSelector);
            _notice = selection.Truncated
                ? L["Invoices.SelectedFirstMatching", PortalFormat.Count(selection.Items.Count), PortalFormat.Count(selection.MatchingCount), PortalFormat.Money(selection.SelectedTotal)]
                : L["Invoices.SelectedAllMatching", PortalFormat.Count(selection.Items.Count), PortalFormat.Money(selection.SelectedTotal)];
        }
        catch (Exception ex) when (ex is PortalValidationException or PortalAccessDeniedException)
        {
            _notice = FieldErrorText.Of(L, ex);
        }
        catch (Exception)
        {
            _notice = L["Common.LoadFailed"];
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>Selects every past-due invoice (server-side) and opens the payment preview.</summary>
    private async Task PayAllPastDueAsync()
    {
        // It replaces the selection (and the open panel, which may be paying the old one right now).
        if (_busy || RefusedWhileLocked())
        {
            return;
        }
        _busy = true;
        try
        {
            var selection = await Invoices.SelectPastDueAsync();
            if (selection.Items.Count == 0)
            {
                _notice = L["Invoices.NoPastDue"];
                return;
            }
            ReplaceSelection(selection);
            _notice = selection.Truncated
                ? L["Invoices.PastDueFirst", PortalFormat.Count(selection.Items.Count), PortalFormat.Count(selection.MatchingCount)]
                : L["Invoices.PastDueSelected", PortalFormat.Count(selection.Items.Count), PortalFormat.Money(selection.SelectedTotal)];
            StartPaying();
        }
        catch (Exception ex) when (ex is PortalValidationException or PortalAccessDeniedException)
        {
            _notice = FieldErrorText.Of(L, ex);
        }
        catch (Exception)
        {
            _notice = L["Common.LoadFailed"];
        }
        finally
        {
            _busy = false;
        }
    }

    private void ReplaceSelection(InvoiceSelection selection)
    {
        _allSelectedKey = null;
        _selected.Clear();
        _amounts.Clear();
        foreach (var item in selection.Items)
        {
            _selected[item.Id] = item.OpenBalance;
        }
    }

    /// <summary>What the payer typed as the amount to pay for a selected invoice, checked as the server will.</summary>
    private sealed record GridAmount(string Text, Money Full, Money? Amount, string? Error);

    private void AmountChanged(InvoiceRow row, Money full, string? text)
    {
        text ??= "";
        if (ShortPayRules.CheckTypedAmount(text, row.Number, row.OpenBalance, CultureInfo.CurrentCulture) is { } error)
        {
            _amounts[row.Id] = new GridAmount(text, full, null, FieldErrorText.Of(L, error));
        }
        else
        {
            ShortPayRules.TryParseAmount(text, full.Currency, row.Number, CultureInfo.CurrentCulture, out var amount, out _);
            _amounts[row.Id] = new GridAmount(text, full, amount, null);
        }
    }

    /// <summary>The amounts typed for the selection that differ from paying in full, or the first amount that is wrong.</summary>
    private (IReadOnlyDictionary<long, Money> Amounts, string? Error) SelectedAmounts()
    {
        var amounts = new Dictionary<long, Money>();
        foreach (var id in _selected.Keys)
        {
            if (_amounts.GetValueOrDefault(id) is not { } entry)
            {
                continue;
            }
            if (entry.Error is not null)
            {
                return (amounts, entry.Error);
            }
            if (entry.Amount is { } amount && amount != entry.Full)
            {
                amounts[id] = amount;
            }
        }
        return (amounts, null);
    }

    private void StartPaying()
    {
        // The open panel keeps what was typed in it (and a payment it is making): it is finished or closed first.
        if (RefusedWhileLocked())
        {
            return;
        }
        var (amounts, error) = SelectedAmounts();
        if (error is not null)
        {
            _notice = L["Invoices.CorrectAmountFirst", error];
            return;
        }
        _payAmounts = amounts;
        _panelKey = new object();
        _payIds = [.. _selected.Keys];
        _scheduling = false;
        _panelSettled = false;
        _paying = true;
    }

    /// <summary>The selection's actions menu: scheduling the ticked payable invoices and cancelling the ticked scheduled ones.</summary>
    private IReadOnlyList<ActionsMenuItem> ActionItems() =>
    [
        new(L["Invoices.ScheduleSelected"], "event", "schedule-selected", EventCallback.Factory.Create(this, StartScheduling),
            SelectionLocked ? L["Invoices.SelectionLocked"].Value
            : _selected.Count > 0 ? null : _selectedScheduled.Count > 0 ? L["Invoices.ScheduleAlreadyScheduled"].Value : L["Invoices.ScheduleNeedsSelection"].Value),
        new(L["Invoices.CancelScheduled"], "event_busy", "cancel-scheduled", EventCallback.Factory.Create(this, () => _cancelling = true),
            _selectedScheduled.Count > 0 ? null : L["Invoices.CancelNeedsScheduled"].Value),
    ];

    private void StartScheduling()
    {
        if (RefusedWhileLocked())
        {
            return;
        }
        _payAmounts = SelectedAmounts().Amounts;
        _panelKey = new object();
        _payIds = [.. _selected.Keys];
        _paying = false;
        _panelSettled = false;
        _scheduling = true;
    }

    private void ClosePanels()
    {
        _paying = false;
        _scheduling = false;
        _panelSettled = false;
    }

    private async Task ScheduledAsync(ScheduledPaymentOutcome outcome)
    {
        _panelSettled = true;
        _allSelectedKey = null;
        _selected.Clear();
        _amounts.Clear();
        _notice = L["Invoices.Scheduled", outcome.ReceiptNumber, PortalFormat.Date(outcome.ScheduledFor)];
        await RefreshAfterChangeAsync();
    }

    /// <summary>
    /// The cancel question closed (Keep it scheduled, Escape): the focus goes to the Actions button, since the menu item that
    /// opened it is gone; after a cancellation it stays with the grid (<see cref="ScheduledCancelledAsync"/>).
    /// </summary>
    private void CancelClosed()
    {
        _cancelling = false;
        if (_selectedScheduled.Count > 0)
        {
            (_focusGrid ??= new MarkedFocus(JS)).RequestFirst("[data-testid=invoice-actions]");
        }
    }

    private async Task ScheduledCancelledAsync(string message)
    {
        _cancelling = false;
        _selectedScheduled.Clear();
        _notice = message;
        (_focusGrid ??= new MarkedFocus(JS)).RequestFirst(GridSelector);
        await RefreshAfterChangeAsync();
    }

    private async Task PaidAsync(PaymentOutcome outcome)
    {
        if (outcome?.Status is PaymentStatus.Failed or PaymentStatus.Returned)
        {
            // Nothing was charged in the end (a refused bank confirmation, a lost answer that turned out declined, a returned
            // debit): the invoices are open again and the selection, if still there, stays for another try.
            _notice = L["Invoices.PaymentNotMade"];
        }
        else
        {
            _panelSettled = true;   // its outcome shows; a failure instead keeps the panel for another try
            _allSelectedKey = null;
            _selected.Clear();
            _amounts.Clear();
            // Sent, but its outcome not known yet (the pay panel says to check the history before paying again).
            _notice = outcome?.MayHaveGoneThrough == true ? L["Invoices.PaymentUnconfirmed"]
                : outcome?.Status == PaymentStatus.RequiresAction ? L["Invoices.PaymentAwaitsBank"]
                : L["Invoices.PaymentSubmitted"];
        }
        await RefreshAfterChangeAsync();
    }

    private async Task RefreshAfterChangeAsync()
    {
        ForgetMatching();
        _revision++;   // the rows reload even when the balances cannot be read just now
        try
        {
            await LoadSummaryAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The change itself is done (paid, scheduled, cancelled) and was said so: it must not read as its failure. The
            // balances shown stay until the next load.
            Logger.LogWarning(ex, "The account's balances could not be read after a change; the figures shown are from before it.");
        }
    }

    private void CommentCountChanged(long invoiceId, int count) =>
        _grid?.UpdateRows(r => r.Id == invoiceId ? r with { CommentCount = count } : r);

    private string DiscountText(InvoiceRow row) =>
        row.FullPaymentToday is { } full && full < row.OpenBalance ? PortalFormat.Amount(row.OpenBalance - full) : "";

    // The class of a status's text (its colour), one string per status for every row.
    private static readonly FrozenDictionary<InvoiceStatus, string> StatusClasses =
        Enum.GetValues<InvoiceStatus>().ToFrozenDictionary(s => s, s => $"pp-inv-status-{s.ToString().ToLowerInvariant()}");

    private string StatusText(InvoiceRow row) => row.Status switch
    {
        InvoiceStatus.Scheduled when row is { ByAutopay: true, ScheduledFor: { } debit } => L["Status.AutopayOn", PortalFormat.Date(debit)],
        InvoiceStatus.Scheduled when row.ScheduledFor is { } on => PaymentText.ScheduledFor(L, on),
        InvoiceStatus.Scheduled => L["Status.Scheduled"],
        InvoiceStatus.Pending => L["Status.Pending"],
        InvoiceStatus.Processing => L["Status.Processing"],
        _ => L["Status.Open"],
    };

    private string TypeText(OpenItemType type) => type switch
    {
        OpenItemType.CreditMemo => L["Type.CreditMemo"],
        OpenItemType.UnappliedCash => L["Type.UnappliedCash"],
        _ => L["Type.Invoice"],
    };

    private string BucketLabel(AgingBucket bucket) => InvoiceBalances.Label(L, bucket);

    /// <inheritdoc />
    protected override Task OnAfterRenderAsync(bool firstRender)
    {
        if (_echo is not null)
        {
            // The refused box was drawn as the browser shows it: now as it is.
            _echo = null;
            StateHasChanged();
        }
        return _focusGrid is not null && !_cancelling ? _focusGrid.ApplyAsync() : Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _matchingLoad?.Cancel();
        _matchingLoad?.Dispose();
        if (_focusGrid is not null)
        {
            await _focusGrid.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}
