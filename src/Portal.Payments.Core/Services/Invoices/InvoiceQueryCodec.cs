using Portal.Payments.Grid;

namespace Portal.Payments.Services.Invoices;

/// <summary>
/// Carries an <see cref="InvoiceQuery"/> in a URL (the CSV export link), through the shared <see cref="GridQueryCodec"/>.
/// The server treats a decoded query like any other input: the service validates fields and values and
/// scopes it to the signed-in account.
/// </summary>
public static class InvoiceQueryCodec
{
    private static readonly PortalFieldError Damaged =
        PortalFieldError.Of("q", "InvoiceExportLinkDamaged", "The export link is damaged or incomplete. Go back to Open invoices and export again.");

    /// <summary>The URL-safe text of <paramref name="query"/>.</summary>
    public static string Encode(InvoiceQuery query) => GridQueryCodec.Encode(query);

    /// <summary>The query in <paramref name="encoded"/>; an empty query for null or blank; a validation error when damaged.</summary>
    public static InvoiceQuery Decode(string? encoded) => GridQueryCodec.Decode<InvoiceQuery>(encoded, Damaged);
}
