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
              </ItemGroup>
            </Project>

            """);

        Write(folder, "Program.cs", $$"""
            using {{Name}}.Components;
            using Portal.Payments.Users;

            var builder = WebApplication.CreateBuilder(args);

            builder.Services.AddRazorComponents().AddInteractiveServerComponents();
            builder.Services.AddCustomerPortalPayments()
                .UseSqlite("Data Source={{databasePath}}")
                .UseUserContext<FixedUserContext>();

            var app = builder.Build();

            await app.Services.MigratePortalPaymentsAsync();

            app.UseAntiforgery();
            app.MapStaticAssets();
            app.MapRazorComponents<App>()
                .AddInteractiveServerRenderMode()
                .AddAdditionalAssemblies(typeof(Portal.Payments.Ui.PortalRoutes).Assembly);
            app.MapCustomerPortalPayments();

            app.Run();

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

        Write(folder, "Components/_Imports.razor", $"""
            @using Microsoft.AspNetCore.Components.Routing
            @using Microsoft.AspNetCore.Components.Web
            @using static Microsoft.AspNetCore.Components.Web.RenderMode
            @using Radzen.Blazor
            @using {Name}.Components

            """);

        Write(folder, "Components/App.razor", """
            <!DOCTYPE html>
            <html lang="en">
            <head>
                <meta charset="utf-8" />
                <base href="/" />
                <link rel="stylesheet" href="_content/Portal.Payments.Ui/portal-payments.css" />
                <HeadOutlet @rendermode="InteractiveServer" />
            </head>
            <body>
                <Routes @rendermode="InteractiveServer" />
                <RadzenComponents @rendermode="InteractiveServer" />
                <script src="_framework/blazor.web.js"></script>
            </body>
            </html>

            """);

        Write(folder, "Components/Routes.razor", """
            <Router AppAssembly="typeof(Program).Assembly" AdditionalAssemblies="new[] { typeof(Portal.Payments.Ui.PortalRoutes).Assembly }">
                <Found Context="routeData">
                    <RouteView RouteData="routeData" />
                </Found>
            </Router>

            """);

        return csproj;
    }

    private static void Write(string folder, string relativePath, string content) =>
        File.WriteAllText(Path.Combine(folder, relativePath), content.ReplaceLineEndings("\n"));
}
