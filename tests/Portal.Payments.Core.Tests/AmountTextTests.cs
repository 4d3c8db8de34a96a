using System.Globalization;
using Portal.Payments.Services.Payments;
using Portal.Payments.Text;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>Amounts are read in the payer's culture, and text whose meaning is not clear is refused (security review).</summary>
public class AmountTextTests
{
    [Theory]
    [InlineData("en-US", "1234.5", 1234.5)]
    [InlineData("en-US", " 1,234.50 ", 1234.50)]
    [InlineData("en-US", "1,234,567", 1234567)]
    [InlineData("en-US", ".75", 0.75)]
    [InlineData("en-US", "-12.50", -12.50)]
    [InlineData("de-DE", "1.234,5", 1234.5)]
    [InlineData("de-DE", "1234,50", 1234.50)]
    [InlineData("de-DE", "1.000", 1000)]
    [InlineData("fr-FR", "1 234,50", 1234.50)]
    [InlineData("fr-FR", "1\u202F234,50", 1234.50)]
    [InlineData("en-IN", "12,34,567.25", 1234567.25)]
    public void Amounts_read_in_the_users_culture(string culture, string text, double expected)
    {
        Assert.True(AmountText.TryParse(text, CultureInfo.GetCultureInfo(culture), out var value));
        Assert.Equal((decimal)expected, value);
    }

    [Theory]
    [InlineData("en-US", "USD", "$1,234.50", 1234.50)]
    [InlineData("en-US", "USD", "USD 12", 12)]
    [InlineData("en-US", "USD", "12.00 usd", 12)]
    [InlineData("en-US", "USD", "-$5", -5)]
    [InlineData("de-DE", "EUR", "1.234,50 €", 1234.50)]
    [InlineData("de-DE", "EUR", "€1.234,50", 1234.50)]
    [InlineData("en-GB", "GBP", "£99.99", 99.99)]
    public void An_amount_may_carry_its_own_currencys_code_or_symbol(string culture, string currency, string text, double expected)
    {
        Assert.True(AmountText.TryParse(text, CultureInfo.GetCultureInfo(culture), currency, out var value));
        Assert.Equal((decimal)expected, value);
    }

    [Theory]
    [InlineData("en-US", "USD", "€12")]      // another currency's symbol
    [InlineData("en-US", "USD", "EUR 12")]
    [InlineData("en-US", "USD", "$")]
    [InlineData("en-US", "USD", "$$12")]
    [InlineData("en-US", "USD", "$12,50")]   // the symbol does not make an unclear number clear
    [InlineData("en-US", "EUR", "1.500 €")]   // a German 1,500 (not 1.50) copied onto an English page
    [InlineData("en-US", "USD", "$1.500")]
    public void Another_currency_or_an_unclear_number_is_still_refused(string culture, string currency, string text)
    {
        Assert.False(AmountText.TryParse(text, CultureInfo.GetCultureInfo(culture), currency, out _));
    }

    [Theory]
    [InlineData("en-US", "1,0,0")]     // decimal.TryParse reads 100
    [InlineData("en-US", "12,50")]     // a German "12.50": decimal.TryParse reads 1,250
    [InlineData("en-US", "1,234.5.6")]
    [InlineData("en-US", "1.234,50")]  // the other culture's notation
    [InlineData("en-US", "1 234.50")]
    [InlineData("en-US", ",123")]
    [InlineData("en-US", "12.")]
    [InlineData("en-US", "$12")]
    [InlineData("en-US", "1e3")]
    [InlineData("en-US", "")]
    [InlineData("en-US", "   ")]
    [InlineData("de-DE", "12.50")]     // an English "12.50": decimal.TryParse reads 1,250
    [InlineData("de-DE", "1.234.5")]
    [InlineData("de-DE", "1,234.50")]
    public void Ambiguous_or_malformed_text_is_refused(string culture, string text) =>
        Assert.False(AmountText.TryParse(text, CultureInfo.GetCultureInfo(culture), out _));

    [Fact]
    public void The_amount_to_pay_refuses_ambiguous_input_with_an_example_in_the_users_culture()
    {
        Assert.False(ShortPayRules.TryParseAmount("1,0,0", "USD", "INV-5", CultureInfo.GetCultureInfo("en-US"), out _, out var english));
        Assert.Equal("Enter the amount to pay for INV-5 as a number, e.g. 1,234.50.", english);
        Assert.False(ShortPayRules.TryParseAmount("12.50", "EUR", "INV-5", CultureInfo.GetCultureInfo("de-DE"), out _, out var german));
        Assert.Equal("Enter the amount to pay for INV-5 as a number, e.g. 1.234,50.", german);
    }
}
