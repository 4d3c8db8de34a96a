using System.Text;
using System.Text.Json;

namespace Portal.Payments.TestInfrastructure;

/// <summary>
/// Reads a sandbox capture token (<c>sbx_cap_</c> + base64url JSON) for tests that check it holds no card number or
/// security code.
/// <para>
/// The token carries a random hex nonce (tokens are single use), so a short secret such as a three-digit code turns up
/// inside it now and then by chance: "987" in "98702115ed27997e" failed CI once. <see cref="Values"/> therefore gives
/// every value but the nonce, and <see cref="Nonce"/> the nonce, which a test checks for its shape instead.
/// </para>
/// </summary>
internal static class CaptureTokens
{
    private const string Prefix = "sbx_cap_";

    /// <summary>The token's JSON, decoded (the token itself when it is not base64url after the prefix).</summary>
    public static string Decode(string token)
    {
        var b64 = token.StartsWith(Prefix, StringComparison.Ordinal) ? token[Prefix.Length..] : token;
        b64 = b64.Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        }
        catch (FormatException)
        {
            return token;
        }
    }

    /// <summary>Every property name and value of the token's JSON object, as text, except the random nonce's value.</summary>
    public static IReadOnlyList<string> Values(string token)
    {
        using var json = JsonDocument.Parse(Decode(token));
        var texts = new List<string>();
        foreach (var property in json.RootElement.EnumerateObject())
        {
            texts.Add(property.Name);
            if (!IsNonce(property))
            {
                texts.Add(property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText());
            }
        }
        return texts;
    }

    /// <summary>The nonce's value (null when the token has none).</summary>
    public static string? Nonce(string token)
    {
        using var json = JsonDocument.Parse(Decode(token));
        return json.RootElement.EnumerateObject().Where(IsNonce).Select(p => p.Value.GetString()).FirstOrDefault();
    }

    private static bool IsNonce(JsonProperty property) => property.Name.Equals("nonce", StringComparison.OrdinalIgnoreCase);
}
