using System.Security.Claims;
using HostSite.Components;
using HostSite.Components.Layout;
using HostSite.Demo;
using HostSite.Hosting;
using HostSite.Testing;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Portal.Payments.Sync;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json and wwwroot live beside the binaries, so any working directory works.
    ContentRootPath = AppContext.BaseDirectory,
});

// The usual settings choose where to listen (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS/HTTPS_PORTS, Kestrel:Endpoints);
// with none of them the demo listens on http://localhost:5080.
const string DefaultUrl = "http://localhost:5080";
if (!ListenAddresses.Configured(builder.Configuration))
{
    builder.WebHost.UseUrls(DefaultUrl);
}

// Served below a path (HostSite:PathBase, e.g. "/customers", as an IIS application or a proxy's sub-path would be): every
// page, asset, endpoint and cookie of the site then lives under it; App.razor's <base href> follows the request's path base.
var pathBase = builder.Configuration["HostSite:PathBase"] is { Length: > 0 } configuredPathBase ? configuredPathBase : null;
if (pathBase is not null)
{
    if (!pathBase.StartsWith('/') || pathBase.EndsWith('/') || pathBase.Contains("//", StringComparison.Ordinal) || pathBase.Any(char.IsWhiteSpace))
    {
        await Console.Error.WriteLineAsync($"HostSite:PathBase is '{pathBase}'; use a path such as \"/customers\" (a leading '/', no trailing '/').");
        return 1;
    }
    // Links in emails are written by a background service that sees no request, so it cannot know the path: unless the
    // portal's public address is configured, this demo's own address with the path base.
    const string baseUrlKey = "CustomerPortalPayments:Notifications:PortalBaseUrl";
    if (string.IsNullOrWhiteSpace(builder.Configuration[baseUrlKey]))
    {
        builder.Configuration.AddInMemoryCollection([new(baseUrlKey, ListenAddresses.Site(builder.Configuration, DefaultUrl) + pathBase)]);
    }
}

// Data beside the working directory (or HostSite:DataDirectory), so a publish folder stays read-only.
var dataDirectory = builder.Configuration["HostSite:DataDirectory"] is { Length: > 0 } configured
    ? Path.GetFullPath(configured)
    : Path.Combine(Directory.GetCurrentDirectory(), "App_Data");
Directory.CreateDirectory(dataDirectory);

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddCascadingAuthenticationState();
builder.Services.AddHttpContextAccessor();
builder.Services.AddScoped<ClientInfo>();
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
    .AddCookie(o =>
    {
        o.LoginPath = "/login";
        o.Cookie.Name = "hostsite.auth";
        o.SlidingExpiration = true;
    });
// Operators (a "portal-operator" role from the host's own login) may see and replay stuck payments and postings.
builder.Services.AddAuthorization(o => o.AddPolicy("PortalOperators", p => p.RequireRole("portal-operator")));

// Amounts and dates in the user's culture (the browser's languages): the portal reads typed amounts in it.
builder.Services.AddRequestLocalization(o =>
{
    string[] cultures = ["en-US", "en-GB", "en-CA", "fr-CA", "fr-FR", "de-DE", "es-ES", "es-MX", "nl-NL", "it-IT"];
    o.SetDefaultCulture(cultures[0]).AddSupportedCultures(cultures).AddSupportedUICultures(cultures);
});
// The site's own texts (layout, home, sign-in, mailbox) in the same UI culture: its resx files under Resources/, English
// and German, read through IStringLocalizer<TComponent>. The portal's texts are the portal's own (its localizer).
builder.Services.AddLocalization(o => o.ResourcesPath = "Resources");

// TEST ONLY: an adjustable clock for the end-to-end tests (HostSite:TestClock=true); registered before the
// portal so its TryAdd keeps it. Never registered or mapped otherwise.
var testClock = builder.Configuration.GetValue<bool>("HostSite:TestClock") ? new TestClock() : null;
if (testClock is not null)
{
    builder.Services.AddSingleton<TimeProvider>(testClock);
}

// Several nodes behind a load balancer: one data-protection key ring for all (HostSite:DataProtectionKeys = a folder every
// node reads and writes), so the sign-in cookie and antiforgery tokens one node issues are accepted by the others.
if (builder.Configuration["HostSite:DataProtectionKeys"] is { Length: > 0 } keyFolder)
{
    builder.Services.AddDataProtection()
        .PersistKeysToFileSystem(new DirectoryInfo(Path.GetFullPath(keyFolder)))
        .SetApplicationName("Portal.Payments.HostSite");
}

// BENCHMARKS ONLY: open circuits, live heap after a forced GC and CPU time (HostSite:Diagnostics=true). Off otherwise.
var diagnostics = builder.Configuration.GetValue<bool>("HostSite:Diagnostics") ? new Diagnostics() : null;
if (diagnostics is not null)
{
    builder.Services.AddSingleton<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler>(diagnostics);
}

// A demo: invoices come from the demo ERP, and payments go to the sandbox gateway unless HostSite:Gateway = "stripe"
// (with the keys in CustomerPortalPayments:Stripe; see docs/host-guide.md, "Use Stripe"). Both are opted in explicitly,
// also for Production (a public demo site): every portal page then shows the sandbox banner.
var portal = builder.Services.AddCustomerPortalPayments()
    .UseUserContext<DemoUserContext>()
    .UseDemoErp(o => o.AllowInProduction = true);
var gateway = builder.Configuration["HostSite:Gateway"] is { Length: > 0 } chosen ? chosen : "sandbox";
if (string.Equals(gateway, "stripe", StringComparison.OrdinalIgnoreCase))
{
    portal.AddStripeGateway();
}
else if (string.Equals(gateway, "sandbox", StringComparison.OrdinalIgnoreCase))
{
    portal.UseSandboxGateway(o => o.AllowInProduction = true);
}
else
{
    throw new InvalidOperationException($"HostSite:Gateway is '{gateway}'; use \"sandbox\" (the default) or \"stripe\".");
}
if (builder.Configuration.GetConnectionString("PortalPostgres") is { Length: > 0 } postgres)
{
    portal.UsePostgres(postgres);
}
else
{
    portal.UseSqlite($"Data Source={Path.Combine(dataDirectory, "portal.db")}");
}

if (ListenAddresses.FindTaken(builder.Configuration) is { } taken)
{
    // One line that says what to do, instead of the host's stack trace.
    await Console.Error.WriteLineAsync(ListenAddresses.TakenMessage(taken));
    return 1;
}

var app = builder.Build();

if (pathBase is not null)
{
    app.UsePathBase(pathBase);
    app.UseRouting(); // after UsePathBase: the routing WebApplication adds on its own would match the unstripped path
}

await app.Services.MigratePortalPaymentsAsync();
await SeedDemoDataAsync(app.Services, app.Logger);

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}
app.UseRequestLocalization();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
// Per-message WebSocket compression of the circuits (the framework's default, on): HostSite:WebSocketCompression=false trades
// about four times the bytes on the wire for less CPU per click (docs/benchmarks.md, docs/host-guide.md).
var webSocketCompression = builder.Configuration.GetValue("HostSite:WebSocketCompression", true);
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode(o => o.DisableWebSocketCompression = !webSocketCompression)
    .AddAdditionalAssemblies(typeof(Portal.Payments.Ui.PortalRoutes).Assembly)
    .RequireAuthorization(); // every page needs a signed-in user, except those marked [AllowAnonymous]
app.MapCustomerPortalPayments();
app.MapHealthChecks("/health");                            // "portal-payments": stuck payments, undelivered ERP postings
app.MapCustomerPortalPaymentsOperations("PortalOperators"); // /portal-payments/ops, behind the host's own policy
if (testClock is not null)
{
    TestClock.Map(app, testClock); // TEST ONLY
}
if (diagnostics is not null)
{
    Diagnostics.Map(app, diagnostics, app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Portal.Payments.Hosting.PortalPaymentsOptions>>().Value.NodeName); // BENCHMARKS ONLY
}

app.MapPost("/account/login", async (HttpContext context, [FromForm] string userId, [FromForm] string? returnUrl) =>
{
    var user = DemoUsers.Find(userId);
    if (user is null)
    {
        // Back to the sign-in, still on the way to where the user was going (only a path of this site).
        var back = LocalUrl.IsLocal(returnUrl) ? "&returnUrl=" + Uri.EscapeDataString(returnUrl!) : "";
        return Results.LocalRedirect("~/login?error=unknown" + back);
    }
    var identity = new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Email, user.Email)],
        CookieAuthenticationDefaults.AuthenticationScheme);
    await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    // Only a path of this site (its path base included): anything else ("//evil.example", "/\evil.example", "https://…") goes home.
    return Results.LocalRedirect(LocalUrl.IsLocal(returnUrl) ? returnUrl! : "~/");
});
// A form post with the antiforgery token only: another site cannot sign the user out. (The middleware checks tokens
// only where a form is bound, and this endpoint binds none: ask it here.)
app.MapPost("/account/logout", async (HttpContext context, IAntiforgery antiforgery, IStringLocalizer<MainLayout> texts) =>
{
    if (!await antiforgery.IsRequestValidAsync(context))
    {
        // A text of the layout, whose Sign out button posted here.
        return Results.Problem(texts["Layout.SignOutExpired"], statusCode: StatusCodes.Status400BadRequest);
    }
    await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    return Results.LocalRedirect("~/login");
});

try
{
    await app.StartAsync();
}
catch (IOException ex) when (ListenAddresses.IsAddressInUse(ex))
{
    // Taken between the check above and the start.
    await Console.Error.WriteLineAsync(ListenAddresses.TakenMessage(ex.Message));
    return 1;
}
app.Logger.LogInformation("HostSite listens on {Urls}", string.Join(", ", app.Urls));
await app.WaitForShutdownAsync();
return 0;

// Pull every demo account from the demo ERP so the portal opens with data.
static async Task SeedDemoDataAsync(IServiceProvider services, ILogger logger)
{
    using var scope = services.CreateScope();
    var sync = scope.ServiceProvider.GetRequiredService<ErpSyncService>();
    foreach (var account in DemoUsers.AccountNames.Keys)
    {
        var result = await sync.SyncAccountAsync(account);
        logger.LogInformation("Demo account {Account}: {Inserted} items loaded, {Updated} updated", account, result.Inserted, result.Updated);
    }
}

/// <summary>Entry point, public for test hosts.</summary>
public partial class Program;
