using System.Globalization;
using Portal.Payments.Users;

namespace Portal.Payments.Services;

/// <summary>Nobody is signed in, or the user may not do this on the current account.</summary>
public sealed class PortalAccessDeniedException(string message, bool notSignedIn = false) : Exception(message)
{
    /// <summary>True when nobody is signed in (HTTP 401), false when the user lacks permission (HTTP 403).</summary>
    public bool NotSignedIn { get; } = notSignedIn;
}

/// <summary>The thing asked for does not exist on the current account (another account's ids land here too).</summary>
public sealed class PortalNotFoundException(string message) : Exception(message);

/// <summary>
/// One refused input, as a value: the field it belongs to, a code and arguments a user interface can word in the user's
/// language, and the message in English. Rules that several callers apply (the short-pay rules) return these instead of
/// throwing, so a form can show every problem at its field at once.
/// </summary>
/// <param name="Field">The input at fault (e.g. <c>amount-42</c>).</param>
/// <param name="Code">What is wrong, for the wording (e.g. <c>AmountOverBalance</c>).</param>
/// <param name="Message">The English message.</param>
/// <param name="Arguments">The values the message names (invoice numbers, amounts, lengths), in order.</param>
public sealed record PortalFieldError(string Field, string Code, string Message, IReadOnlyList<object> Arguments)
{
    /// <summary>
    /// A refusal of <paramref name="field"/> with <paramref name="code"/>: the message is <paramref name="englishFormat"/>
    /// (the English text of <c>Error.{code}</c> in the portal's resources) filled with <paramref name="arguments"/> in the
    /// invariant culture. Pass amounts as <see cref="Money"/>, dates as <see cref="DateOnly"/> (with the English date
    /// format in the placeholder, e.g. <c>{0:MMMM d, yyyy}</c>) and counts as <see cref="int"/>, so a user interface
    /// writes them in the user's culture; a list of refusals (the parts of one message) reads as their messages joined by
    /// "; ", and a single refusal as its message.
    /// </summary>
    public static PortalFieldError Of(string field, string code, string englishFormat, params object[] arguments) =>
        new(field, code, string.Format(EnglishArguments.Instance, englishFormat, arguments), arguments);

    /// <summary>The refusal as an exception (the server refuses the request with it).</summary>
    public PortalValidationException ToException() => new(this);

    /// <summary>Writes the arguments of an English message: invariant, a part or a list of parts as their messages.</summary>
    private sealed class EnglishArguments : IFormatProvider, ICustomFormatter
    {
        public static readonly EnglishArguments Instance = new();

        public object? GetFormat(Type? formatType) => formatType == typeof(ICustomFormatter) ? this : null;

        public string Format(string? format, object? arg, IFormatProvider? formatProvider) => arg switch
        {
            IEnumerable<PortalFieldError> parts => string.Join("; ", parts.Select(p => p.Message)),
            PortalFieldError part => part.Message,
            // A date without a format reads the same in any log: 2026-03-05 (the UI writes it in the user's culture).
            DateOnly d when string.IsNullOrEmpty(format) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            IFormattable formattable => formattable.ToString(format, CultureInfo.InvariantCulture),
            _ => arg?.ToString() ?? "",
        };
    }
}

/// <summary>A user's request broke a rule; <see cref="Field"/> names the input to fix.</summary>
public sealed class PortalValidationException : Exception
{
    /// <summary>A refusal of <paramref name="field"/> with <paramref name="message"/>.</summary>
    public PortalValidationException(string field, string message) : base(message) => Field = field;

    /// <summary>The refusal <paramref name="error"/> (its code and arguments stay available as <see cref="Error"/>).</summary>
    public PortalValidationException(PortalFieldError error) : base((error ?? throw new ArgumentNullException(nameof(error))).Message)
    {
        Field = error.Field;
        Error = error;
    }

    /// <summary>The input at fault, for showing the message next to it.</summary>
    public string Field { get; }

    /// <summary>The refusal as a value with its code, when the rule gave one.</summary>
    public PortalFieldError? Error { get; }

    /// <summary>
    /// For a refusal in the payment gateway's own (English) words: its reason's code
    /// (<see cref="Payments.PaymentFailureCodes"/>: declined, invalid card number, expired card…), which a page in another
    /// language words itself, as it does a failed payment's. Null otherwise.
    /// </summary>
    public string? FailureCode { get; init; }

    /// <summary>
    /// True when the message is the payment gateway's own words (English, as a processor writes them), not the portal's: a
    /// page in another language that has no words of its own for the reason (no <see cref="FailureCode"/>, or one it does
    /// not word) says so instead of showing them as if they were its own.
    /// </summary>
    public bool InGatewayWords { get; init; }
}

/// <summary>
/// A system the portal depends on (the ERP) did not answer in time or failed; nothing was changed and the user may try
/// again shortly (HTTP 503).
/// </summary>
public sealed class PortalUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>The signed-in user and the account every query and write is scoped to.</summary>
/// <param name="User">The user.</param>
/// <param name="AccountId">The current account.</param>
/// <param name="AccountName">Its name.</param>
/// <param name="Permissions">The user's permissions there.</param>
public sealed record AccountScope(PortalUser User, string AccountId, string AccountName, PortalPermissions Permissions)
{
    /// <summary>The account's billing region from the host (<see cref="PortalAccountAccess.BillingRegion"/>), if known.</summary>
    public string? BillingRegion { get; init; }

    /// <summary>True when the user may pay and change things.</summary>
    public bool CanPay => Permissions.HasFlag(PortalPermissions.Pay);

    /// <summary>
    /// Refuses a confirmation from a form opened for account <paramref name="openedFor"/> when the user's current account
    /// is another one by now (the host's account switcher was used while the form stayed open): nothing is charged or saved
    /// on an account the form was not opened for. Null (a caller that does not say) is not checked.
    /// </summary>
    public void RequireOpenedFor(string? openedFor)
    {
        if (openedFor is null || string.Equals(openedFor, AccountId, StringComparison.Ordinal))
        {
            return;
        }
        // Named as the user knows it when it is one of theirs; otherwise as sent (never another account's name).
        var opened = User.Accounts.FirstOrDefault(a => string.Equals(a.AccountId, openedFor, StringComparison.Ordinal))?.AccountName
                     ?? (openedFor.Length > 64 ? openedFor[..64] : openedFor);
        throw PortalFieldError.Of("account", "AccountSwitched",
            "This form was opened for {0}, but you are now working on {1}. Nothing was charged or saved. Open the form again to continue on {1}.",
            opened, AccountName).ToException();
    }
}

/// <summary>
/// The one door to the current account: every Core service asks it first, so no service can read
/// another account's rows or let a view-only user change anything.
/// </summary>
public sealed class PortalAccess(IPortalUserContext users)
{
    /// <summary>The scope of the signed-in user, requiring <paramref name="needed"/> on the current account.</summary>
    public async ValueTask<AccountScope> RequireAsync(PortalPermissions needed, CancellationToken cancellationToken = default)
    {
        var user = await users.GetCurrentUserAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new PortalAccessDeniedException("Please sign in to use the payment portal.", notSignedIn: true);
        var access = user.CurrentAccount
            ?? throw new PortalAccessDeniedException("You do not have access to this customer account.");
        if ((access.Permissions & needed) != needed)
        {
            throw new PortalAccessDeniedException(needed.HasFlag(PortalPermissions.Pay)
                ? "Your access to this account is view-only; ask an administrator for accounts-payable permission to make changes."
                : "You do not have access to this customer account.");
        }
        RefuseTooLong(user, access);
        return new AccountScope(user, access.AccountId, access.AccountName, access.Permissions) { BillingRegion = access.BillingRegion };
    }

    /// <summary>
    /// The host's values that do not fit the portal's columns (adapter guide, "Lengths the portal stores"), refused here on
    /// every database with a message naming them: PostgreSQL would refuse the write only ("value too long for type character
    /// varying(64)", naming no value) and SQLite not at all, so a host found out in production.
    /// </summary>
    private static void RefuseTooLong(PortalUser user, PortalAccountAccess access)
    {
        List<string>? problems = null;
        void Check(string what, string? value, int max)
        {
            if (value is { } text && text.Length > max)
            {
                (problems ??= []).Add($"{what} '{(text.Length > 100 ? text[..100] + "…" : text)}' has {text.Length} characters; the portal stores at most {max}");
            }
        }
        Check("PortalUser.UserId", user.UserId, Data.ColumnLengths.Id);
        Check("PortalAccountAccess.AccountId", access.AccountId, Data.ColumnLengths.Id);
        Check("PortalUser.DisplayName", user.DisplayName, Data.ColumnLengths.Name);
        Check("PortalUser.Email", user.Email, Data.ColumnLengths.Name);
        Check("PortalAccountAccess.AccountName", access.AccountName, Data.ColumnLengths.Name);
        Check("PortalAccountAccess.BillingRegion", access.BillingRegion, Data.ColumnLengths.Region);
        if (problems is not null)
        {
            throw new InvalidOperationException(
                "The host's IPortalUserContext gave values longer than the portal stores: " + string.Join("; ", problems) +
                ". Give shorter ones from your user context (an id of your own store instead of a long claim value, for example); " +
                "see \"Lengths the portal stores\" in the adapter guide.");
        }
    }

    /// <summary>The scope for reading (view permission).</summary>
    public ValueTask<AccountScope> ForViewAsync(CancellationToken cancellationToken = default) => RequireAsync(PortalPermissions.View, cancellationToken);

    /// <summary>The scope for changing things (pay permission).</summary>
    public ValueTask<AccountScope> ForPayAsync(CancellationToken cancellationToken = default) => RequireAsync(PortalPermissions.Pay, cancellationToken);
}
