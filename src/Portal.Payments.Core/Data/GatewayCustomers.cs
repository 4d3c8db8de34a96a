using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Payments.Gateways;

namespace Portal.Payments.Data;

/// <summary>The gateway's customer record for one portal account (e.g. a Stripe Customer), one per gateway and account.</summary>
internal sealed class GatewayCustomerRecord
{
    /// <summary>Row id.</summary>
    public long Id { get; set; }
    /// <summary>The gateway's key ("stripe").</summary>
    public string GatewayKey { get; set; } = "";
    /// <summary>The portal account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>The gateway's customer id ("cus_…").</summary>
    public string CustomerId { get; set; } = "";
    /// <summary>When it was stored (UTC).</summary>
    public DateTime CreatedAt { get; set; }
}

/// <summary>Table <c>pp_gateway_customers</c>: unique on gateway and account, so the first writer wins.</summary>
internal sealed class GatewayCustomerConfiguration : IEntityTypeConfiguration<GatewayCustomerRecord>
{
    public void Configure(EntityTypeBuilder<GatewayCustomerRecord> e)
    {
        e.ToTable("pp_gateway_customers");
        e.HasKey(x => x.Id);
        e.Property(x => x.GatewayKey).HasMaxLength(64);
        e.Property(x => x.AccountId).HasMaxLength(64);
        e.Property(x => x.CustomerId).HasMaxLength(200);
        e.HasIndex(x => new { x.GatewayKey, x.AccountId }).IsUnique();
    }
}

/// <summary>The EF implementation of <see cref="IGatewayCustomerStore"/>.</summary>
internal sealed class GatewayCustomerStore(IDbContextFactory<PaymentsDbContext> dbFactory, TimeProvider clock) : IGatewayCustomerStore
{
    public async Task<string?> GetAsync(string gatewayKey, string accountId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(gatewayKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Set<GatewayCustomerRecord>().AsNoTracking()
            .Where(c => c.GatewayKey == gatewayKey && c.AccountId == accountId)
            .Select(c => c.CustomerId)
            .FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<string> GetOrAddAsync(string gatewayKey, string accountId, string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        if (customerId.Length > 200)
        {
            throw new ArgumentException("A gateway customer id has at most 200 characters.", nameof(customerId));
        }
        if (await GetAsync(gatewayKey, accountId, cancellationToken) is { } existing)
        {
            return existing;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Set<GatewayCustomerRecord>().Add(new GatewayCustomerRecord
        {
            GatewayKey = gatewayKey,
            AccountId = accountId,
            CustomerId = customerId,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return customerId;
        }
        catch (DbUpdateException)
        {
            // Another node stored one first (unique gateway + account): answer the winner.
            return await GetAsync(gatewayKey, accountId, cancellationToken)
                ?? throw new InvalidOperationException($"Could not store the {gatewayKey} customer of account {accountId}.");
        }
    }

    public async Task<string> ReplaceAsync(string gatewayKey, string accountId, string staleCustomerId, string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(staleCustomerId);
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        if (customerId.Length > 200)
        {
            throw new ArgumentException("A gateway customer id has at most 200 characters.", nameof(customerId));
        }
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            // Only the stale id is replaced: a node that replaced it first wins, and its id is answered below.
            var now = clock.GetUtcNow().UtcDateTime;
            await db.Set<GatewayCustomerRecord>()
                .Where(c => c.GatewayKey == gatewayKey && c.AccountId == accountId && c.CustomerId == staleCustomerId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.CustomerId, customerId).SetProperty(c => c.CreatedAt, now), cancellationToken);
        }
        return await GetOrAddAsync(gatewayKey, accountId, customerId, cancellationToken);
    }
}
