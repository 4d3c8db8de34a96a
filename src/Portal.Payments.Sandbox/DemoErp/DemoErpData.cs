using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;

namespace Portal.Payments.DemoErp;

/// <summary>The demo ERP's per-account state.</summary>
internal sealed class DemoErpAccountRecord
{
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Day the generated ledger is anchored to.</summary>
    public DateOnly AnchorDate { get; set; }
    /// <summary>Last change sequence handed out.</summary>
    public long ChangeSequence { get; set; }
}

/// <summary>A posting the demo ERP received.</summary>
internal sealed class DemoErpPostingRecord
{
    /// <summary>The portal's payment or comment id (duplicate key).</summary>
    public Guid Id { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>"payment", "deposit", "reversal", "comment".</summary>
    public string Kind { get; set; } = "";
    /// <summary>Posting JSON.</summary>
    public string PayloadJson { get; set; } = "";
    /// <summary>ERP document number.</summary>
    public string ErpReference { get; set; } = "";
    /// <summary>Received (UTC).</summary>
    public DateTime PostedAt { get; set; }
    /// <summary>Change sequence at which it settled, once settled.</summary>
    public long? SettledSequence { get; set; }
}

/// <summary>One item line of a demo-ERP payment posting (for settling balances in SQL).</summary>
internal sealed class DemoErpAllocationRecord
{
    /// <summary>Id.</summary>
    public long Id { get; set; }
    /// <summary>Posting.</summary>
    public Guid PostingId { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Item index in the generated ledger, or -1 for an item created by a posting (a deposit).</summary>
    public int ItemIndex { get; set; }
    /// <summary>The item's ERP id.</summary>
    public string ItemExternalId { get; set; } = "";
    /// <summary>Applied + discount, minor units (what it removes from the open balance).</summary>
    public long ClearedMinor { get; set; }
    /// <summary>Change sequence when settled.</summary>
    public long? SettledSequence { get; set; }
}

/// <summary>
/// The demo ERP's postings and per-account state, in the portal's database (same connection and schema) with its own
/// migrations and history table (<see cref="MigrationsHistoryTable"/>). Provider-specific subclasses carry the migrations.
/// </summary>
internal abstract class DemoErpDbContext(DbContextOptions options) : DbContext(options)
{
    /// <summary>The demo ERP's migrations history table.</summary>
    public const string MigrationsHistoryTable = "__pp_demo_erp_migrations";

    /// <summary>Accounts (anchor date, change sequence).</summary>
    public DbSet<DemoErpAccountRecord> DemoErpAccounts => Set<DemoErpAccountRecord>();

    /// <summary>Postings received.</summary>
    public DbSet<DemoErpPostingRecord> DemoErpPostings => Set<DemoErpPostingRecord>();

    /// <summary>Item lines of the postings.</summary>
    public DbSet<DemoErpAllocationRecord> DemoErpAllocations => Set<DemoErpAllocationRecord>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder b)
    {
        const int Id = 64;
        b.Entity<DemoErpAccountRecord>(e =>
        {
            e.ToTable("pp_demo_erp_accounts");
            e.HasKey(x => x.AccountId);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.ChangeSequence).IsConcurrencyToken();
        });

        b.Entity<DemoErpPostingRecord>(e =>
        {
            e.ToTable("pp_demo_erp_postings");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.Kind).HasMaxLength(16);
            e.Property(x => x.ErpReference).HasMaxLength(32);
            e.HasIndex(x => new { x.AccountId, x.SettledSequence });
        });

        b.Entity<DemoErpAllocationRecord>(e =>
        {
            e.ToTable("pp_demo_erp_allocations");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.HasIndex(x => new { x.AccountId, x.SettledSequence });
            e.Property(x => x.ItemExternalId).HasMaxLength(Id);
            e.HasIndex(x => new { x.AccountId, x.ItemIndex });
            e.HasIndex(x => new { x.AccountId, x.ItemExternalId });
        });
    }
}

/// <summary>The SQLite flavour, with SQLite migrations.</summary>
internal sealed class SqliteDemoErpDbContext(DbContextOptions<SqliteDemoErpDbContext> options) : DemoErpDbContext(options);

/// <summary>The PostgreSQL flavour, with PostgreSQL migrations.</summary>
internal sealed class PostgresDemoErpDbContext(DbContextOptions<PostgresDemoErpDbContext> options) : DemoErpDbContext(options);

/// <summary>Creates the flavour of the portal's configured database.</summary>
internal sealed class DemoErpDbContextFactory(IOptions<PortalPaymentsOptions> options) : IDbContextFactory<DemoErpDbContext>
{
    private readonly Lazy<Func<DemoErpDbContext>> _create = new(() =>
        PortalContexts.Build<DemoErpDbContext, SqliteDemoErpDbContext, PostgresDemoErpDbContext>(
            options.Value.Database, DemoErpDbContext.MigrationsHistoryTable, o => new(o), o => new(o)));

    public DemoErpDbContext CreateDbContext() => _create.Value();
}

/// <summary>
/// Creates the demo ERP's tables when <c>MigratePortalPaymentsAsync()</c> runs. Its options are checked
/// first (<see cref="EnsureAllowed"/>): in Production, not allowed there, the refusal comes before any table.
/// </summary>
internal sealed class DemoErpMigration(IDbContextFactory<DemoErpDbContext> factory, IOptions<DemoErpOptions> options) : IPortalDatabaseMigration
{
    /// <summary>Reads the options, which validates them: an <see cref="OptionsValidationException"/> with the refusal's message.</summary>
    public void EnsureAllowed() => _ = options.Value;

    public string Name => "demo ERP";

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }
}

/// <summary>Design-time factory for <c>dotnet ef migrations add --context SqliteDemoErpDbContext</c>.</summary>
internal sealed class SqliteDemoErpDesignTimeFactory : IDesignTimeDbContextFactory<SqliteDemoErpDbContext>
{
    public SqliteDemoErpDbContext CreateDbContext(string[] args) =>
        new(PortalContexts.DesignTime<SqliteDemoErpDbContext>(DatabaseProvider.Sqlite, DemoErpDbContext.MigrationsHistoryTable));
}

/// <summary>Design-time factory for <c>dotnet ef migrations add --context PostgresDemoErpDbContext</c>.</summary>
internal sealed class PostgresDemoErpDesignTimeFactory : IDesignTimeDbContextFactory<PostgresDemoErpDbContext>
{
    public PostgresDemoErpDbContext CreateDbContext(string[] args) =>
        new(PortalContexts.DesignTime<PostgresDemoErpDbContext>(DatabaseProvider.Postgres, DemoErpDbContext.MigrationsHistoryTable));
}
