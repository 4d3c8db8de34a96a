using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>The sample host's layout as the browser tests use it.</summary>
public static class HostLayout
{
    /// <summary>
    /// Waits until the page's circuit is connected (the host layout marks itself <c>data-interactive</c>): a link clicked
    /// before that can change the address and leave the old page standing (dotnet/aspnetcore#68562), and the page's title
    /// is briefly gone while the circuit takes over the head.
    /// </summary>
    public static Task WaitUntilLiveAsync(IPage page) =>
        Expect(page.Locator(".host-page[data-interactive='true']")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
}
