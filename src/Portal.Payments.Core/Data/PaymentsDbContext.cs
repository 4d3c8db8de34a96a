using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Portal.Payments.Hosting;

namespace Portal.Payments.Data;

/// <summary>
/// The portal's EF Core context. It is public only because the portal's public services receive an
/// <c>IDbContextFactory&lt;PaymentsDbContext&gt;</c> from dependency injection: its tables, entities and migrations are
/// internal and not an API (read and change the portal's data through its services). Provider-specific subclasses (<see cref="SqlitePaymentsDbContext"/>,
/// <see cref="PostgresPaymentsDbContext"/>) carry their own migrations; services use this type.
/// Tables are prefixed <c>pp_</c> so they can share a database with the host; on PostgreSQL they live in the configured
/// schema (the connection's search path, see <see cref="PortalDatabase"/>), so the model and migrations name none.
/// </summary>
public abstract class PaymentsDbContext : DbContext
{
    /// <summary>Creates the context (only the portal's own provider flavours derive from it).</summary>
    private protected PaymentsDbContext(DbContextOptions options) : base(options)
    {
    }

    /// <summary>Stored payment methods.</summary>
    internal DbSet<PaymentMethodRecord> PaymentMethods => Set<PaymentMethodRecord>();
    /// <summary>ACH authorizations (immutable).</summary>
    internal DbSet<AchAuthorizationRecord> AchAuthorizations => Set<AchAuthorizationRecord>();
    /// <summary>ACH revocations.</summary>
    internal DbSet<AchRevocationRecord> AchRevocations => Set<AchRevocationRecord>();
    /// <summary>Invoice read model.</summary>
    internal DbSet<InvoiceRecord> Invoices => Set<InvoiceRecord>();
    /// <summary>Invoice comments.</summary>
    internal DbSet<InvoiceCommentRecord> InvoiceComments => Set<InvoiceCommentRecord>();
    /// <summary>Payments.</summary>
    internal DbSet<PaymentRecord> Payments => Set<PaymentRecord>();
    /// <summary>Payment allocations.</summary>
    internal DbSet<PaymentAllocationRecord> PaymentAllocations => Set<PaymentAllocationRecord>();
    /// <summary>Saved grid views.</summary>
    internal DbSet<SavedViewRecord> SavedViews => Set<SavedViewRecord>();
    /// <summary>Per-user grid preferences (default view).</summary>
    internal DbSet<GridPreferenceRecord> GridPreferences => Set<GridPreferenceRecord>();
    /// <summary>Outbox.</summary>
    internal DbSet<OutboxMessageRecord> Outbox => Set<OutboxMessageRecord>();
    /// <summary>Sent emails (mailbox).</summary>
    internal DbSet<SentEmailRecord> SentEmails => Set<SentEmailRecord>();
    /// <summary>Audit trail.</summary>
    internal DbSet<AuditEventRecord> AuditEvents => Set<AuditEventRecord>();
    /// <summary>ERP sync progress.</summary>
    internal DbSet<ErpSyncStateRecord> ErpSyncStates => Set<ErpSyncStateRecord>();
    /// <summary>Autopay enrolments.</summary>
    internal DbSet<AutopayEnrollmentRecord> AutopayEnrollments => Set<AutopayEnrollmentRecord>();
    /// <summary>What autopay did with each invoice.</summary>
    internal DbSet<AutopayItemRecord> AutopayItems => Set<AutopayItemRecord>();
    /// <summary>Gateway events processed (each id once).</summary>
    internal DbSet<GatewayEventRecord> GatewayEvents => Set<GatewayEventRecord>();

    /// <inheritdoc />
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RefuseAchChanges();
        SetPaymentSearchKeys();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    /// <inheritdoc />
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RefuseAchChanges();
        SetPaymentSearchKeys();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    // ACH authorizations are evidence: written once, never changed (database triggers enforce the same).
    private void RefuseAchChanges()
    {
        if (ChangeTracker.Entries<AchAuthorizationRecord>().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
        {
            throw new InvalidOperationException("ACH authorizations are immutable; record a revocation instead.");
        }
    }

    // Payment-history search keys follow their texts, whichever flow (pay, deposit, schedule) writes the payment.
    private void SetPaymentSearchKeys()
    {
        foreach (var entry in ChangeTracker.Entries<PaymentRecord>().Where(e => e.State is EntityState.Added or EntityState.Modified))
        {
            entry.Entity.ReceiptKey = SearchKeys.Normalize(entry.Entity.ReceiptNumber, 32);
            entry.Entity.MemoKey = SearchKeys.Normalize(entry.Entity.Memo);
            entry.Entity.MethodKey = SearchKeys.Normalize(entry.Entity.MethodDescription);
            entry.Entity.PaidByKey = SearchKeys.Normalize(entry.Entity.CreatedByName);
        }
        foreach (var entry in ChangeTracker.Entries<PaymentAllocationRecord>().Where(e => e.State is EntityState.Added or EntityState.Modified))
        {
            entry.Entity.InvoiceNumberKey = SearchKeys.Normalize(entry.Entity.InvoiceNumber, ColumnLengths.Id);
        }
    }

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder b)
    {
        const int Id = ColumnLengths.Id, Name = ColumnLengths.Name, Text = ColumnLengths.Text;
        var ordinalCollation = this is PostgresPaymentsDbContext ? "C" : "BINARY";

        b.Entity<PaymentMethodRecord>(e =>
        {
            e.ToTable("pp_payment_methods");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.GatewayKey).HasMaxLength(Id);
            e.Property(x => x.Token).HasMaxLength(Name);
            e.Property(x => x.BrandOrBank).HasMaxLength(100);
            e.Property(x => x.Last4).HasMaxLength(4);
            e.Property(x => x.HolderName).HasMaxLength(Name);
            e.Property(x => x.BillingPostalCode).HasMaxLength(20);
            e.Property(x => x.RoutingNumber).HasMaxLength(9);
            e.Property(x => x.Nickname).HasMaxLength(50);
            e.Property(x => x.CreatedByUserId).HasMaxLength(Id);
            e.HasIndex(x => new { x.AccountId, x.DeletedAt });
            e.HasIndex(x => new { x.AccountId, x.GatewayKey, x.Token }).IsUnique();
        });

        b.Entity<AchAuthorizationRecord>(e =>
        {
            e.ToTable("pp_ach_authorizations");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.AgreementVersion).HasMaxLength(50);
            e.Property(x => x.AgreementSha256).HasMaxLength(64);
            e.Property(x => x.SignerName).HasMaxLength(Name);
            e.Property(x => x.UserId).HasMaxLength(Id);
            e.Property(x => x.IpAddress).HasMaxLength(64);
            e.Property(x => x.UserAgent).HasMaxLength(512);
            e.Property(x => x.AccountLast4).HasMaxLength(4);
            e.HasIndex(x => new { x.AccountId, x.PaymentMethodId });
        });

        b.Entity<AchRevocationRecord>(e =>
        {
            e.ToTable("pp_ach_revocations");
            e.HasKey(x => x.AuthorizationId);
            e.Property(x => x.UserId).HasMaxLength(Id);
        });

        b.Entity<InvoiceRecord>(e =>
        {
            e.ToTable("pp_invoices");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.ExternalId).HasMaxLength(Id);
            e.Property(x => x.Number).HasMaxLength(Id);
            e.Property(x => x.PoNumber).HasMaxLength(Id);
            e.Property(x => x.Reference).HasMaxLength(Name);
            e.Property(x => x.Currency).HasMaxLength(3);
            // Search keys compare ordinally (byte order) on both providers, so a prefix is an index range.
            e.Property(x => x.NumberKey).HasMaxLength(Id).UseCollation(ordinalCollation);
            e.Property(x => x.PoKey).HasMaxLength(Id).UseCollation(ordinalCollation);
            e.Property(x => x.ReferenceKey).HasMaxLength(Name).UseCollation(ordinalCollation);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => new { x.AccountId, x.ExternalId }).IsUnique();
            // Grid paths: open items by due date, by status, and prefix search on number / PO / reference.
            // OpenMinor rides along so balances by due date are an index-only scan.
            e.HasIndex(x => new { x.AccountId, x.IsOpen, x.DueDate, x.OpenMinor });
            e.HasIndex(x => new { x.AccountId, x.IsOpen, x.Status, x.DueDate });
            e.HasIndex(x => new { x.AccountId, x.IsOpen, x.NumberKey });
            e.HasIndex(x => new { x.AccountId, x.IsOpen, x.PoKey });
            e.HasIndex(x => new { x.AccountId, x.IsOpen, x.ReferenceKey });
        });

        b.Entity<InvoiceCommentRecord>(e =>
        {
            e.ToTable("pp_invoice_comments");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.AuthorUserId).HasMaxLength(Id);
            e.Property(x => x.AuthorName).HasMaxLength(Name);
            e.Property(x => x.Text).HasMaxLength(Text);
            e.HasIndex(x => new { x.AccountId, x.InvoiceId, x.CreatedAt });
        });

        b.Entity<PaymentRecord>(e =>
        {
            e.ToTable("pp_payments");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.Currency).HasMaxLength(3);
            e.Property(x => x.MethodDescription).HasMaxLength(Name);
            e.Property(x => x.IdempotencyKey).HasMaxLength(Id);
            e.Property(x => x.GatewayKey).HasMaxLength(Id);
            e.Property(x => x.GatewayReference).HasMaxLength(Name);
            e.Property(x => x.ReceiptNumber).HasMaxLength(32);
            e.Property(x => x.CreatedByUserId).HasMaxLength(Id);
            e.Property(x => x.CreatedByName).HasMaxLength(Name);
            e.Property(x => x.CreatedByEmail).HasMaxLength(Name);
            e.Property(x => x.AccountName).HasMaxLength(Name);
            e.Property(x => x.FailureReason).HasMaxLength(500);
            e.Property(x => x.FailureCode).HasMaxLength(40);
            e.Property(x => x.Culture).HasMaxLength(Notifications.ReaderCulture.MaxLength);
            e.Property(x => x.Memo).HasMaxLength(500);
            e.Property(x => x.LeaseOwner).HasMaxLength(Name);
            e.HasIndex(x => x.IdempotencyKey).IsUnique();
            e.HasIndex(x => x.ReceiptNumber).IsUnique();
            e.HasIndex(x => new { x.AccountId, x.CreatedAt });
            e.HasIndex(x => new { x.Status, x.ScheduledFor });
            e.HasIndex(x => new { x.AutopayEnrollmentId, x.Status });
            // Payment history: by status, and prefix search on receipt number and memo.
            e.Property(x => x.ReceiptKey).HasMaxLength(32).UseCollation(ordinalCollation);
            e.Property(x => x.MemoKey).HasMaxLength(Name).UseCollation(ordinalCollation);
            e.Property(x => x.MethodKey).HasMaxLength(Name).UseCollation(ordinalCollation);
            e.Property(x => x.PaidByKey).HasMaxLength(Name).UseCollation(ordinalCollation);
            e.HasIndex(x => new { x.AccountId, x.Status, x.CreatedAt });
            e.HasIndex(x => new { x.AccountId, x.ReceiptKey });
            e.HasIndex(x => new { x.AccountId, x.MemoKey });
            e.HasIndex(x => new { x.AccountId, x.MethodKey });
            e.HasIndex(x => new { x.AccountId, x.PaidByKey });
            // The reconciler's sweeps: expired leases of Charging payments, due checks of the others.
            e.HasIndex(x => new { x.Status, x.LeaseExpiresAt });
            e.HasIndex(x => new { x.Status, x.NextCheckAt });
            e.HasIndex(x => x.GatewayReference);
            e.HasMany(x => x.Allocations).WithOne().HasForeignKey(x => x.PaymentId);
        });

        b.Entity<PaymentAllocationRecord>(e =>
        {
            e.ToTable("pp_payment_allocations");
            e.HasKey(x => x.Id);
            e.Property(x => x.InvoiceExternalId).HasMaxLength(Id);
            e.Property(x => x.InvoiceNumber).HasMaxLength(Id);
            e.Property(x => x.ShortReason).HasMaxLength(100);
            e.Property(x => x.Comment).HasMaxLength(Text);
            e.HasIndex(x => x.InvoiceId);
            e.HasIndex(x => x.InvoiceNumber);
            e.Property(x => x.InvoiceNumberKey).HasMaxLength(Id).UseCollation(ordinalCollation);
            e.HasIndex(x => new { x.PaymentId, x.InvoiceNumberKey });
            e.HasIndex(x => new { x.InvoiceNumberKey, x.PaymentId });
        });

        b.Entity<SavedViewRecord>(e =>
        {
            e.ToTable("pp_saved_views");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.OwnerUserId).HasMaxLength(Id);
            e.Property(x => x.Grid).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.OwnerName).HasMaxLength(Name);
            e.HasIndex(x => new { x.AccountId, x.Grid, x.OwnerUserId, x.Name }).IsUnique();
            e.HasIndex(x => new { x.AccountId, x.Grid, x.IsShared });
        });

        b.Entity<GridPreferenceRecord>(e =>
        {
            e.ToTable("pp_grid_preferences");
            e.HasKey(x => new { x.AccountId, x.UserId, x.Grid });
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.UserId).HasMaxLength(Id);
            e.Property(x => x.Grid).HasMaxLength(32);
        });

        b.Entity<OutboxMessageRecord>(e =>
        {
            e.ToTable("pp_outbox");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.LastError).HasMaxLength(Text);
            e.Property(x => x.LeaseOwner).HasMaxLength(Name);
            e.HasIndex(x => new { x.CompletedAt, x.NextAttemptAt });
            e.HasIndex(x => new { x.Kind, x.CompletedAt, x.CreatedAt });
        });

        b.Entity<SentEmailRecord>(e =>
        {
            e.ToTable("pp_sent_emails");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.To).HasMaxLength(Name);
            e.Property(x => x.Subject).HasMaxLength(300);
            e.Property(x => x.Transport).HasMaxLength(20);
            e.HasIndex(x => new { x.AccountId, x.SentAt });
        });

        b.Entity<AuditEventRecord>(e =>
        {
            e.ToTable("pp_audit_events");
            e.HasKey(x => x.Id);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.UserId).HasMaxLength(Id);
            e.Property(x => x.Action).HasMaxLength(64);
            e.Property(x => x.SubjectId).HasMaxLength(Id);
            e.HasIndex(x => new { x.AccountId, x.At });
        });

        b.Entity<ErpSyncStateRecord>(e =>
        {
            e.ToTable("pp_erp_sync_state");
            e.HasKey(x => x.AccountId);
            e.Property(x => x.AccountId).HasMaxLength(Id);
            e.Property(x => x.Cursor).HasMaxLength(Name);
            e.Property(x => x.LastError).HasMaxLength(Text);
            e.Property(x => x.LeaseOwner).HasMaxLength(Name);
        });

        b.Entity<GatewayEventRecord>(e =>
        {
            e.ToTable("pp_gateway_events");
            e.HasKey(x => new { x.GatewayKey, x.EventId });
            e.Property(x => x.GatewayKey).HasMaxLength(Id);
            e.Property(x => x.EventId).HasMaxLength(Name);
            e.Property(x => x.Type).HasMaxLength(64);
            e.HasIndex(x => new { x.Outcome, x.ProcessedAt });   // the health check's count of conflicts
        });

        b.ApplyConfiguration(new GatewayCustomerConfiguration());
        b.ApplyConfiguration(new AutopayEnrollmentConfiguration());
        b.ApplyConfiguration(new AutopayItemConfiguration());
    }
}

/// <summary>The SQLite flavour (embedded default), with SQLite migrations.</summary>
internal sealed class SqlitePaymentsDbContext(DbContextOptions<SqlitePaymentsDbContext> options) : PaymentsDbContext(options);

/// <summary>The PostgreSQL flavour (production, several nodes), with PostgreSQL migrations.</summary>
internal sealed class PostgresPaymentsDbContext(DbContextOptions<PostgresPaymentsDbContext> options) : PaymentsDbContext(options);

/// <summary>Design-time factory for <c>dotnet ef migrations add --context SqlitePaymentsDbContext</c>.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqlitePaymentsDbContext>
{
    public SqlitePaymentsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlitePaymentsDbContext>().UseSqlite("Data Source=design.db", o => o.MigrationsHistoryTable(PortalDatabase.MigrationsHistoryTable)).Options);
}

/// <summary>Design-time factory for <c>dotnet ef migrations add --context PostgresPaymentsDbContext</c>.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresPaymentsDbContext>
{
    public PostgresPaymentsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresPaymentsDbContext>().UseNpgsql("Host=localhost;Database=design", o => o.MigrationsHistoryTable(PortalDatabase.MigrationsHistoryTable, DatabaseOptions.DefaultSchema)).Options);
}
