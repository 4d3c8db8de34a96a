using System.Globalization;
using System.Resources;
using Microsoft.Extensions.Logging;
using Portal.Payments.Data;
using Portal.Payments.Services.Autopay;
using Portal.Payments.Text;

namespace Portal.Payments.Notifications;

/// <summary>
/// Where the words of the portal's emails come from, in a reader's language. <c>AddCustomerPortalPayments()</c> registers
/// one that asks the portal's <c>IStringLocalizer&lt;PortalStrings&gt;</c>, so a host's <c>Texts</c> overrides (or its own
/// localizer) word the emails as they word the pages. Without one, Core's built-in English and German texts are used
/// (keys <c>Email.*</c>).
/// </summary>
public interface IEmailTextSource
{
    /// <summary>The text of <paramref name="key"/> in <paramref name="culture"/>; null when this source has none.</summary>
    string? Find(string key, CultureInfo culture);
}

/// <summary>The culture a reader's emails are written in: captured when the reader acts, stored with what they made.</summary>
public static class ReaderCulture
{
    /// <summary>Longest culture name stored (BCP 47 names in .NET are shorter).</summary>
    public const int MaxLength = 35;

    /// <summary>The current UI culture's name to store, or null for the invariant culture (the portal's default).</summary>
    public static string? Current() =>
        CultureInfo.CurrentUICulture.Name is { Length: > 0 and <= MaxLength } name ? name : null;

    /// <summary>The stored culture, or the invariant culture (English) when none or unknown.</summary>
    public static CultureInfo Of(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return CultureInfo.InvariantCulture;
        }
        try
        {
            return CultureInfo.GetCultureInfo(name);
        }
        catch (CultureNotFoundException)
        {
            return CultureInfo.InvariantCulture;
        }
    }
}

/// <summary>
/// The emails' words for a reader: the registered <see cref="IEmailTextSource"/>s first, then Core's built-in texts
/// (<c>Resources/Emails.resx</c>, English, and <c>Emails.de.resx</c>).
/// </summary>
public sealed class EmailTexts
{
    /// <summary>Core's built-in email texts: <c>Resources/Emails.resx</c> (English) and <c>Emails.de.resx</c>.</summary>
    internal static readonly ResourceManager BuiltIn = new("Portal.Payments.Resources.Emails", typeof(EmailTexts).Assembly);

    private readonly IEmailTextSource[] _sources;
    private readonly ILogger? _logger;

    /// <summary>The texts of <paramref name="sources"/>, then Core's built-in ones.</summary>
    public EmailTexts(IEnumerable<IEmailTextSource> sources) => _sources = [.. sources];

    /// <summary>As <see cref="EmailTexts(IEnumerable{IEmailTextSource})"/>; a source that fails is logged to <paramref name="logger"/>.</summary>
    public EmailTexts(IEnumerable<IEmailTextSource> sources, ILogger<EmailTexts> logger) : this(sources) => _logger = logger;

    /// <summary>Core's built-in texts only (what a Core test or a host without the Ui package gets).</summary>
    internal static EmailTexts Default { get; } = new([]);

    /// <summary>The texts of one reader, by the culture name stored with the payment or enrolment.</summary>
    internal EmailText For(string? cultureName)
    {
        var culture = ReaderCulture.Of(cultureName);
        // One email asks for the same keys more than once (the date format, "Reference: {0}"), and a source may be costly
        // to ask (the Ui's opens a scope per question): each key is asked once per reader.
        var found = new Dictionary<string, string?>(StringComparer.Ordinal);
        return new EmailText(culture, key =>
        {
            if (!found.TryGetValue(key, out var text))
            {
                text = _sources.Select(source => Ask(source, key, culture)).FirstOrDefault(t => t is not null) ?? BuiltIn.GetString(key, culture);
                found[key] = text;
            }
            return text;
        }, this);
    }

    /// <summary>
    /// A source's text, or null when it fails: an email is composed in the transaction that records a payment's outcome,
    /// so a host's text source that throws (its store unreachable, a bug for one language) must not keep money that was
    /// taken from being recorded and posted. The built-in text stands in; the failure is logged.
    /// </summary>
    private string? Ask(IEmailTextSource source, string key, CultureInfo culture)
    {
        try
        {
            return source.Find(key, culture);
        }
        catch (Exception ex)
        {
            _logger?.LogError(ex, "The email text source {Source} failed for {Key} in {Culture}; the portal's built-in text is used", source.GetType().Name, key, culture.Name);
            return null;
        }
    }

    /// <summary>Logs that <paramref name="key"/>'s text from a source could not be formatted (the built-in text was used).</summary>
    internal void Malformed(string key, CultureInfo culture, FormatException ex) =>
        _logger?.LogError(ex, "The email text {Key} in {Culture} does not fit its placeholders; the portal's built-in text is used", key, culture.Name);
}

/// <summary>
/// One reader's email words and formats. English readers (and payments made before the culture was stored) read what Core
/// stored in English: failure reasons, short-pay reasons and method names as written; other readers get the words the
/// portal's texts have for them (<c>Failure.*</c>, <c>ShortPayReason.*</c>, <c>Method.*</c>, <c>Autopay.Rule*</c>), and
/// the stored words where there are none.
/// </summary>
internal sealed class EmailText(CultureInfo culture, Func<string, string?> find, EmailTexts? owner = null)
{
    /// <summary>The reader's culture: numbers and dates are formatted in it.</summary>
    public CultureInfo Culture { get; } = culture;

    private bool English => Culture.Equals(CultureInfo.InvariantCulture) || Culture.TwoLetterISOLanguageName == "en";

    /// <summary>The text of <paramref name="key"/>; the key itself when no source has it (a test never allows that).</summary>
    public string this[string key] => find(key) ?? key;

    /// <summary>The text of <paramref name="key"/> with its placeholders filled in the reader's culture.</summary>
    public string Format(string key, params object?[] args)
    {
        var text = this[key];
        try
        {
            return string.Format(Culture, text, args);
        }
        catch (FormatException ex) when (owner is not null && EmailTexts.BuiltIn.GetString(key, Culture) is { } own && own != text)
        {
            // A host's text that does not fit the placeholders: the email still goes out (and the payment is recorded).
            owner?.Malformed(key, Culture, ex);
            return string.Format(Culture, own, args);
        }
    }

    /// <summary>"USD 1,234.56" (English) or "USD 1.234,56" (German).</summary>
    public string Amount(Money amount) => amount.ToString(Culture);

    /// <summary>An amount in minor units of <paramref name="currency"/>.</summary>
    public string Amount(long minor, string currency) => Amount(Money.FromMinorUnits(minor, currency));

    /// <summary>A date in the texts' format (<c>Email.DateFormat</c>: "December 4, 2026", "4. Dezember 2026").</summary>
    public string Date(DateOnly date) => date.ToString(this["Email.DateFormat"], Culture);

    /// <summary>Why a payment failed: the code's text in the reader's language, else the stored words.</summary>
    public string FailureReason(string? code, string reason) =>
        !English && code is not null && find("Failure." + code) is { } text ? text : reason;

    /// <summary>A short-pay reason: a built-in one in the reader's language, a host's own as configured.</summary>
    public string ShortPayReason(string reason) => !English && find("ShortPayReason." + reason) is { } text ? text : reason;

    /// <summary>A stored method's masked name ("Visa •••• 4242") with its words in the reader's language.</summary>
    public string Method(string description) => English ? description : MethodNames.Reword(description, find);

    /// <summary>When autopay debits ("on each invoice's due date").</summary>
    public string AutopayRule(Data.AutopayRule rule, int daysBeforeDue) =>
        !English && find(AutopayRules.TextKey(rule, daysBeforeDue)) is { } text
            ? string.Format(Culture, text, daysBeforeDue)
            : AutopayRules.Describe(rule, daysBeforeDue);
}
