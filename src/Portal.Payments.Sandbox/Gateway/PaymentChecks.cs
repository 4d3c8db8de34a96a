namespace Portal.Payments.Sandbox;

/// <summary>Checksums for card and bank numbers (Luhn, ABA routing) and card brand detection.</summary>
internal static class PaymentChecks
{
    /// <summary>True when <paramref name="number"/> is 12–19 digits (spaces and dashes allowed) passing the Luhn check.</summary>
    public static bool IsValidCardNumber(string? number)
    {
        var digits = DigitsOnly(number);
        if (digits is null || digits.Length is < 12 or > 19)
        {
            return false;
        }
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    /// <summary>True when <paramref name="routing"/> is nine digits passing the ABA checksum 3-7-1.</summary>
    public static bool IsValidRoutingNumber(string? routing)
    {
        if (routing is not { Length: 9 } || !routing.All(char.IsAsciiDigit))
        {
            return false;
        }
        int D(int i) => routing[i] - '0';
        var sum = 3 * (D(0) + D(3) + D(6)) + 7 * (D(1) + D(4) + D(7)) + D(2) + D(5) + D(8);
        return sum % 10 == 0;
    }

    /// <summary>The card brand from its leading digits.</summary>
    public static string CardBrand(string digits) => digits switch
    {
        _ when digits.StartsWith('4') => "Visa",
        _ when digits.Length >= 2 && digits[..2] is "34" or "37" => "American Express",
        _ when digits.Length >= 2 && int.Parse(digits[..2]) is >= 51 and <= 55 => "Mastercard",
        _ when digits.Length >= 4 && int.Parse(digits[..4]) is >= 2221 and <= 2720 => "Mastercard",
        _ when digits.StartsWith("6011") || digits.StartsWith("65") => "Discover",
        _ => "Card",
    };

    /// <summary>Digits of the input with spaces and dashes removed; null when anything else is present.</summary>
    public static string? DigitsOnly(string? input)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return null;
        }
        var chars = input.Where(c => c is not (' ' or '-')).ToArray();
        return chars.Length > 0 && chars.All(char.IsAsciiDigit) ? new string(chars) : null;
    }
}
