using System.Text.RegularExpressions;

namespace Portal.Payments.Text;

/// <summary>
/// A stored method's masked name in another language. Core describes a method in English ("Visa •••• 4242", "Sandbox Bank
/// checking •••• 6789", "Card •••• 4242" without a brand, "a removed method"); the words in it are reworded with the texts
/// <c>Method.Card</c>, <c>Method.BankAccount</c>, <c>Method.Checking</c>, <c>Method.Savings</c> and <c>Method.Removed</c>,
/// the brand or bank name and the last four stay. A description of another shape, or a text not found, stays as written.
/// </summary>
public static partial class MethodNames
{
    /// <summary>Rewords <paramref name="description"/> with <paramref name="text"/> (a text by key, null when not found).</summary>
    public static string Reword(string description, Func<string, string?> text)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(text);
        if (description == "a removed method")
        {
            return text("Method.Removed") ?? description;
        }
        var match = Described().Match(description);
        if (!match.Success)
        {
            return description;
        }
        var name = match.Groups["name"].Value switch
        {
            "Card" => text("Method.Card") ?? "Card",
            "Bank account" => text("Method.BankAccount") ?? "Bank account",
            var brand => brand,
        };
        var kind = match.Groups["kind"].Value switch
        {
            "checking" => " " + (text("Method.Checking") ?? "checking"),
            "savings" => " " + (text("Method.Savings") ?? "savings"),
            _ => "",
        };
        return $"{name}{kind} •••• {match.Groups["last4"].Value}";
    }

    [GeneratedRegex(@"^(?<name>.+?)(?: (?<kind>checking|savings))? •••• (?<last4>\S+)$")]
    private static partial Regex Described();
}
