using System.Globalization;
using System.Text.Json;
using Portal.Payments.Data;

namespace Portal.Payments.Services.Autopay;

/// <summary>
/// Why autopay leaves an invoice to the payer, as a code and its arguments (<see cref="AutopayInvoice.Skip"/>), so a page
/// words it in the reader's language; <see cref="AutopayInvoice.SkipReason"/> is the English text. Stored in the item's
/// reason column as a small JSON object (a reason stored before is English text, shown as it is), cut to fit it: a long
/// failure reason of the payment is shortened, never the row's write refused.
/// </summary>
public static class AutopaySkips
{
    /// <summary>A stored method's description in a skip reason (worded in the reader's language by the page).</summary>
    /// <param name="Description">Core's English description ("Visa •••• 4242").</param>
    public sealed record MethodName(string Description)
    {
        /// <inheritdoc />
        public override string ToString() => Description;
    }

    /// <summary>Why autopay's payment did not go through, in a skip reason.</summary>
    /// <param name="Code">The payment's failure code (<see cref="Payments.PaymentFailureCodes"/>), when it has one.</param>
    /// <param name="Reason">The stored English reason (without its closing full stop).</param>
    public sealed record Failure(string? Code, string Reason)
    {
        /// <inheritdoc />
        public override string ToString() => Reason;
    }

    private const int MaxStored = 300;   // the column's length (AutopayItemRecord.SkipReason)
    private const string Field = "invoice";

    /// <summary>The reason <paramref name="code"/> with <paramref name="arguments"/> (each code has <c>Error.{code}</c> in the portal's resources).</summary>
    internal static PortalFieldError Of(string code, params object[] arguments) => code switch
    {
        "AutopaySkipOutside" => PortalFieldError.Of(Field, "AutopaySkipOutside", "Its new debit date is past the end of autopay or the scheduling horizon.", arguments),
        "AutopaySkipCurrency" => PortalFieldError.Of(Field, "AutopaySkipCurrency", "It is in {0}; autopay pays {1} invoices only.", arguments),
        "AutopaySkipScheduledByHand" => PortalFieldError.Of(Field, "AutopaySkipScheduledByHand", "Scheduled by hand.", arguments),
        "AutopaySkipScheduledByHandOn" => PortalFieldError.Of(Field, "AutopaySkipScheduledByHandOn", "Scheduled by hand for {0}.", arguments),
        "AutopaySkipInProgress" => PortalFieldError.Of(Field, "AutopaySkipInProgress", "A payment of it is already in progress.", arguments),
        "AutopaySkipDisputed" => PortalFieldError.Of(Field, "AutopaySkipDisputed", "Disputed: autopay leaves disputed invoices to you.", arguments),
        "AutopaySkipShortPaid" => PortalFieldError.Of(Field, "AutopaySkipShortPaid", "Short-paid earlier: autopay does not pay the rest; pay it by hand if it is due.", arguments),
        "AutopaySkipMethodRemoved" => PortalFieldError.Of(Field, "AutopaySkipMethodRemoved", "The autopay payment method was removed; choose another one in the autopay settings.", arguments),
        "AutopaySkipMethodExpired" => PortalFieldError.Of(Field, "AutopaySkipMethodExpired", "{0} has expired; update its expiry date or choose another method in the autopay settings.", arguments),
        "AutopaySkipMethodExpiresBefore" => PortalFieldError.Of(Field, "AutopaySkipMethodExpiresBefore", "{0} expires before the debit date of {1}; update its expiry date or choose another method in the autopay settings.", arguments),
        "AutopaySkipMethodVerifying" => PortalFieldError.Of(Field, "AutopaySkipMethodVerifying", "{0} is still being verified; autopay pays with it once the verification is complete, or choose another method in the autopay settings.", arguments),
        "AutopaySkipMethodOtherGateway" => PortalFieldError.Of(Field, "AutopaySkipMethodOtherGateway", "{0} cannot be used with the current payment processor; choose another method in the autopay settings.", arguments),
        "AutopaySkipAboveMaximum" => PortalFieldError.Of(Field, "AutopaySkipAboveMaximum", "{0} is above the autopay maximum of {1}.", arguments),
        "AutopaySkipAboveMaximumWithFee" => PortalFieldError.Of(Field, "AutopaySkipAboveMaximumWithFee", "{0} (with a convenience fee of {1}) is above the autopay maximum of {2}.", arguments),
        "AutopaySkipPaymentFailed" => PortalFieldError.Of(Field, "AutopaySkipPaymentFailed", "Autopay's payment of {0} did not go through. Pay it by hand, or put it back in autopay to try again.", arguments),
        "AutopaySkipPaymentFailedWhy" => PortalFieldError.Of(Field, "AutopaySkipPaymentFailedWhy", "Autopay's payment of {0} did not go through ({1}). Pay it by hand, or put it back in autopay to try again.", arguments),
        "AutopaySkipPaymentCancelled" => PortalFieldError.Of(Field, "AutopaySkipPaymentCancelled", "Autopay's payment of {0} was cancelled. Pay it by hand, or put it back in autopay.", arguments),
        "AutopaySkipPaymentReturned" => PortalFieldError.Of(Field, "AutopaySkipPaymentReturned", "Autopay's payment of {0} was returned by the bank. Pay it by hand, or put it back in autopay to try again.", arguments),
        "AutopaySkipPaymentReturnedWhy" => PortalFieldError.Of(Field, "AutopaySkipPaymentReturnedWhy", "Autopay's payment of {0} was returned by the bank ({1}). Pay it by hand, or put it back in autopay to try again.", arguments),
        "AutopaySkipPaymentRefunded" => PortalFieldError.Of(Field, "AutopaySkipPaymentRefunded", "Autopay's payment of {0} was refunded. Pay it by hand, or put it back in autopay.", arguments),
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Not an autopay skip reason."),
    };

    /// <summary>The skip of <paramref name="method"/>'s problem (see <see cref="AutopayRunner.MethodProblem"/>).</summary>
    internal static MethodName Method(PaymentMethodRecord method) => new(PaymentMethodService.Describe(method));

    /// <summary>
    /// The reason as stored: JSON of its code and arguments, within the column's length (a failure reason is cut to fit; when
    /// nothing fits, the English text cut).
    /// </summary>
    internal static string Store(PortalFieldError reason)
    {
        var stored = Serialize(reason.Code, reason.Arguments);
        var failure = reason.Arguments.OfType<Failure>().FirstOrDefault();
        if (stored.Length > MaxStored && failure is not null)
        {
            var over = stored.Length - MaxStored + 1;
            var kept = failure.Reason.Length > over ? failure.Reason[..(failure.Reason.Length - over)].TrimEnd() + "…" : "";
            stored = Serialize(reason.Code, [.. reason.Arguments.Select(a => ReferenceEquals(a, failure) ? failure with { Reason = kept } : a)]);
        }
        return stored.Length <= MaxStored ? stored : reason.Message[..Math.Min(reason.Message.Length, MaxStored)];
    }

    /// <summary>A stored reason read back: the code and arguments, or null for English text stored before (or unknown).</summary>
    public static PortalFieldError? Read(string? stored)
    {
        if (stored is null || !stored.StartsWith('{'))
        {
            return null;
        }
        try
        {
            using var json = JsonDocument.Parse(stored);
            var code = json.RootElement.GetProperty("c").GetString();
            if (code is null)
            {
                return null;
            }
            var arguments = json.RootElement.GetProperty("a").EnumerateArray().Select(ReadArgument).ToArray();
            return Of(code, arguments);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The English text of a stored reason (itself for text stored before).</summary>
    public static string? EnglishOf(string? stored) => Read(stored)?.Message ?? stored;

    private static string Serialize(string code, IEnumerable<object> arguments) => JsonSerializer.Serialize(new
    {
        c = code,
        a = arguments.Select(a => a switch
        {
            DateOnly d => new[] { "d", d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
            Money m => ["m", m.Amount.ToString(CultureInfo.InvariantCulture), m.Currency],
            MethodName n => ["n", n.Description],
            Failure f => ["f", f.Code ?? "", f.Reason],
            _ => ["s", Convert.ToString(a, CultureInfo.InvariantCulture) ?? ""],
        }).ToArray(),
    }, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static object ReadArgument(JsonElement e)
    {
        var parts = e.EnumerateArray().Select(p => p.GetString() ?? "").ToArray();
        return parts[0] switch
        {
            "d" => DateOnly.ParseExact(parts[1], "yyyy-MM-dd", CultureInfo.InvariantCulture),
            "m" => Money.Create(decimal.Parse(parts[1], NumberStyles.Number, CultureInfo.InvariantCulture), parts[2]),
            "n" => new MethodName(parts[1]),
            "f" => new Failure(parts[1].Length == 0 ? null : parts[1], parts[2]),
            _ => parts[1],
        };
    }
}
