using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Payments.Data;

/// <summary>When autopay debits an invoice.</summary>
public enum AutopayRule
{
    /// <summary>On the invoice's due date.</summary>
    DueDate = 1,
    /// <summary>On the last day of its early-payment discount (the due date when it has none).</summary>
    DiscountDate = 2,
    /// <summary>A number of days before the due date.</summary>
    DaysBeforeDue = 3,
}

/// <summary>What autopay did with one invoice.</summary>
public enum AutopayItemState
{
    /// <summary>A scheduled payment pays it on its debit date.</summary>
    Scheduled = 1,
    /// <summary>Not paid by autopay, with the reason (looked at again on every pass: the reason may go away).</summary>
    Skipped = 2,
    /// <summary>The payer excluded it from autopay.</summary>
    Excluded = 3,
}

/// <summary>An account's autopay enrolment: which method pays which invoices when.</summary>
internal class AutopayEnrollmentRecord
{
    /// <summary>Id.</summary>
    public Guid Id { get; set; }
    /// <summary>Account (one active enrolment per account).</summary>
    public string AccountId { get; set; } = "";
    /// <summary>The account's display name at enrolment (for emails).</summary>
    public string? AccountName { get; set; }
    /// <summary>The account's billing region at enrolment (for the fee policy).</summary>
    public string? BillingRegion { get; set; }
    /// <summary>The stored method that pays.</summary>
    public Guid PaymentMethodId { get; set; }
    /// <summary>When each invoice is debited.</summary>
    public AutopayRule Rule { get; set; }
    /// <summary>Days before the due date, for <see cref="AutopayRule.DaysBeforeDue"/>.</summary>
    public int DaysBeforeDue { get; set; }
    /// <summary>Largest payment autopay makes (minor units); null for none. Invoices above it are skipped.</summary>
    public long? MaxPaymentMinor { get; set; }
    /// <summary>ISO 4217 code.</summary>
    public string Currency { get; set; } = "";
    /// <summary>Apply open credit memos automatically.</summary>
    public bool ApplyCreditMemos { get; set; }
    /// <summary>Apply unapplied cash automatically.</summary>
    public bool ApplyUnappliedCash { get; set; }
    /// <summary>Last day autopay runs; null for no end.</summary>
    public DateOnly? EndDate { get; set; }
    /// <summary>The recurring ACH authorization signed for a bank method.</summary>
    public Guid? AchAuthorizationId { get; set; }
    /// <summary>Who enrolled (or last changed it).</summary>
    public string UserId { get; set; } = "";
    /// <summary>Their name, for emails.</summary>
    public string UserName { get; set; } = "";
    /// <summary>Their email address.</summary>
    public string UserEmail { get; set; } = "";
    /// <summary>Their language and formats (a culture name), for the emails autopay sends; null: the portal's default.</summary>
    public string? Culture { get; set; }
    /// <summary>Enrolled (UTC).</summary>
    public DateTime CreatedAt { get; set; }
    /// <summary>Last changed (UTC).</summary>
    public DateTime UpdatedAt { get; set; }
    /// <summary>Cancelled (UTC); null while active.</summary>
    public DateTime? CancelledAt { get; set; }
    /// <summary>Next expansion of its rule into scheduled payments (UTC).</summary>
    public DateTime NextExpansionAt { get; set; }
    /// <summary>Node expanding it.</summary>
    public string? LeaseOwner { get; set; }
    /// <summary>Lease expiry (UTC).</summary>
    public DateTime? LeaseExpiresAt { get; set; }
    /// <summary>Optimistic concurrency version.</summary>
    public int Version { get; set; }
}

/// <summary>One invoice an enrolment handled: scheduled (with its payment), skipped (with the reason) or excluded by the payer.</summary>
internal class AutopayItemRecord
{
    /// <summary>Id.</summary>
    public long Id { get; set; }
    /// <summary>The enrolment.</summary>
    public Guid EnrollmentId { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Local invoice id.</summary>
    public long InvoiceId { get; set; }
    /// <summary>Document number.</summary>
    public string InvoiceNumber { get; set; } = "";
    /// <summary>Scheduled, skipped or excluded.</summary>
    public AutopayItemState State { get; set; }
    /// <summary>Why it was skipped.</summary>
    public string? SkipReason { get; set; }
    /// <summary>The scheduled payment that pays it.</summary>
    public Guid? PaymentId { get; set; }
    /// <summary>The debit date.</summary>
    public DateOnly? DebitDate { get; set; }
    /// <summary>Last change (UTC).</summary>
    public DateTime UpdatedAt { get; set; }
    /// <summary>When the "upcoming autopay" email went out (UTC).</summary>
    public DateTime? UpcomingNotifiedAt { get; set; }
    /// <summary>Payments autopay has made for the invoice; part of each one's idempotency key, so a new one never reuses an old key.</summary>
    public int Generation { get; set; }
}

internal sealed class AutopayEnrollmentConfiguration : IEntityTypeConfiguration<AutopayEnrollmentRecord>
{
    public void Configure(EntityTypeBuilder<AutopayEnrollmentRecord> e)
    {
        e.ToTable("pp_autopay_enrollments");
        e.HasKey(x => x.Id);
        e.Property(x => x.AccountId).HasMaxLength(64);
        e.Property(x => x.AccountName).HasMaxLength(200);
        e.Property(x => x.Currency).HasMaxLength(3);
        e.Property(x => x.UserId).HasMaxLength(64);
        e.Property(x => x.UserName).HasMaxLength(200);
        e.Property(x => x.UserEmail).HasMaxLength(200);
        e.Property(x => x.Culture).HasMaxLength(Notifications.ReaderCulture.MaxLength);
        e.Property(x => x.LeaseOwner).HasMaxLength(200);
        e.Property(x => x.Version).IsConcurrencyToken();
        e.Property(x => x.BillingRegion).HasMaxLength(ColumnLengths.Region);
        // One active enrolment per account: a double click enrols once.
        e.HasIndex(x => x.AccountId).IsUnique().HasFilter("\"CancelledAt\" IS NULL");
        e.HasIndex(x => new { x.CancelledAt, x.NextExpansionAt });
    }
}

internal sealed class AutopayItemConfiguration : IEntityTypeConfiguration<AutopayItemRecord>
{
    public void Configure(EntityTypeBuilder<AutopayItemRecord> e)
    {
        e.ToTable("pp_autopay_items");
        e.HasKey(x => x.Id);
        e.Property(x => x.AccountId).HasMaxLength(64);
        e.Property(x => x.InvoiceNumber).HasMaxLength(64);
        e.Property(x => x.SkipReason).HasMaxLength(300);
        // One decision per invoice and enrolment: runners on several nodes never schedule an invoice twice.
        e.HasIndex(x => new { x.EnrollmentId, x.InvoiceId }).IsUnique();
        e.HasIndex(x => new { x.AccountId, x.InvoiceId });
        e.HasIndex(x => x.PaymentId);
    }
}
