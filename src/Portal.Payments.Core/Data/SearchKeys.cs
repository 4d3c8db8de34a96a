namespace Portal.Payments.Data;

/// <summary>
/// Search keys: a normalized copy of a searchable text column (trimmed, upper case invariant) stored with an
/// ordinal collation, so that a case-insensitive prefix search is a plain index range
/// (<c>key &gt;= prefix AND key &lt; next(prefix)</c>) on SQLite and PostgreSQL alike, with no
/// <c>lower()</c>/<c>upper()</c> on the indexed column and no provider-specific LIKE rules.
/// </summary>
internal static class SearchKeys
{
    /// <summary>The key of <paramref name="value"/>: trimmed, upper case (invariant), at most <paramref name="maxLength"/> characters; "" for null.</summary>
    public static string Normalize(string? value, int maxLength = 200)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "";
        }
        var key = value.Trim().ToUpperInvariant();
        return key.Length <= maxLength ? key : key[..maxLength];
    }

    /// <summary>
    /// The half-open ordinal range of keys that start with <paramref name="prefix"/> (already normalized, not empty):
    /// <c>[prefix, upper)</c>, where <c>upper</c> is the prefix with its last character incremented.
    /// </summary>
    public static (string Lower, string UpperExclusive) PrefixRange(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var chars = prefix.ToCharArray();
        var i = chars.Length - 1;
        // A trailing char.MaxValue cannot be incremented: drop it and increment the one before.
        while (i >= 0 && chars[i] == char.MaxValue)
        {
            i--;
        }
        if (i < 0)
        {
            return (prefix, prefix + char.MaxValue);
        }
        chars[i]++;
        return (prefix, new string(chars, 0, i + 1));
    }
}
