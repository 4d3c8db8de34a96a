using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;

namespace Portal.Payments.Sandbox;

/// <summary>A charge the sandbox gateway took (its own ledger, shared by every node).</summary>
internal sealed class SandboxChargeRecord
{
    /// <summary>Gateway reference.</summary>
    public string Reference { get; set; } = "";
    /// <summary>Idempotency key (unique: a key is charged at most once).</summary>
    public string IdempotencyKey { get; set; } = "";
    /// <summary>Hash of the request parameters, to detect a key reused with other parameters.</summary>
    public string RequestHash { get; set; } = "";
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Portal payment.</summary>
    public Guid PaymentId { get; set; }
    /// <summary>Method token.</summary>
    public string MethodToken { get; set; } = "";
    /// <summary>Amount.</summary>
    public long AmountMinor { get; set; }
    /// <summary>Currency.</summary>
    public string Currency { get; set; } = "";
    /// <summary>Test scenario.</summary>
    public string Scenario { get; set; } = "";
    /// <summary>Status at the time of charging.</summary>
    public ChargeStatus InitialStatus { get; set; }
    /// <summary>Error code of a refusal.</summary>
    public GatewayErrorCode ErrorCode { get; set; }
    /// <summary>When (UTC).</summary>
    public DateTime CreatedAt { get; set; }
    /// <summary>When the sandbox answers the request (UTC): until then another request with the key is "in progress".</summary>
    public DateTime? CompletedAt { get; set; }
    /// <summary>For a charge that needed the payer's confirmation (3-D Secure): Succeeded, Declined, or Reversed (voided); null while waiting.</summary>
    public ChargeStatus? ActionResult { get; set; }
}

/// <summary>A capture token the sandbox exchanged for a stored method (capture tokens are single use).</summary>
internal sealed class SandboxCaptureRecord
{
    /// <summary>SHA-256 of the capture token.</summary>
    public string TokenHash { get; set; } = "";
    /// <summary>The idempotency key of the store request that used it.</summary>
    public string IdempotencyKey { get; set; } = "";
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>The stored method's token.</summary>
    public string MethodToken { get; set; } = "";
    /// <summary>When (UTC).</summary>
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// The sandbox gateway's ledger, in the portal's database (same connection and schema) with its own migrations and
/// history table (<see cref="MigrationsHistoryTable"/>). Provider-specific subclasses carry the migrations.
/// </summary>
internal abstract class SandboxGatewayDbContext(DbContextOptions options) : DbContext(options)
{
    /// <summary>The sandbox gateway's migrations history table.</summary>
    public const string MigrationsHistoryTable = "__pp_sandbox_migrations";

    /// <summary>Charges (unique idempotency key).</summary>
    public DbSet<SandboxChargeRecord> SandboxCharges => Set<SandboxChargeRecord>();

    /// <summary>Capture tokens already exchanged.</summary>
    public DbSet<SandboxCaptureRecord> SandboxCaptures => Set<SandboxCaptureRecord>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder b)
    {
        const int Id = 64, Name = 200;
        b.Entity<SandboxChargeRecord>(e =>
        {
            e.ToTable("pp_sandbox_charges");
            e.HasKey(x => x.Reference);
            e.Property(x => x.Reference).HasMaxLength(Id);
            e.Property(x => x.IdempotencyKey).HasMaxLength(Id);
            e.Property(x => x.RequestHash).HasMaxLength(64);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.MethodToken).HasMaxLength(Name);
            e.Property(x => x.Currency).HasMaxLength(3);
            e.Property(x => x.Scenario).HasMaxLength(32);
            e.HasIndex(x => x.IdempotencyKey).IsUnique();
        });

        b.Entity<SandboxCaptureRecord>(e =>
        {
            e.ToTable("pp_sandbox_captures");
            e.HasKey(x => x.TokenHash);
            e.Property(x => x.TokenHash).HasMaxLength(64);
            e.Property(x => x.IdempotencyKey).HasMaxLength(Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.MethodToken).HasMaxLength(Name);
        });
    }
}

/// <summary>The SQLite flavour, with SQLite migrations.</summary>
internal sealed class SqliteSandboxGatewayDbContext(DbContextOptions<SqliteSandboxGatewayDbContext> options) : SandboxGatewayDbContext(options);

/// <summary>The PostgreSQL flavour, with PostgreSQL migrations.</summary>
internal sealed class PostgresSandboxGatewayDbContext(DbContextOptions<PostgresSandboxGatewayDbContext> options) : SandboxGatewayDbContext(options);

/// <summary>Creates the flavour of the portal's configured database.</summary>
internal sealed class SandboxGatewayDbContextFactory(IOptions<PortalPaymentsOptions> options) : IDbContextFactory<SandboxGatewayDbContext>
{
    private readonly Lazy<Func<SandboxGatewayDbContext>> _create = new(() =>
        PortalContexts.Build<SandboxGatewayDbContext, SqliteSandboxGatewayDbContext, PostgresSandboxGatewayDbContext>(
            options.Value.Database, SandboxGatewayDbContext.MigrationsHistoryTable, o => new(o), o => new(o)));

    public SandboxGatewayDbContext CreateDbContext() => _create.Value();
}

/// <summary>
/// Creates the sandbox gateway's tables when <c>MigratePortalPaymentsAsync()</c> runs. Its options are checked
/// first (<see cref="EnsureAllowed"/>): in Production, not allowed there, the refusal comes before any table.
/// </summary>
internal sealed class SandboxGatewayMigration(IDbContextFactory<SandboxGatewayDbContext> factory, IOptions<SandboxGatewayOptions> options) : IPortalDatabaseMigration
{
    /// <summary>Reads the options, which validates them: an <see cref="OptionsValidationException"/> with the refusal's message.</summary>
    public void EnsureAllowed() => _ = options.Value;

    public string Name => "sandbox gateway";

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }
}

/// <summary>Design-time factory for <c>dotnet ef migrations add --context SqliteSandboxGatewayDbContext</c>.</summary>
internal sealed class SqliteSandboxGatewayDesignTimeFactory : IDesignTimeDbContextFactory<SqliteSandboxGatewayDbContext>
{
    public SqliteSandboxGatewayDbContext CreateDbContext(string[] args) =>
        new(PortalContexts.DesignTime<SqliteSandboxGatewayDbContext>(DatabaseProvider.Sqlite, SandboxGatewayDbContext.MigrationsHistoryTable));
}

/// <summary>Design-time factory for <c>dotnet ef migrations add --context PostgresSandboxGatewayDbContext</c>.</summary>
internal sealed class PostgresSandboxGatewayDesignTimeFactory : IDesignTimeDbContextFactory<PostgresSandboxGatewayDbContext>
{
    public PostgresSandboxGatewayDbContext CreateDbContext(string[] args) =>
        new(PortalContexts.DesignTime<PostgresSandboxGatewayDbContext>(DatabaseProvider.Postgres, SandboxGatewayDbContext.MigrationsHistoryTable));
}
