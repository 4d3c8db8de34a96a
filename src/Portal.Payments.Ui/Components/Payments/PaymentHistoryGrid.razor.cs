using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components;
using Portal.Payments.Data;
using Portal.Payments.Grid;
using Portal.Payments.Services;
using Portal.Payments.Services.History;
using Radzen;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// Every payment made through the portal for the signed-in account: search (receipt number, note, an invoice it paid),
/// filters, sort, saved views, spreadsheet view and CSV export, all in the database; each row links to its receipt.
/// </summary>
public partial class PaymentHistoryGrid : ComponentBase, IDisposable
{
    private IReadOnlyList<PortalGridColumn<PaymentHistoryRow>> _columns = [];
    private bool _ready;
    private string? _error;

    [Inject] private PaymentHistoryService History { get; set; } = default!;
    [Inject] private PortalAccess Access { get; set; } = default!;
    [Inject] private UserTime Time { get; set; } = default!;

    /// <inheritdoc />
    protected override async Task OnInitializedAsync()
    {
        try
        {
            await Access.ForViewAsync();
            await Time.EnsureLoadedAsync();
            Time.Changed += ZoneChanged;
            _columns = BuildColumns();
            _ready = true;
        }
        catch (PortalAccessDeniedException ex)
        {
            _error = FieldErrorText.Of(L, ex);
        }
    }

    // The class of a status's text (its colour), one string per status for every row.
    private static readonly FrozenDictionary<PaymentStatus, string> StatusClasses =
        Enum.GetValues<PaymentStatus>().ToFrozenDictionary(s => s, s => $"pp-status-{s.ToString().ToLowerInvariant()}");

    // The status filter's choices: a payment being charged reads "Processing", as a bank debit still settling does, and
    // the history query takes "Processing" for both, so the filter offers it once (Radzen's list had it twice).
    internal static readonly IReadOnlyList<Enum> StatusChoices =
        [.. Enum.GetValues<PaymentStatus>().Where(s => s != PaymentStatus.Charging).Cast<Enum>()];

    /// <summary>
    /// The column list (titles written once, here). The widths are the longest values and titles, English and German, in
    /// the history's narrower cell padding (portal-payments.css, .pp-history): 62.5rem (1,000 px) for the eight shown, inside the
    /// grid's 1,005 px at 1280 px beside the sample host's navigation.
    /// </summary>
    private List<PortalGridColumn<PaymentHistoryRow>> BuildColumns() =>
    [
        new() { Id = nameof(PaymentHistoryRow.CreatedAt), Property = nameof(PaymentHistoryRow.CreatedAt), Field = PaymentHistoryFields.Date, Title = L["History.Date"],
            Text = r => Time.Format(r.CreatedAt), CellCssClass = "pp-history-date", Width = "10.75rem" },
        new() { Id = nameof(PaymentHistoryRow.ReceiptNumber), Property = nameof(PaymentHistoryRow.ReceiptNumber), Field = PaymentHistoryFields.ReceiptNumber,
            Title = L["History.Receipt"], Template = ReceiptCell, Text = r => r.ReceiptNumber, Width = "8.75rem" },
        new() { Id = nameof(PaymentHistoryRow.Kind), Property = nameof(PaymentHistoryRow.Kind), Field = PaymentHistoryFields.Kind, Title = L["History.Kind"],
            EnumType = typeof(PaymentKind), Text = r => PaymentText.Kind(L, r.Kind), Width = "9.25rem" },
        new() { Id = nameof(PaymentHistoryRow.MethodDescription), Property = nameof(PaymentHistoryRow.MethodDescription), Field = PaymentHistoryFields.Method,
            Title = L["History.Method"], Text = r => PaymentText.Method(L, r.MethodDescription), Width = "7.75rem" },
        new() { Id = nameof(PaymentHistoryRow.AmountValue), Property = nameof(PaymentHistoryRow.AmountValue), Field = PaymentHistoryFields.Amount, Title = L["History.Amount"],
            Text = r => PortalFormat.Amount(r.Amount), CellCssClass = "pp-amount", Align = TextAlign.Right, Width = "6.25rem" },
        // Shown from the column arrangement (and then in the export): the part of the amount that paid no invoice.
        new() { Id = nameof(PaymentHistoryRow.FeeValue), Property = nameof(PaymentHistoryRow.FeeValue), Field = PaymentHistoryFields.Fee, Title = L["History.Fee"],
            Text = r => r.Fee.IsZero ? "" : PortalFormat.Amount(r.Fee), CellCssClass = "pp-history-fee", Align = TextAlign.Right, Width = "7rem", Visible = false },
        new() { Id = nameof(PaymentHistoryRow.Status), Property = nameof(PaymentHistoryRow.Status), Field = PaymentHistoryFields.Status, Title = L["History.Status"],
            EnumType = typeof(PaymentStatus), FilterChoices = StatusChoices, Template = StatusCell, Text = r => PaymentText.Status(L, r.Status, r.ScheduledFor), CellCssClass = "pp-status", Width = "7rem" },
        new() { Id = nameof(PaymentHistoryRow.PaidBy), Property = nameof(PaymentHistoryRow.PaidBy), Field = PaymentHistoryFields.User, Title = L["History.PaidBy"],
            Text = r => r.PaidBy, Width = "6.25rem" },
        new() { Id = nameof(PaymentHistoryRow.InvoiceCount), Property = nameof(PaymentHistoryRow.InvoiceCount), Field = PaymentHistoryFields.Invoices, Title = L["History.Invoices"],
            Text = r => PortalFormat.Count(r.InvoiceCount), Align = TextAlign.Right, Width = "6.5rem" },
        new() { Id = nameof(PaymentHistoryRow.ScheduledFor), Property = nameof(PaymentHistoryRow.ScheduledFor), Field = PaymentHistoryFields.ScheduledFor,
            Title = L["History.ScheduledDate"], Text = r => r.ScheduledFor is { } d ? PortalFormat.Date(d) : "", Width = "7rem", Visible = false },
        // Shown from the column arrangement too: the eight columns above fill a 1280 px laptop's grid (about 1,000 px
        // beside the host's navigation) with their titles and values whole; with the note as a ninth the grid scrolled
        // sideways and "Invoices" was cut off. A note is free text (cut to "…" in any width) and the search finds it.
        new() { Id = nameof(PaymentHistoryRow.Memo), Property = nameof(PaymentHistoryRow.Memo), Field = PaymentHistoryFields.Memo, Title = L["History.Note"],
            Text = r => r.Memo ?? "", Width = "12rem", Visible = false },
    ];

    private Task<GridPage<PaymentHistoryRow>> LoadPageAsync(GridQuery query, CancellationToken cancellationToken) =>
        History.QueryAsync(query, cancellationToken);

    private static string ExportLink(GridQuery query, IReadOnlyList<string> fields) => PaymentHistoryEndpoints.ExportLink(query, fields);

    private void ZoneChanged() => InvokeAsync(StateHasChanged);

    /// <inheritdoc />
    public void Dispose()
    {
        Time.Changed -= ZoneChanged;
        GC.SuppressFinalize(this);
    }
}
