using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Payments.Services;

namespace Portal.Payments.Grid;

/// <summary>
/// Carries a grid query (a <see cref="GridQuery"/> or a grid's own subtype) in a URL, such as a CSV export link:
/// compact JSON, base64url-encoded. The server treats a decoded query like any other input: the service validates
/// fields and values and scopes it to the signed-in account.
/// </summary>
public static class GridQueryCodec
{
    private const int MaxEncodedLength = 16_384;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The URL-safe text of <paramref name="query"/>.</summary>
    public static string Encode<TQuery>(TQuery query) where TQuery : GridQuery
    {
        ArgumentNullException.ThrowIfNull(query);
        return Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(query, Json));
    }

    /// <summary>
    /// The query in <paramref name="encoded"/>; an empty query for null or blank; the refusal <paramref name="damaged"/>
    /// (its code lets the user interface word it) when the text is damaged.
    /// </summary>
    public static TQuery Decode<TQuery>(string? encoded, PortalFieldError damaged) where TQuery : GridQuery, new()
    {
        ArgumentNullException.ThrowIfNull(damaged);
        return Decode<TQuery>(encoded, damaged.ToException);
    }

    /// <summary>
    /// The query in <paramref name="encoded"/>; an empty query for null or blank; a validation error on field "q"
    /// saying <paramref name="damagedMessage"/> when the text is damaged.
    /// </summary>
    public static TQuery Decode<TQuery>(string? encoded, string damagedMessage) where TQuery : GridQuery, new() =>
        Decode<TQuery>(encoded, () => new PortalValidationException("q", damagedMessage));

    private static TQuery Decode<TQuery>(string? encoded, Func<PortalValidationException> damaged) where TQuery : GridQuery, new()
    {
        if (string.IsNullOrWhiteSpace(encoded))
        {
            return new TQuery();
        }
        try
        {
            if (encoded.Length > MaxEncodedLength)
            {
                throw new FormatException("Too long.");
            }
            var query = JsonSerializer.Deserialize<TQuery>(Base64Url.DecodeFromChars(encoded), Json) ?? new TQuery();
            return query.Filters is null || query.Sorts is null
                || query.Filters.Any(f => f is null || f.Field is null) || query.Sorts.Any(s => s is null || s.Field is null)
                ? throw new FormatException("Incomplete filter or sort.")
                : query;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            throw damaged();
        }
    }
}
