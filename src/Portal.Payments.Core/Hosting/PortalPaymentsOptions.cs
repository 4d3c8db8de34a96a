using System.Diagnostics.CodeAnalysis;

namespace Portal.Payments.Hosting;

/// <summary>
/// Options of the portal, bound from configuration section <see cref="SectionName"/> and from the
/// lambda passed to <c>AddCustomerPortalPayments</c>; validated when the host starts.
/// </summary>
public sealed class PortalPaymentsOptions
{
    /// <summary>Configuration section name: <c>CustomerPortalPayments</c>.</summary>
    public const string SectionName = "CustomerPortalPayments";

    /// <summary>Default short-pay reasons when none are configured.</summary>
    public static readonly IReadOnlyList<string> DefaultShortPayReasons =
        ["Incorrect price", "Incorrect tax", "Item not received", "Damaged", "Other"];

    /// <summary>Default aging bucket limits (days past due): current, 1–30, 31–60, 61–90, over 90.</summary>
    public static readonly IReadOnlyList<int> DefaultAgingBuckets = [30, 60, 90];

    /// <summary>
    /// The time zone whose calendar the portal keeps (IANA id such as <c>America/Chicago</c>, or a Windows id): a payment
    /// scheduled for a date is charged from 00:00 of that date there, and invoices are late, discounts end and cards
    /// expire by its days. Default "UTC". Set it to your business's zone: in UTC a payment a Chicago customer
    /// scheduled for the 5th is charged at 6 p.m. on the 4th, their time.
    /// </summary>
    public string BusinessTimeZone { get; set; } = "UTC";

    /// <summary>ISO 4217 currency of the portal. Default "USD".</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>Short-pay reasons offered to payers; null means <see cref="DefaultShortPayReasons"/>. Must not be empty.</summary>
    public List<string>? ShortPayReasons { get; set; }

    /// <summary>Upper limits (days past due) of the aging buckets after "current"; null means 30, 60, 90.</summary>
    public List<int>? AgingBuckets { get; set; }

    /// <summary>Database provider and connection string.</summary>
    public DatabaseOptions Database { get; set; } = new();

    /// <summary>How often every known account is pulled from the ERP. Default 1 minute.</summary>
    public TimeSpan ErpSyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a page or download waits for the ERP (an invoice document) before it answers "try again shortly"
    /// (HTTP 503) instead of keeping the user waiting. Default 10 seconds.
    /// </summary>
    public TimeSpan ErpRequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the ERP sync waits for one page of open items (<c>IErpAdapter.PullOpenItemsAsync</c>). Then the adapter's
    /// token is cancelled and the sync stops waiting, even for an adapter that ignores its token: the account's sync
    /// fails with a <see cref="TimeoutException"/> (recorded as its last error) and frees the account for the next one.
    /// At most 90 seconds, so a page always ends within the sync's 2-minute lease. Default 1 minute.
    /// </summary>
    public TimeSpan ErpSyncPageTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a page that needs an account's first sync waits while another node runs it; then the page says the
    /// account's invoices are still loading (503, try again) rather than show a half-loaded account. One minute; tests
    /// shorten it.
    /// </summary>
    internal TimeSpan FirstSyncWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the outbox looks for due work. Default 2 seconds.</summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Attempts before an email or comment in the outbox is dead-lettered. Default 12 (about 4 hours with backoff).
    /// ERP postings of money (payments, deposits, reversals) are never given up: they retry every hour at most, forever,
    /// and the health check reports them.
    /// </summary>
    public int OutboxMaxAttempts { get; set; } = 12;

    /// <summary>
    /// Messages each outbox lane (ERP postings; emails) delivers at once, per node. An ERP or mail relay answering in
    /// 200 ms delivers about 5 messages a second one at a time. Default 16.
    /// </summary>
    public int OutboxConcurrency { get; set; } = 16;

    /// <summary>
    /// How long the outbox waits for one delivery (an ERP posting, an email). Then the adapter's token is cancelled and
    /// the outbox stops waiting, even for an adapter that ignores its token: the delivery counts as a failed attempt, retried
    /// with the usual backoff, and that lane ends its run so the next one (and the other lane's) is not held up. At most 90
    /// seconds, so a delivery always ends within the message's 2-minute outbox lease. Default 1 minute.
    /// </summary>
    public TimeSpan OutboxDeliveryTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Run the portal's background services in this process. Default true. False stops all of them here: the ERP sync, the
    /// outbox (ERP postings of payments and deposits, emails, comments) and the scheduled-payment runner's pass (autopay
    /// expansion and upcoming-debit notices, charging scheduled and autopay payments, the reconciler that resolves unknown
    /// outcomes and expired leases, the sweep of single-use cards). At least one node of the site must run them: otherwise
    /// scheduled and autopay payments are never charged, payments whose outcome is unknown stay unresolved, nothing is
    /// posted to the ERP and no email leaves.
    /// </summary>
    public bool RunBackgroundServices { get; set; } = true;

    /// <summary>Name of this node in leases; default machine name and process id.</summary>
    public string NodeName { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Discount on short payments: "prorate" (default), "keep" or "forfeit"; ignored when the host registers its own <c>IDiscountPolicy</c>.</summary>
    public string DiscountPolicy { get; set; } = "prorate";

    /// <summary>
    /// Shared secret the ERP sends in the <c>X-Portal-Ingest-Key</c> header to trigger a pull of an
    /// account (<c>POST /portal-payments/api/erp/accounts/{accountId}/sync</c>). Unset: the endpoint answers 404.
    /// At least <see cref="MinIngestApiKeyLength"/> characters, checked at start (e.g. <c>openssl rand -base64 32</c>).
    /// </summary>
    public string? IngestApiKey { get; set; }

    /// <summary>Fewest characters of <see cref="IngestApiKey"/>: 32.</summary>
    public const int MinIngestApiKeyLength = 32;

    /// <summary>Email settings.</summary>
    public NotificationOptions Notifications { get; set; } = new();

    /// <summary>Scheduled payments: the date range offered and the background runner.</summary>
    public SchedulingOptions Scheduling { get; set; } = new();

    /// <summary>Charging and recovery: leases, the gateway time limit, status checks, and what the health check calls stuck.</summary>
    public ChargingOptions Charging { get; set; } = new();

    /// <summary>Convenience fees (surcharges) of the built-in fee policy. Off by default.</summary>
    public Fees.ConvenienceFeeOptions ConvenienceFees { get; set; } = new();

    /// <summary>The ACH debit authorization payers accept before a bank account is saved.</summary>
    public AchAgreementOptions AchAgreement { get; set; } = new();

    /// <summary>Autopay: payers let the portal pay each invoice on a rule. On by default.</summary>
    public AutopayOptions Autopay { get; set; } = new();

    /// <summary>Deposits (payments on account): whether they are offered, and the smallest and largest amount.</summary>
    public DepositOptions Deposits { get; set; } = new();

    /// <summary>The merchant (the host's company) named, with its logo, on receipts, receipt PDFs and payment emails.</summary>
    public MerchantOptions Merchant { get; set; } = new();

    /// <summary>The seller the ACH authorizations name: <see cref="AchAgreementOptions.CompanyName"/>, else the merchant's name, else "the merchant".</summary>
    public string AchSeller => AchAgreement.SellerName(Merchant.Name);

    /// <summary>The short-pay reasons in force.</summary>
    public IReadOnlyList<string> EffectiveShortPayReasons => ShortPayReasons ?? DefaultShortPayReasons;

    /// <summary>The aging bucket limits in force.</summary>
    public IReadOnlyList<int> EffectiveAgingBuckets => AgingBuckets ?? DefaultAgingBuckets;
}

/// <summary>
/// The ACH debit authorization text. Change <see cref="Version"/> whenever <see cref="Text"/> changes:
/// every signature records the version and the SHA-256 of the exact text shown.
/// </summary>
public sealed class AchAgreementOptions
{
    /// <summary>Version label of the text, e.g. "2026-01". Default "2026-01".</summary>
    public string Version { get; set; } = "2026-01";

    /// <summary>
    /// The seller named in the built-in texts (one-off and recurring). Default none: the merchant's name
    /// (<see cref="MerchantOptions.Name"/>), and "the merchant" only when neither is set.
    /// </summary>
    public string? CompanyName { get; set; }

    /// <summary>The full agreement text; null uses the built-in text naming <see cref="CompanyName"/>.</summary>
    public string? Text { get; set; }

    /// <summary>The seller the built-in texts name: <see cref="CompanyName"/>, else <paramref name="merchantName"/>, else "the merchant".</summary>
    public string SellerName(string? merchantName) =>
        !string.IsNullOrWhiteSpace(CompanyName) ? CompanyName.Trim()
        : !string.IsNullOrWhiteSpace(merchantName) ? merchantName.Trim()
        : "the merchant";

    /// <summary>The text in force, naming <paramref name="seller"/> when it is the built-in text.</summary>
    public string EffectiveText(string seller) => Text ??
        $"I authorize {seller} to electronically debit the bank account I have provided for the payments I make or " +
        "schedule in this portal, and, if necessary, to electronically credit the account to correct erroneous debits. " +
        "Each debit will be for the amount and on the date I confirm in the portal. This authorization stays in effect " +
        $"until I remove the bank account from the portal or notify {seller} in writing, in a time and manner that " +
        "gives it a reasonable opportunity to act. I confirm that I am authorized to debit this account, and that the ACH " +
        "transactions I authorize comply with applicable law and the NACHA Operating Rules.";
}

/// <summary>
/// The merchant shown on receipts (page and PDF) and in payment emails. Everything is optional: unset, receipts and emails
/// carry no merchant line.
/// </summary>
public sealed class MerchantOptions
{
    /// <summary>Longest merchant name.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Largest logo file for PDF receipts (bytes).</summary>
    public const int MaxLogoFileBytes = 1024 * 1024;

    /// <summary>The company name, e.g. "Northwind Supply". Default none.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// The logo on the receipt page and in HTML emails: an absolute http(s) URL, or a path on the host site such as
    /// "/images/logo.png" (emails make it absolute with <see cref="NotificationOptions.PortalBaseUrl"/>). Default none.
    /// </summary>
    public string? LogoUrl { get; set; }

    /// <summary>
    /// A PNG or JPEG file (at most 1 MB) drawn on PDF receipts: an absolute path, or one relative to the host's content
    /// root (the project folder under <c>dotnet run</c>, the application's folder when published), e.g.
    /// <c>wwwroot/images/logo.png</c>; without a host, relative to <see cref="AppContext.BaseDirectory"/>. Default none.
    /// </summary>
    public string? LogoFile { get; set; }

    /// <summary>The host's content root, set from its environment (null without a host).</summary>
    internal string? ContentRoot { get; set; }

    /// <summary>
    /// The full path of <see cref="LogoFile"/>, or null when none is set: a relative one in the content root, else (a file
    /// found only there) in the application's folder.
    /// </summary>
    public string? LogoFilePath
    {
        get
        {
            if (string.IsNullOrWhiteSpace(LogoFile))
            {
                return null;
            }
            if (Path.IsPathRooted(LogoFile))
            {
                return LogoFile;
            }
            var inAppFolder = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, LogoFile));
            if (ContentRoot is null)
            {
                return inAppFolder;
            }
            var inContentRoot = Path.GetFullPath(Path.Combine(ContentRoot, LogoFile));
            return File.Exists(inContentRoot) || !File.Exists(inAppFolder) ? inContentRoot : inAppFolder;
        }
    }

    /// <summary>The logo URL made absolute against <paramref name="portalBaseUrl"/> (a site path), or null when none is set.</summary>
    public string? AbsoluteLogoUrl(string portalBaseUrl) =>
        string.IsNullOrWhiteSpace(LogoUrl) ? null
        : !LogoUrl.StartsWith('/') && Uri.TryCreate(LogoUrl, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" ? absolute.ToString()
        : portalBaseUrl.TrimEnd('/') + "/" + LogoUrl.TrimStart('/');
}

/// <summary>Autopay: enrolments turn into scheduled payments, one per invoice, charged by the scheduled-payment runner.</summary>
public sealed class AutopayOptions
{
    /// <summary>Offer autopay. Default true; false hides it and stops enrolments from paying (nothing new is scheduled).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Days before each debit the payer gets the "upcoming autopay" email. Default 3.</summary>
    public int UpcomingNoticeDays { get; set; } = 3;

    /// <summary>How often each enrolment is looked at for new invoices (an ERP change to the account also triggers it). Default 15 minutes.</summary>
    public TimeSpan ExpansionInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Version label of the recurring ACH authorization text. Default "2026-01-recurring".</summary>
    public string RecurringAgreementVersion { get; set; } = "2026-01-recurring";

    /// <summary>The recurring ACH authorization text; null uses the built-in text naming the ACH agreement's company.</summary>
    public string? RecurringAgreementText { get; set; }
}

/// <summary>Deposits: payments on account, posted to the ERP as unapplied cash.</summary>
public sealed class DepositOptions
{
    /// <summary>Offer the "Make a deposit" page. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Smallest deposit, in the portal currency. Default 1.00.</summary>
    public decimal Minimum { get; set; } = 1m;

    /// <summary>Largest deposit, in the portal currency. Default 100,000.00.</summary>
    public decimal Maximum { get; set; } = 100_000m;
}

/// <summary>Scheduled payments: which dates may be chosen, and how the background runner works.</summary>
public sealed class SchedulingOptions
{
    /// <summary>Latest date offered, in days after today. Default 90.</summary>
    public int HorizonDays { get; set; } = 90;

    /// <summary>When true, a payment cannot be scheduled after the earliest due date of the selected invoices. Default false.</summary>
    public bool NoLaterThanEarliestDueDate { get; set; }

    /// <summary>How often the runner looks for due payments and status checks. Default 30 seconds.</summary>
    public TimeSpan RunnerInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Payments one runner claims at a time. Default 50.</summary>
    public int RunnerBatchSize { get; set; } = 50;

    /// <summary>
    /// Charges one node runs at once (gateway calls in parallel; on SQLite the database writes still take turns).
    /// A real processor answers in 300–800 ms, so one at a time is about 2 payments a second. Default 32.
    /// </summary>
    public int MaxConcurrentCharges { get; set; } = 32;
}

/// <summary>
/// How charges are made safe against crashes, paused nodes and unanswered gateway calls. Every payment being charged
/// is leased to one node for <see cref="LeaseDuration"/> (renewed while the gateway call runs, which is cut off after
/// <see cref="GatewayTimeout"/>); a payment whose lease expired, or whose gateway answer is unknown, is looked up by its
/// idempotency key by the reconciler on any node.
/// </summary>
public sealed class ChargingOptions
{
    /// <summary>How long a payment being charged belongs to its node; after that the reconciler takes it over. Default 2 minutes.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Longest wait for the gateway's answer to a charge, and to every other call (a status lookup, the cancel of an
    /// abandoned authentication, storing, editing or removing a method); the call is then abandoned even when the adapter
    /// ignores its token. Must be shorter than <see cref="LeaseDuration"/>. Default 30 seconds.
    /// </summary>
    public TimeSpan GatewayTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Delay before the first lookup of a payment whose answer is unknown (and between status checks of payments settling
    /// on a bank rail); each further check of the same payment waits twice as long, up to <see cref="MaxStatusCheckDelay"/>.
    /// Default 5 minutes.
    /// </summary>
    public TimeSpan StatusCheckDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest delay between two status checks of one payment. Default 1 hour.</summary>
    public TimeSpan MaxStatusCheckDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the payer has to finish a customer authentication (3-D Secure) before the payment fails. Default 1 hour.</summary>
    public TimeSpan CustomerActionTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A payment charging or unconfirmed for longer than this is reported as stuck by the health check; one awaiting the
    /// payer's authentication is, once this long past <see cref="CustomerActionTimeout"/> (the payer may still finish
    /// before that). Default 30 minutes.
    /// </summary>
    public TimeSpan StuckPaymentAge { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// A bank debit still settling (Processing) this long after it was sent is reported as stuck by the health check: the
    /// gateway has not said how it ended (no status lookup, webhooks not arriving). Default 10 days (ACH debits settle in
    /// a few business days).
    /// </summary>
    public TimeSpan ProcessingAlertAge { get; set; } = TimeSpan.FromDays(10);

    /// <summary>An ERP posting of money undelivered for longer than this makes the health check report Degraded. Default 30 minutes.</summary>
    public TimeSpan PostingAlertAge { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>Which database the portal uses.</summary>
public enum DatabaseProvider
{
    /// <summary>Not configured (an error at start).</summary>
    None = 0,
    /// <summary>Embedded SQLite file.</summary>
    Sqlite = 1,
    /// <summary>PostgreSQL server.</summary>
    Postgres = 2,
}

/// <summary>Database settings.</summary>
public sealed class DatabaseOptions
{
    /// <summary>Provider: Sqlite or Postgres.</summary>
    public DatabaseProvider Provider { get; set; }

    /// <summary>ADO.NET connection string.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// PostgreSQL only: the schema that holds the portal's tables, its migrations history table and its trigger
    /// functions (created when missing). Unset: <c>public</c>. 1 to 63 lower-case letters, digits and underscores,
    /// starting with a letter or underscore and not with <c>pg_</c> (checked at start). Not for SQLite.
    /// </summary>
    public string? Schema { get; set; }

    /// <summary>The PostgreSQL schema in force: <see cref="Schema"/>, or <c>public</c> when unset.</summary>
    public string EffectiveSchema => string.IsNullOrWhiteSpace(Schema) ? DefaultSchema : Schema.Trim();

    /// <summary>The PostgreSQL schema used when <see cref="Schema"/> is unset: <c>public</c>.</summary>
    public const string DefaultSchema = "public";

    /// <summary>EF Core interceptors added to every context (see <c>PortalPaymentsBuilder.AddDbInterceptor</c>); not bound from configuration.</summary>
    public IList<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor> Interceptors { get; } = [];
}

/// <summary>How emails leave.</summary>
public sealed class NotificationOptions
{
    /// <summary>"Store" (default: kept in the mailbox table and logged) or "Smtp" (MailKit).</summary>
    public string Transport { get; set; } = "Store";

    private string? _portalBaseUrl;

    /// <summary>
    /// Base URL of the portal for links in emails, e.g. "https://portal.example.com". Not set (the default): the URL the
    /// portal is served on, read from the server once it listens (https preferred; a wildcard host such as <c>+</c>,
    /// <c>*</c> or <c>0.0.0.0</c> reads as localhost). Set it whenever users reach the portal by another name (a proxy,
    /// a load balancer, several nodes). Reading it never gives null.
    /// </summary>
    [AllowNull]
    public string PortalBaseUrl
    {
        get => _portalBaseUrl ?? ServedUrl?.Invoke() ?? "http://localhost";
        set => _portalBaseUrl = string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>True when <see cref="PortalBaseUrl"/> was set; false when it follows the URL the portal is served on.</summary>
    public bool IsPortalBaseUrlSet => _portalBaseUrl is not null;

    /// <summary>Where the server listens, once it does (set at registration); null before.</summary>
    internal Func<string?>? ServedUrl { get; set; }

    /// <summary>SMTP settings when <see cref="Transport"/> is "Smtp".</summary>
    public SmtpOptions Smtp { get; set; } = new();
}

/// <summary>SMTP server settings.</summary>
public sealed class SmtpOptions
{
    /// <summary>Server host name.</summary>
    public string? Host { get; set; }
    /// <summary>Port. Default 587.</summary>
    public int Port { get; set; } = 587;
    /// <summary>
    /// How the connection is protected: "StartTls" (default: the server must offer STARTTLS, or nothing is sent),
    /// "SslOnConnect" (TLS from the first byte, usually port 465), "StartTlsWhenAvailable", "Auto" (MailKit picks by
    /// port) or "None" (plain text: only for a relay on the same machine). Any other value stops the host at start.
    /// </summary>
    public string Security { get; set; } = "StartTls";

    /// <summary>The values <see cref="Security"/> accepts (case-insensitive).</summary>
    public static readonly IReadOnlyList<string> SecurityValues = ["StartTls", "SslOnConnect", "StartTlsWhenAvailable", "Auto", "None"];
    /// <summary>User name, if the server needs authentication.</summary>
    public string? UserName { get; set; }
    /// <summary>Password.</summary>
    public string? Password { get; set; }
    /// <summary>
    /// The address emails come from, e.g. "payments@yourcompany.com". The default, "payments@portal.invalid", is a
    /// placeholder: with <see cref="NotificationOptions.Transport"/> "Smtp" the host refuses to start until it is set to a
    /// real address (a missing, malformed or <c>.invalid</c> one is refused).
    /// </summary>
    public string FromAddress { get; set; } = "payments@portal.invalid";
    /// <summary>From display name.</summary>
    public string FromName { get; set; } = "Customer Portal Payments";
}
