using System.Security;

namespace Portal.Payments.Packaging.Tests;

/// <summary>
/// Writes a minimal ASP.NET Core host the way a vendor installs Portal.Payments: a PackageReference to
/// Portal.Payments.Ui at one version from a local feed, no project references, and its own build files
/// so that nothing of the repository (central package versions, props) applies.
/// </summary>
public static class ThrowawayHost
{
    /// <summary>The project (and assembly) name.</summary>
    public const string Name = "PackTestHost";

    /// <summary>Writes the host into <paramref name="folder"/>; returns the .csproj path.</summary>
    /// <param name="folder">An empty folder outside the repository.</param>
    /// <param name="feed">The folder holding the packed .nupkg files.</param>
    /// <param name="version">The version of Portal.Payments.Ui to install.</param>
    /// <param name="databasePath">The SQLite file of the host.</param>
    public static string Write(string folder, string feed, string version, string databasePath)
    {
        Directory.CreateDirectory(Path.Combine(folder, "Components"));

        // Stop MSBuild's search for the repository's build files and turn central versions off.
        Write(folder, "Directory.Build.props", "<Project>\n</Project>\n");
        Write(folder, "Directory.Build.targets", "<Project>\n</Project>\n");
        Write(folder, "Directory.Packages.props", """
            <Project>
              <PropertyGroup>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
            </Project>

            """);

        // The local feed first, then nuget.org (served through the machine's registry mirror); the
        // machine's global packages folder stays in use.
        Write(folder, "nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="portal-payments-test-feed" value="{SecurityElement.Escape(feed)}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
            </configuration>

            """);

        var csproj = Path.Combine(folder, Name + ".csproj");
        Write(folder, Name + ".csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <RootNamespace>{Name}</RootNamespace>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Portal.Payments.Ui" Version="[{version}]" />
                <PackageReference Include="Portal.Payments.Sandbox" Version="[{version}]" />
              </ItemGroup>
            </Project>

            """);

        Write(folder, "Program.cs", $$"""
            using System.Security.Claims;
            using Microsoft.AspNetCore.Authentication;
            using Microsoft.AspNetCore.Authentication.Cookies;
            using Microsoft.AspNetCore.Components.Authorization;
            using {{Name}}.Components;
            using Portal.Payments.Gateways;
            using Portal.Payments.Sandbox;
            using Portal.Payments.Services;
            using Portal.Payments.Users;

            var builder = WebApplication.CreateBuilder(args);

            builder.Services.AddRazorComponents().AddInteractiveServerComponents();
            // PackTest:Auth = cookie: the vendor's own sign-in (a cookie, a static sign-in page, every page behind
            // RequireAuthorization) as the host guide describes; otherwise everyone is one fixed payer.
            var cookieLogin = string.Equals(builder.Configuration["PackTest:Auth"], "cookie", StringComparison.OrdinalIgnoreCase);
            if (cookieLogin)
            {
                builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
                    .AddCookie(o => o.LoginPath = "/account/login");
                builder.Services.AddAuthorization();
                builder.Services.AddCascadingAuthenticationState();
            }
            // PackTest:Setup = no-gateway, no-erp or no-user-context leaves out that call, as a vendor might forget it.
            var setup = builder.Configuration["PackTest:Setup"] ?? "sandbox";
            var portal = builder.Services.AddCustomerPortalPayments(o => o.Merchant.Name = "Vendor Test Supply")
                .UseSqlite("Data Source={{databasePath}}");
            if (setup != "no-user-context" && cookieLogin)
            {
                portal.UseUserContext<SignedInUserContext>();
            }
            else if (setup != "no-user-context")
            {
                portal.UseUserContext<FixedUserContext>();
            }
            if (setup != "no-gateway")
            {
                portal.UseSandboxGateway();
            }
            if (setup != "no-erp")
            {
                portal.UseDemoErp();
            }

            var app = builder.Build();

            await app.Services.MigratePortalPaymentsAsync();

            // A stored card, so the "Pay with" panel has a method to show.
            // (Not with the cookie sign-in: nobody is signed in at start, so the portal refuses to store it.)
            if (setup == "sandbox" && app.Environment.IsDevelopment() && !cookieLogin)
            {
                using var scope = app.Services.CreateScope();
                var methods = scope.ServiceProvider.GetRequiredService<PaymentMethodService>();
                if ((await methods.ListAsync()).Count == 0)
                {
                    var captured = scope.ServiceProvider.GetRequiredService<SandboxGateway>()
                        .CaptureCard(new SandboxCardInput("4242424242424242", 12, DateTime.UtcNow.Year + 2, "123", "Vendor Test", "02139"));
                    await methods.AddCardAsync(new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), "Test card", Guid.NewGuid().ToString("N")));
                }
            }

            if (cookieLogin)
            {
                app.UseAuthentication();
                app.UseAuthorization();
            }
            app.UseAntiforgery();
            app.MapStaticAssets();
            var pages = app.MapRazorComponents<App>()
                .AddInteractiveServerRenderMode()
                .AddAdditionalAssemblies(typeof(Portal.Payments.Ui.PortalRoutes).Assembly);
            app.MapCustomerPortalPayments();
            if (cookieLogin)
            {
                pages.RequireAuthorization();
                app.MapPost("/account/sign-in", async (HttpContext context) =>
                {
                    var form = await context.Request.ReadFormAsync();
                    var name = form["name"].ToString().Trim();
                    var returnUrl = form["returnUrl"].ToString();
                    if (name.Length == 0)
                    {
                        return Results.LocalRedirect("/account/login?missing=1");
                    }
                    var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, name), new Claim(ClaimTypes.Name, name)],
                        CookieAuthenticationDefaults.AuthenticationScheme);
                    await context.SignInAsync(new ClaimsPrincipal(identity));
                    return Results.LocalRedirect(Uri.IsWellFormedUriString(returnUrl, UriKind.Relative) && returnUrl.StartsWith('/') ? returnUrl : "/portal");
                }).AllowAnonymous().DisableAntiforgery();
            }

            app.Run();

            /// <summary>The signed-in user (the request's, or the circuit's) pays for ACME; nobody when signed out.</summary>
            internal sealed class SignedInUserContext(IHttpContextAccessor http, IServiceProvider services) : IPortalUserContext
            {
                public async ValueTask<PortalUser?> GetCurrentUserAsync(CancellationToken cancellationToken = default)
                {
                    var principal = http.HttpContext?.User;
                    if (principal?.Identity?.IsAuthenticated != true && services.GetService<AuthenticationStateProvider>() is { } provider)
                    {
                        try
                        {
                            principal = (await provider.GetAuthenticationStateAsync()).User;
                        }
                        catch (InvalidOperationException)
                        {
                            principal = null;   // outside a circuit: nobody
                        }
                    }
                    if (principal?.FindFirstValue(ClaimTypes.NameIdentifier) is not { Length: > 0 } id)
                    {
                        return null;
                    }
                    return new PortalUser
                    {
                        UserId = id,
                        DisplayName = principal.FindFirstValue(ClaimTypes.Name) ?? id,
                        Email = id + "@example.test",
                        CurrentAccountId = "ACME",
                        Accounts = [new PortalAccountAccess("ACME", "Acme Manufacturing", PortalPermissions.Pay)],
                    };
                }
            }

            /// <summary>Everyone is the same payer on account ACME.</summary>
            internal sealed class FixedUserContext : IPortalUserContext
            {
                private static readonly PortalUser User = new()
                {
                    UserId = "vendor-test",
                    DisplayName = "Vendor Test",
                    Email = "vendor@example.test",
                    CurrentAccountId = "ACME",
                    Accounts = [new PortalAccountAccess("ACME", "Acme Manufacturing", PortalPermissions.Pay)],
                };

                public ValueTask<PortalUser?> GetCurrentUserAsync(CancellationToken cancellationToken = default) =>
                    ValueTask.FromResult<PortalUser?>(User);
            }

            """);

        Directory.CreateDirectory(Path.Combine(folder, "Components", "Layout"));
        Directory.CreateDirectory(Path.Combine(folder, "Components", "Pages"));
        Directory.CreateDirectory(Path.Combine(folder, "wwwroot"));

        Write(folder, "Components/_Imports.razor", $"""
            @using Microsoft.AspNetCore.Components.Routing
            @using Microsoft.AspNetCore.Components.Web
            @using static Microsoft.AspNetCore.Components.Web.RenderMode
            @using Radzen.Blazor
            @using Portal.Payments.Ui.Components
            @using {Name}.Components

            """);

        // PackTest:Interactivity = global (the Routes component interactive) or per-page (the Blazor Web App template's
        // default: pages choose; the portal's pages declare their own). PackTest:Radzen = off leaves out Radzen's theme
        // and script and the app's scoped-CSS bundle, as a host that forgot them.
        Write(folder, "Components/App.razor", """
            @inject IConfiguration Configuration
            <!DOCTYPE html>
            <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1.0" />
                <base href="/" />
                <link rel="icon" href="data:," />
                <link rel="stylesheet" href="bootstrap.min.css" />
                @if (WithRadzen)
                {
                    <RadzenTheme Theme="material" />
                }
                <link rel="stylesheet" href="_content/Portal.Payments.Ui/portal-payments.css" />
                @if (WithRadzen)
                {
                    <link rel="stylesheet" href="PackTestHost.styles.css" />
                }
                <link rel="stylesheet" href="host.css" />
                <HeadOutlet @rendermode="PageRenderMode" />
            </head>
            <body>
                <Routes @rendermode="PageRenderMode" />
                <script src="_framework/blazor.web.js"></script>
                @if (WithRadzen)
                {
                    <script src="_content/Radzen.Blazor/Radzen.Blazor.js"></script>
                }
            </body>
            </html>

            @code {
                [CascadingParameter] private HttpContext HttpContext { get; set; } = default!;

                private bool WithRadzen => !string.Equals(Configuration["PackTest:Radzen"], "off", StringComparison.OrdinalIgnoreCase);

                private IComponentRenderMode? PageRenderMode =>
                    string.Equals(Configuration["PackTest:Interactivity"], "global", StringComparison.OrdinalIgnoreCase) && HttpContext.AcceptsInteractiveRouting()
                        ? InteractiveServer
                        : null;
            }

            """);

        Write(folder, "Components/Routes.razor", """
            <Router AppAssembly="typeof(Program).Assembly" AdditionalAssemblies="new[] { typeof(Portal.Payments.Ui.PortalRoutes).Assembly }">
                <Found Context="routeData">
                    <RouteView RouteData="routeData" DefaultLayout="typeof(Layout.MainLayout)" />
                </Found>
            </Router>

            """);

        // A Bootstrap page: a 3-column sidebar beside a "col" main column, the layout the vendor's site used.
        Write(folder, "Components/Layout/MainLayout.razor", """
            @inherits LayoutComponentBase
            <div class="container-fluid">
                <div class="row">
                    <aside class="col-3 host-sidebar" data-testid="host-sidebar">
                        <p class="host-brand">Vendor site</p>
                        <PortalNav />
                    </aside>
                    <main class="col host-main" data-testid="host-main">
                        @Body
                    </main>
                </div>
            </div>
            <RadzenComponents @rendermode="InteractiveServer" />

            """);

        Write(folder, "Components/Pages/HostHome.razor", """
            @page "/host"
            <PageTitle>Vendor home</PageTitle>
            <h1 data-testid="host-title">Vendor home</h1>
            <p data-testid="host-text">Terms of trade: invoices are due 30 days after delivery.</p>

            """);

        // The vendor's sign-in page (PackTest:Auth = cookie): static, anonymous, a plain form, in a layout without the
        // main layout's interactive island (a signed-out browser may not open a circuit).
        Write(folder, "Components/Layout/SignInLayout.razor", """
            @inherits LayoutComponentBase
            <main class="container host-sign-in">@Body</main>

            """);
        Write(folder, "Components/Pages/SignIn.razor", $$"""
            @page "/account/login"
            @layout {{Name}}.Components.Layout.SignInLayout
            @attribute [Microsoft.AspNetCore.Authorization.AllowAnonymous]
            @attribute [ExcludeFromInteractiveRouting]
            <PageTitle>Vendor sign-in</PageTitle>
            <h1 data-testid="host-sign-in">Sign in to the vendor site</h1>
            @if (Missing is not null)
            {
                <p role="alert">Enter your name.</p>
            }
            <form method="post" action="account/sign-in">
                <input type="hidden" name="returnUrl" value="@ReturnUrl" />
                <label for="name">Your name</label>
                <input id="name" name="name" autocomplete="username" />
                <button type="submit">Sign in</button>
            </form>

            @code {
                [SupplyParameterFromQuery] public string? ReturnUrl { get; set; }
                [SupplyParameterFromQuery] public string? Missing { get; set; }
            }

            """);

        // A page of the host that shows a portal component but forgot a render mode.
        Write(folder, "Components/Pages/StaticOverview.razor", """
            @page "/host/static-overview"
            <PageTitle>Balances</PageTitle>
            <AccountOverview />

            """);

        // The host's theme: the portal's own variables and one Radzen variable the portal falls back to.
        Write(folder, "wwwroot/host.css", """
            :root {
                --pp-surface: rgb(1, 2, 3);
                --pp-text: rgb(250, 240, 230);
                --rz-primary: rgb(9, 8, 7);
            }
            body { background: rgb(30, 30, 30); }
            .host-main { padding-top: 1rem; }

            """);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Assets", "bootstrap.min.css"), Path.Combine(folder, "wwwroot", "bootstrap.min.css"), overwrite: true);

        return csproj;
    }

    private static void Write(string folder, string relativePath, string content) =>
        File.WriteAllText(Path.Combine(folder, relativePath), content.ReplaceLineEndings("\n"));
}
