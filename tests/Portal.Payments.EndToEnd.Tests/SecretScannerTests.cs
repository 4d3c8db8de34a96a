using Portal.Payments.EndToEnd.Tests.Infrastructure;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>The secret scanner the card-data test reads the host's database and log with.</summary>
public class SecretScannerTests
{
    [Fact]
    public void A_number_followed_by_a_timestamp_is_judged_without_the_dates_year()
    {
        // Seen in CI: a deposit's receipt number and the timestamp stored after it made a Luhn-valid 14-digit run.
        var text = "\"convenienceFee\":null}DEP-56098746022026-12-05 10:19:40.8351292";
        Assert.True(SecretScanner.PassesLuhn("56098746022026"));
        var exempted = new List<SecretFinding>();

        Assert.Empty(SecretScanner.FindLuhnRuns("db", text, exempted));
        Assert.Equal("56098746022026", Assert.Single(exempted).Value);
    }

    [Fact]
    public void A_card_number_stays_found_beside_a_date_or_alone()
    {
        // Followed by a timestamp the run is 20 digits: without the year it is the card number.
        Assert.Equal("4242424242424242", Assert.Single(SecretScanner.FindLuhnRuns("db", "x4242424242424242" + "2026-12-05 10:19")).Value);
        Assert.Equal("4242424242424242", Assert.Single(SecretScanner.FindLuhnRuns("db", "pan=4242424242424242;")).Value);
        Assert.Equal("5555555555554444", Assert.Single(SecretScanner.FindLuhnRuns("db", "5555555555554444-not-a-date")).Value);
    }
}
