using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Portal.Payments.Ui;

/// <summary>
/// The portal's static files (its stylesheet and scripts, Radzen's, <c>_framework/blazor.web.js</c>) for a site started
/// from build output outside Development: <c>dotnet run</c> or <c>dotnet bin/…/Site.dll</c> with
/// <c>ASPNETCORE_ENVIRONMENT=Production</c>. ASP.NET Core reads the packages' files through the build's static web assets
/// manifest only in Development, so there <c>app.MapStaticAssets()</c> answers 500 for each of them (their files are not in
/// the web root) and every portal page stays unstyled HTML whose buttons do nothing, with nothing said: no script runs to
/// say it. The portal then reads that manifest itself, as <c>builder.WebHost.UseStaticWebAssets()</c> would, and logs that
/// it did. Published output (the portal's files are in the web root) and a host that already serves them are left alone.
/// </summary>
internal static class PortalStaticFiles
{
    /// <summary>The file every host serves (its App.razor links it): in the web root when the package's files are.</summary>
    internal const string Stylesheet = "_content/Portal.Payments.Ui/portal-payments.css";

    /// <summary>
    /// Adds the build's static web assets to the web root when the portal's stylesheet is not in it and the environment is
    /// not Development (there the host has them already); true when it did.
    /// </summary>
    internal static bool ServeFromBuildOutput(IServiceProvider services)
    {
        if (services.GetService<IWebHostEnvironment>() is not { } environment || environment.IsDevelopment()
            || services.GetService<IConfiguration>() is not { } configuration)
        {
            return false;
        }
        if (environment.WebRootFileProvider.GetFileInfo(Stylesheet).Exists)
        {
            return false;
        }
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Portal.Payments.StaticFiles");
        try
        {
            // Reads {app}.staticwebassets.runtime.json beside the app (build output only; published output has none).
            StaticWebAssetsLoader.UseStaticWebAssets(environment, configuration);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException
                                       or System.Text.Json.JsonException)
        {
            // Build output copied away from the folders its manifest names (a container image of bin/): publishing is the fix.
            logger.LogError(ex, "The portal's static files are not in the web root ({WebRoot}) and the build's static web assets could not be read: its pages will not work. Run the published output (dotnet publish)",
                environment.WebRootPath);
            return false;
        }
        if (!environment.WebRootFileProvider.GetFileInfo(Stylesheet).Exists)
        {
            logger.LogError("The portal's static files ({Stylesheet}) are not in the web root ({WebRoot}) nor in the build's static web assets: its pages will show unstyled and their buttons will do nothing. Run the published output (dotnet publish), or map static files (app.MapStaticAssets())",
                Stylesheet, environment.WebRootPath);
            return false;
        }
        logger.LogWarning("The site runs from build output in the {Environment} environment: the portal serves its static files (and the other packages') from the build's static web assets, as builder.WebHost.UseStaticWebAssets() would. Deploy the published output (dotnet publish)",
            environment.EnvironmentName);
        return true;
    }
}
