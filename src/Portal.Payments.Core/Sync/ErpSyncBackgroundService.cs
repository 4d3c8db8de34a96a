using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Hosting;

namespace Portal.Payments.Sync;

/// <summary>Pulls every known account from the ERP on a timer (accounts become known on first visit).</summary>
internal sealed class ErpSyncBackgroundService(
    IServiceProvider services,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<ErpSyncBackgroundService> logger) : PeriodicBackgroundService(options, clock, logger)
{
    protected override TimeSpan Interval => Options.ErpSyncInterval;

    protected override string WorkName => "Scheduled ERP sync";

    // Accounts are synced on first visit; the timer only keeps them fresh.
    protected override bool RunAtStart => false;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => SyncKnownAccountsAsync(cancellationToken);

    /// <summary>One pass over the known accounts: an account whose sync fails (also by timing out) leaves the others to sync.</summary>
    internal async Task SyncKnownAccountsAsync(CancellationToken ct)
    {
        var factory = services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        List<string> accounts;
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            accounts = await db.ErpSyncStates.Select(s => s.AccountId).ToListAsync(ct);
        }
        await using var scope = services.CreateAsyncScope();
        var sync = scope.ServiceProvider.GetRequiredService<ErpSyncService>();
        foreach (var account in accounts)
        {
            try
            {
                await sync.SyncAccountAsync(account, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "ERP sync of {AccountId} failed", account);
            }
        }
    }
}
