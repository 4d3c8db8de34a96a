using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Payments.Services.Invoices;

/// <summary>
/// Carries an <see cref="InvoiceQuery"/> in a URL (the CSV export link): compact JSON, base64url-encoded.
/// The server treats a decoded query like any other input: the service validates fields and values and
/// scopes it to the signed-in account.
/// </summary>
public static class InvoiceQueryCodec
{
    private const int MaxEncodedLength = 16_384;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The URL-safe text of <paramref name="query"/>.</summary>
    public static string Encode(InvoiceQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(query, Json));
    }

    /// <summary>The query in <paramref name="encoded"/>; an empty query for null or blank; a validation error when damaged.</summary>
    public static InvoiceQuery Decode(string? encoded)
    {
        if (string.IsNullOrWhiteSpace(encoded))
        {
            return new InvoiceQuery();
        }
        try
        {
            if (encoded.Length > MaxEncodedLength)
            {
                throw new FormatException("Too long.");
            }
            var query = JsonSerializer.Deserialize<InvoiceQuery>(Base64Url.DecodeFromChars(encoded), Json) ?? new InvoiceQuery();
            return query.Filters is null || query.Sorts is null
                || query.Filters.Any(f => f is null || f.Field is null) || query.Sorts.Any(s => s is null || s.Field is null)
                ? throw new FormatException("Incomplete filter or sort.")
                : query;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            throw new PortalValidationException("q", "The export link is damaged or incomplete. Go back to Open invoices and export again.");
        }
    }
}
