using System.Text.Json;
using Portal.Payments.Discounts;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Xunit;

namespace Portal.Payments.Core.Tests;

public class MoneyTests
{
    [Theory]
    [InlineData("USD", 2)]
    [InlineData("EUR", 2)]
    [InlineData("JPY", 0)]
    [InlineData("KWD", 3)]
    [InlineData("usd", 2)]
    public void Known_currencies_have_their_ISO_minor_units(string code, int minor) =>
        Assert.Equal(minor, CurrencyInfo.Get(code).MinorUnits);

    [Theory]
    [InlineData("XYZ")]
    [InlineData("US")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_currency_is_refused_with_a_message(string? code)
    {
        Assert.False(Money.TryCreate(1m, code, out _, out var error));
        Assert.Contains("ISO 4217", error);
    }

    [Theory]
    [InlineData(10.123, "USD", "at most 2 decimal places")]
    [InlineData(10.5, "JPY", "no decimal places")]
    [InlineData(1.2345, "KWD", "at most 3 decimal places")]
    public void Too_many_decimals_for_the_currency_are_refused(double amount, string currency, string message)
    {
        Assert.False(Money.TryCreate((decimal)amount, currency, out _, out var error));
        Assert.Contains(message, error);
    }

    [Fact]
    public void Minor_units_round_trip_exactly()
    {
        var m = Money.Create(1234567.89m, "USD");
        Assert.Equal(123456789L, m.ToMinorUnits());
        Assert.Equal(m, Money.FromMinorUnits(123456789L, "USD"));
        Assert.Equal(1500L, Money.Create(1.5m, "KWD").ToMinorUnits());
        Assert.Equal(Money.Create(1234m, "JPY"), Money.FromMinorUnits(1234, "JPY"));
    }

    [Fact]
    public void Arithmetic_is_exact_and_refuses_mixed_currencies()
    {
        var sum = Money.Create(0.1m, "USD") + Money.Create(0.2m, "USD");
        Assert.Equal(0.3m, sum.Amount);
        Assert.Throws<InvalidOperationException>(() => Money.Create(1m, "USD") + Money.Create(1m, "EUR"));
        Assert.True(Money.Create(2m, "USD") > Money.Create(1.99m, "USD"));
    }

    [Fact]
    public void Rounding_is_half_away_from_zero_to_minor_units()
    {
        Assert.Equal(0.13m, Money.Create(0.25m, "USD").MultiplyAndRound(0.5m).Amount);
        Assert.Equal(-0.13m, Money.Create(-0.25m, "USD").MultiplyAndRound(0.5m).Amount);
        Assert.Equal(1m, Money.Create(1m, "JPY").MultiplyAndRound(0.5m).Amount);
    }

    [Fact]
    public void Json_round_trip_keeps_amount_and_currency_and_validates()
    {
        var m = Money.Create(1234.56m, "USD");
        var json = JsonSerializer.Serialize(m);
        Assert.Equal("""{"amount":1234.56,"currency":"USD"}""", json);
        Assert.Equal(m, JsonSerializer.Deserialize<Money>(json));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Money>("""{"amount":1.234,"currency":"USD"}"""));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Money>("""{"amount":1,"currency":"ZZZ"}"""));
    }

    [Fact]
    public void Formatting_shows_code_and_minor_units() =>
        Assert.Equal("USD 1,234.50", Money.Create(1234.5m, "USD").ToString());
}

public class PaymentChecksTests
{
    [Theory]
    [InlineData("4242424242424242", true)]
    [InlineData("4242 4242 4242 4242", true)]
    [InlineData("4242-4242-4242-4242", true)]
    [InlineData("378282246310005", true)]
    [InlineData("4242424242424241", false)]
    [InlineData("4242abcd42424242", false)]
    [InlineData("42", false)]
    [InlineData("", false)]
    public void Card_numbers_are_checked_with_Luhn(string number, bool valid) =>
        Assert.Equal(valid, PaymentChecks.IsValidCardNumber(number));

    [Theory]
    [InlineData("110000000", true)]
    [InlineData("011000015", true)]
    [InlineData("021000021", true)]
    [InlineData("123456789", false)]
    [InlineData("11000000", false)]
    [InlineData("11000000a", false)]
    public void Routing_numbers_are_checked_with_the_ABA_checksum(string routing, bool valid) =>
        Assert.Equal(valid, PaymentChecks.IsValidRoutingNumber(routing));

    [Theory]
    [InlineData("4242424242424242", "Visa")]
    [InlineData("5555555555554444", "Mastercard")]
    [InlineData("2223003122003222", "Mastercard")]
    [InlineData("378282246310005", "American Express")]
    [InlineData("6011111111111117", "Discover")]
    public void Card_brand_comes_from_the_leading_digits(string number, string brand) =>
        Assert.Equal(brand, PaymentChecks.CardBrand(number));
}

public class DiscountPolicyTests
{
    // $1,000 invoice, 2/10 net 30 → $20 discount until day 10; paying $600 on day 5.
    private static DiscountContext Context(decimal? paid, int day = 5) => new()
    {
        OpenBalance = Money.Create(1000m, "USD"),
        DiscountAvailable = Money.Create(20m, "USD"),
        DiscountDate = new DateOnly(2026, 3, 11),
        PaymentDate = new DateOnly(2026, 3, 1).AddDays(day),
        AmountPaid = paid is null ? null : Money.Create(paid.Value, "USD"),
    };

    [Fact]
    public void Full_payment_before_the_discount_date_takes_the_whole_discount()
    {
        foreach (IDiscountPolicy p in new DiscountPolicyBase[] { new KeepDiscountPolicy(), new ProRateDiscountPolicy(), new ForfeitDiscountPolicy() })
        {
            Assert.Equal(20m, p.DiscountFor(Context(null)).Amount);
            Assert.Equal(20m, p.DiscountFor(Context(980m)).Amount);
        }
    }

    [Fact]
    public void Short_payment_of_600_on_day_5_under_each_policy()
    {
        Assert.Equal(20m, new KeepDiscountPolicy().DiscountFor(Context(600m)).Amount);
        Assert.Equal(12m, new ProRateDiscountPolicy().DiscountFor(Context(600m)).Amount); // 2% rate (20 / 1,000) × 600 paid
        Assert.Equal(0m, new ForfeitDiscountPolicy().DiscountFor(Context(600m)).Amount);
    }

    [Fact]
    public void No_discount_after_the_discount_date()
    {
        foreach (IDiscountPolicy p in new DiscountPolicyBase[] { new KeepDiscountPolicy(), new ProRateDiscountPolicy(), new ForfeitDiscountPolicy() })
        {
            Assert.Equal(0m, p.DiscountFor(Context(null, day: 11)).Amount);
        }
        Assert.Equal(20m, new ProRateDiscountPolicy().DiscountFor(Context(null, day: 10)).Amount);
    }
}

public class AgingBucketTests
{
    [Theory]
    [InlineData(-5, 0)]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(30, 1)]
    [InlineData(31, 2)]
    [InlineData(60, 2)]
    [InlineData(61, 3)]
    [InlineData(90, 3)]
    [InlineData(91, 4)]
    [InlineData(400, 4)]
    public void Days_past_due_fall_into_the_default_buckets(int days, int bucket) =>
        Assert.Equal(bucket, AccountOverviewService.BucketIndex(days, [30, 60, 90]));

    [Fact]
    public void Custom_bucket_limits_are_respected()
    {
        Assert.Equal(1, AccountOverviewService.BucketIndex(15, [15, 45]));
        Assert.Equal(2, AccountOverviewService.BucketIndex(16, [15, 45]));
        Assert.Equal(3, AccountOverviewService.BucketIndex(46, [15, 45]));
    }
}

public class TextSearchTests
{
    [Theory]
    [InlineData("INV-0012", "0012")]
    [InlineData("INV-0012345", "0012345")]
    [InlineData("ORDER 1234", "1234")]
    [InlineData("PO-77B", "77B")]
    [InlineData("ACM100017", null)]      // one run: the whole text is the part
    [InlineData("ORDER 1", null)]        // no run with a digit of three characters
    [InlineData("SPRING ORDER", null)]
    [InlineData("A-1-2", null)]
    public void The_index_is_asked_for_the_longest_run_with_digits(string key, string? part) =>
        Assert.Equal(part, Portal.Payments.Data.TextSearch.SelectivePart(key));

    [Theory]
    [InlineData("10%_\\x", "%10\\%\\_\\\\x%")]
    [InlineData("ABC", "%ABC%")]
    public void Like_patterns_escape_the_wildcards(string key, string pattern) =>
        Assert.Equal(pattern, Portal.Payments.Data.TextSearch.LikeAnywhere(key));

    [Theory]
    [InlineData("ABC", "\"ABC\"")]
    [InlineData("A\"B", "\"A\"\"B\"")]
    public void Fts_phrases_quote_the_text(string key, string phrase) =>
        Assert.Equal(phrase, Portal.Payments.Data.TextSearch.Phrase(key));
}
