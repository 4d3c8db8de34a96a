using System.Collections.Frozen;
using System.Globalization;
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
    /// The column list (titles written once, here). The eight shown columns' widths are those of the page's language
    /// (<see cref="ColumnWidths"/>), 62.5rem (1,000 px) in each, inside the grid's 1,005 px at 1280 px beside the sample
    /// host's navigation.
    /// </summary>
    private List<PortalGridColumn<PaymentHistoryRow>> BuildColumns() => BuildColumns(ColumnWidths.Of(CultureInfo.CurrentUICulture));

    private List<PortalGridColumn<PaymentHistoryRow>> BuildColumns(ColumnWidths widths) =>
    [
        new() { Id = nameof(PaymentHistoryRow.CreatedAt), Property = nameof(PaymentHistoryRow.CreatedAt), Field = PaymentHistoryFields.Date, Title = L["History.Date"],
            Text = r => Time.Format(r.CreatedAt), CellCssClass = "pp-history-date", Width = widths.Date },
        new() { Id = nameof(PaymentHistoryRow.ReceiptNumber), Property = nameof(PaymentHistoryRow.ReceiptNumber), Field = PaymentHistoryFields.ReceiptNumber,
            Title = L["History.Receipt"], Template = ReceiptCell, Text = r => r.ReceiptNumber, Width = widths.Receipt },
        new() { Id = nameof(PaymentHistoryRow.Kind), Property = nameof(PaymentHistoryRow.Kind), Field = PaymentHistoryFields.Kind, Title = L["History.Kind"],
            EnumType = typeof(PaymentKind), Text = r => PaymentText.Kind(L, r.Kind), Width = widths.Kind },
        new() { Id = nameof(PaymentHistoryRow.MethodDescription), Property = nameof(PaymentHistoryRow.MethodDescription), Field = PaymentHistoryFields.Method,
            Title = L["History.Method"], Text = r => PaymentText.Method(L, r.MethodDescription), Width = widths.Method },
        new() { Id = nameof(PaymentHistoryRow.AmountValue), Property = nameof(PaymentHistoryRow.AmountValue), Field = PaymentHistoryFields.Amount, Title = L["History.Amount"],
            Text = r => PortalFormat.Amount(r.Amount), CellCssClass = "pp-amount", Align = TextAlign.Right, Width = widths.Amount },
        // Shown from the column arrangement (and then in the export): the part of the amount that paid no invoice.
        new() { Id = nameof(PaymentHistoryRow.FeeValue), Property = nameof(PaymentHistoryRow.FeeValue), Field = PaymentHistoryFields.Fee, Title = L["History.Fee"],
            Text = r => r.Fee.IsZero ? "" : PortalFormat.Amount(r.Fee), CellCssClass = "pp-history-fee", Align = TextAlign.Right, Width = "7rem", Visible = false },
        new() { Id = nameof(PaymentHistoryRow.Status), Property = nameof(PaymentHistoryRow.Status), Field = PaymentHistoryFields.Status, Title = L["History.Status"],
            EnumType = typeof(PaymentStatus), FilterChoices = StatusChoices, Template = StatusCell, Text = r => PaymentText.Status(L, r.Status, r.ScheduledFor), CellCssClass = "pp-status", Width = widths.Status },
        new() { Id = nameof(PaymentHistoryRow.PaidBy), Property = nameof(PaymentHistoryRow.PaidBy), Field = PaymentHistoryFields.User, Title = L["History.PaidBy"],
            Text = r => r.PaidBy, Width = widths.PaidBy },
        new() { Id = nameof(PaymentHistoryRow.InvoiceCount), Property = nameof(PaymentHistoryRow.InvoiceCount), Field = PaymentHistoryFields.Invoices, Title = L["History.Invoices"],
            Text = r => PortalFormat.Count(r.InvoiceCount), Align = TextAlign.Right, Width = widths.Invoices },
        new() { Id = nameof(PaymentHistoryRow.ScheduledFor), Property = nameof(PaymentHistoryRow.ScheduledFor), Field = PaymentHistoryFields.ScheduledFor,
            Title = L["History.ScheduledDate"], Text = r => r.ScheduledFor is { } d ? PortalFormat.Date(d) : "", Width = "7rem", Visible = false },
        // Shown from the column arrangement too: the eight columns above fill a 1280 px laptop's grid (about 1,000 px
        // beside the host's navigation) with their titles and values whole; with the note as a ninth the grid scrolled
        // sideways and "Invoices" was cut off. A note is free text (cut to "…" in any width) and the search finds it.
        new() { Id = nameof(PaymentHistoryRow.Memo), Property = nameof(PaymentHistoryRow.Memo), Field = PaymentHistoryFields.Memo, Title = L["History.Note"],
            Text = r => r.Memo ?? "", Width = "12rem", Visible = false },
    ];

    /// <summary>
    /// The widths of the eight shown columns for one language's words, each its longest title and values in the history's
    /// cell padding (portal-payments.css, .pp-history), 62.5rem in all: one set for English and German did not fit, as
    /// German needs more for the bold "Fehlgeschlagen" and "Zurückgebucht" (8.75rem; in English's 7rem they were cut to
    /// "Fehlgeschl…"), "Rechnungszahlung" and "Rechnungen", and less for its dates ("31.12.2026 12:59" against
    /// "12/31/2026 12:59 PM"; a date's zone, " UTC", takes a second line in either language rather than being lost).
    /// The words follow the UI culture and the dates the culture, which may differ (German words, US dates): such a date
    /// wraps too ("12/31/2026 12:59" / "PM UTC"), nothing is cut.
    /// </summary>
    private sealed record ColumnWidths(string Date, string Receipt, string Kind, string Method, string Amount, string Status, string PaidBy, string Invoices)
    {
        /// <summary>English, and any language without widths of its own.</summary>
        public static readonly ColumnWidths English = new("10.75rem", "8.75rem", "9.25rem", "7.75rem", "6.25rem", "7rem", "6.25rem", "6.5rem");

        /// <summary>German: the status 1.75rem wider, the date 1.625rem and the kind .125rem narrower than in English.</summary>
        public static readonly ColumnWidths German = new("9.125rem", "8.75rem", "9.125rem", "7.75rem", "6.25rem", "8.75rem", "6.25rem", "6.5rem");

        /// <summary>The widths for the words of <paramref name="uiCulture"/>.</summary>
        public static ColumnWidths Of(CultureInfo uiCulture) => uiCulture.TwoLetterISOLanguageName == "de" ? German : English;
    }

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
