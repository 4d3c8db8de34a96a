namespace Portal.Payments.Ui;

/// <summary>
/// Upper bounds for what a text field accepts in the browser (its <c>maxlength</c>). They sit well above each rule's limit,
/// so a payer who types or pastes too much sees the "shorten it to …" message with their text still there, and well
/// below what one SignalR message can carry (32 KB by default; up to 6 bytes a character), so an oversized paste can
/// never be dropped on the way and arrive as an empty field.
/// </summary>
internal static class InputLimits
{
    /// <summary>The largest <c>maxlength</c> given to any field.</summary>
    public const int MostCharacters = 4000;

    /// <summary>The browser limit of a field whose rule allows <paramref name="ruleLimit"/> characters.</summary>
    public static int For(int ruleLimit) => Math.Min(MostCharacters, Math.Max(ruleLimit * 2, ruleLimit + 50));

    /// <summary>Amount fields: room for any amount with separators, nothing more.</summary>
    public const int Amount = 32;

    /// <summary>Search boxes.</summary>
    public const int Search = 200;
}
