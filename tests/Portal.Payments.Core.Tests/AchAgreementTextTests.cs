using System.Security.Cryptography;
using System.Text;
using Portal.Payments.Hosting;
using Portal.Payments.Services;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The seller the ACH authorization names, its built-in text and hash, and a bad seller name at start.</summary>
public sealed class AchAgreementTextTests
{
    private static PortalPaymentsOptions Options(string? companyName, string? merchantName) => new()
    {
        Database = new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = "Data Source=x.db" },
        AchAgreement = new AchAgreementOptions { CompanyName = companyName },
        Merchant = new MerchantOptions { Name = merchantName },
    };

    [Theory]
    [InlineData("Acme Billing Co.", "Northwind Supply", "Acme Billing Co.")]
    [InlineData(null, "Northwind Supply", "Northwind Supply")]
    [InlineData("  ", " Northwind Supply ", "Northwind Supply")]
    [InlineData(null, null, "the merchant")]
    public void The_seller_is_the_company_name_else_the_merchant_else_the_merchant(string? companyName, string? merchantName, string expected)
    {
        var options = Options(companyName, merchantName);

        Assert.Equal(expected, options.AchSeller);
        var text = options.AchAgreement.EffectiveText(options.AchSeller);
        Assert.StartsWith($"I authorize {expected} to electronically debit", text);
        Assert.Contains($"or notify {expected} in writing", text);
    }

    [Fact]
    public void A_host_text_is_used_as_written_and_the_agreement_carries_the_hash_of_exactly_that_text()
    {
        var options = Options(null, "Northwind Supply");
        options.AchAgreement.Text = "I authorize the debits. Ünïcode counts too.";

        var agreement = AchAgreement.Of("2027-02", options.AchAgreement.EffectiveText(options.AchSeller));

        Assert.Equal(("2027-02", "I authorize the debits. Ünïcode counts too."), (agreement.Version, agreement.Text));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(agreement.Text))).ToLowerInvariant(), agreement.Sha256);
    }

    [Fact]
    public void A_seller_name_over_100_characters_is_refused_at_start_with_what_to_do()
    {
        var result = new PortalPaymentsOptionsValidator().Validate(null, Options(new string('x', 101), null));

        Assert.True(result.Failed);
        Assert.Contains("CustomerPortalPayments:AchAgreement:CompanyName has 101 characters; use at most 100 (or leave it unset to name Merchant:Name).", result.Failures);
        Assert.False(new PortalPaymentsOptionsValidator().Validate(null, Options(new string('x', 100), null)).Failed);
    }
}
