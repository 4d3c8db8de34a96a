using Microsoft.AspNetCore.Components.Web;
using Portal.Payments.Ui.Pages;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>The browser tab title (&lt;PageTitle&gt;) of the portal's pages, in English and in German.</summary>
public class GermanPageTitlesTests : PortalTestContext
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(typeof(AccountOverviewPage), "en-US", "Account overview")]
    [InlineData(typeof(AccountOverviewPage), "de-DE", "Kontoübersicht")]
    [InlineData(typeof(OpenInvoicesPage), "en-US", "Open invoices")]
    [InlineData(typeof(OpenInvoicesPage), "de-DE", "Offene Rechnungen")]
    [InlineData(typeof(PaymentHistoryPage), "en-US", "Payment history")]
    [InlineData(typeof(PaymentHistoryPage), "de-DE", "Zahlungsverlauf")]
    [InlineData(typeof(PaymentMethodsPage), "en-US", "Payment methods")]
    [InlineData(typeof(PaymentMethodsPage), "de-DE", "Zahlungsmethoden")]
    [InlineData(typeof(ReceiptPage), "en-US", "Receipt")]
    [InlineData(typeof(ReceiptPage), "de-DE", "Beleg")]
    public async Task The_page_title_is_in_the_users_language(Type page, string culture, string title)
    {
        await AddPortalAndMigrateAsync(invoiceCount: 3);
        Users.SignIn(PortalPermissions.Pay);
        using var language = TestCulture.Use(culture);

        // The head outlet renders what <PageTitle> sets, as the host's App.razor does.
        var cut = Render(b =>
        {
            b.OpenComponent<HeadOutlet>(0);
            b.CloseComponent();
            b.OpenComponent(1, page);
            if (page == typeof(ReceiptPage))
            {
                b.AddComponentParameter(2, nameof(ReceiptPage.PaymentId), Guid.NewGuid());
            }
            b.CloseComponent();
        });

        cut.WaitForAssertion(() => Assert.Equal(title, cut.Find("title").TextContent), Timeout);
    }
}
