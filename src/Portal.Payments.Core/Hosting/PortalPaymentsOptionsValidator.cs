using Microsoft.Extensions.Options;
using Portal.Payments.Data;

namespace Portal.Payments.Hosting;

/// <summary>Checks the options at start and says what to fix.</summary>
internal sealed class PortalPaymentsOptionsValidator : IValidateOptions<PortalPaymentsOptions>
{
    public ValidateOptionsResult Validate(string? name, PortalPaymentsOptions o)
    {
        var errors = new List<string>();
        const string S = PortalPaymentsOptions.SectionName;

        if (o.Database.Provider == DatabaseProvider.None)
        {
            errors.Add($"No database configured. Call .UseSqlite(\"Data Source=portal.db\") or .UsePostgres(connectionString) after AddCustomerPortalPayments(), or set {S}:Database:Provider (Sqlite or Postgres) and {S}:Database:ConnectionString.");
        }
        else if (string.IsNullOrWhiteSpace(o.Database.ConnectionString))
        {
            errors.Add($"The {o.Database.Provider} database has no connection string. Set {S}:Database:ConnectionString or pass one to .Use{o.Database.Provider}(...).");
        }
        else if (o.Database.Provider == DatabaseProvider.Sqlite && MissingSqliteFolder(o.Database.ConnectionString) is { } file)
        {
            // SQLite creates the file but not its folder, and says only "SQLite Error 14: 'unable to open database file'".
            errors.Add($"The SQLite database file '{file}' cannot be created: its folder '{Path.GetDirectoryName(file)}' does not exist. " +
                $"Create the folder before the portal starts, or fix the Data Source in {S}:Database:ConnectionString or .UseSqlite(...) " +
                $"(a relative path is read from the process's working directory, {Directory.GetCurrentDirectory()}, not from the content root).");
        }

        if (o.Database.Schema is { } schema)
        {
            if (o.Database.Provider == DatabaseProvider.Sqlite)
            {
                errors.Add($"{S}:Database:Schema is '{schema}', but schemas are a PostgreSQL setting; remove it for SQLite.");
            }
            else if (!PortalDatabase.IsValidSchemaName(schema))
            {
                errors.Add($"{S}:Database:Schema '{schema}' is not a schema name the portal accepts: use 1 to 63 lower-case letters, digits and underscores, starting with a letter or underscore and not with pg_ (e.g. portal_payments), or leave it unset for public.");
            }
        }

        if (PortalCalendar.Find(o.BusinessTimeZone) is null)
        {
            errors.Add($"{S}:BusinessTimeZone '{o.BusinessTimeZone}' is not a time zone this machine knows. Use an IANA id such as America/Chicago or Europe/Berlin (or a Windows id such as Central Standard Time), or leave it unset for UTC.");
        }

        if (!CurrencyInfo.IsKnown(o.Currency))
        {
            errors.Add($"Currency '{o.Currency}' is not an ISO 4217 code. Set {S}:Currency to a code such as USD, EUR or GBP.");
        }

        if (o.ShortPayReasons is { Count: 0 })
        {
            errors.Add($"The short-pay reason list is empty. Leave {S}:ShortPayReasons unset for the defaults ({string.Join(", ", PortalPaymentsOptions.DefaultShortPayReasons)}) or list at least one reason.");
        }
        else if (o.ShortPayReasons is not null)
        {
            if (o.ShortPayReasons.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{S}:ShortPayReasons contains a blank reason; remove it.");
            }
            var dupes = o.ShortPayReasons.GroupBy(r => r.Trim(), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (dupes.Count > 0)
            {
                errors.Add($"{S}:ShortPayReasons lists {string.Join(", ", dupes)} more than once.");
            }
            if (o.ShortPayReasons.Any(r => r.Length > 100))
            {
                errors.Add($"{S}:ShortPayReasons has a reason longer than 100 characters.");
            }
        }

        var buckets = o.EffectiveAgingBuckets;
        if (buckets.Count == 0 || buckets.Any(d => d <= 0) || buckets.Zip(buckets.Skip(1)).Any(p => p.Second <= p.First))
        {
            errors.Add($"{S}:AgingBuckets must be positive day limits in increasing order, e.g. [30, 60, 90].");
        }

        Interval(errors, $"{S}:ErpSyncInterval", o.ErpSyncInterval, TimeSpan.FromDays(1), "00:01:00");
        if (o.ErpRequestTimeout <= TimeSpan.Zero || o.ErpRequestTimeout > TimeSpan.FromMinutes(2))
        {
            errors.Add($"{S}:ErpRequestTimeout must be more than zero and at most 2 minutes (e.g. 00:00:10).");
        }
        // The sync's lease (2 minutes, renewed after each page) must outlast the wait for a page.
        if (o.ErpSyncPageTimeout <= TimeSpan.Zero || o.ErpSyncPageTimeout > TimeSpan.FromSeconds(90))
        {
            errors.Add($"{S}:ErpSyncPageTimeout is {o.ErpSyncPageTimeout}; it must be more than zero and at most 90 seconds (e.g. 00:01:00), " +
                       "so the sync stops waiting for a page of open items before the account's 2-minute sync lease can run out.");
        }
        Interval(errors, $"{S}:OutboxPollInterval", o.OutboxPollInterval, TimeSpan.FromHours(1), "00:00:02");
        if (o.OutboxMaxAttempts < 1)
        {
            errors.Add($"{S}:OutboxMaxAttempts must be at least 1.");
        }
        if (o.OutboxConcurrency is < 1 or > 128)
        {
            errors.Add($"{S}:OutboxConcurrency must be 1 to 128 (messages each outbox lane delivers at once; e.g. 16).");
        }
        // A message's outbox lease (2 minutes from its claim) must outlast the wait for its delivery.
        if (o.OutboxDeliveryTimeout <= TimeSpan.Zero || o.OutboxDeliveryTimeout > TimeSpan.FromSeconds(90))
        {
            errors.Add($"{S}:OutboxDeliveryTimeout is {o.OutboxDeliveryTimeout}; it must be more than zero and at most 90 seconds (e.g. 00:01:00), " +
                       "so the outbox stops waiting for an ERP posting or an email before the message's 2-minute outbox lease can run out " +
                       "and another node delivers it again.");
        }

        // Nodes tell their leases apart by this name; the lease columns hold 200 characters.
        if (string.IsNullOrWhiteSpace(o.NodeName))
        {
            errors.Add($"{S}:NodeName is blank; leave it unset (the machine name and process id) or give every node its own name, such as portal-node-1: nodes tell the payments, outbox messages and ERP syncs they are working on apart by it.");
        }
        else if (o.NodeName.Length > ColumnLengths.Name)
        {
            errors.Add($"{S}:NodeName has {o.NodeName.Length} characters; use at most {ColumnLengths.Name} (the leases it is written into hold no more), and give every node its own name.");
        }

        var scheduling = o.Scheduling;
        if (scheduling.HorizonDays is < 1 or > 3660)
        {
            errors.Add($"{S}:Scheduling:HorizonDays must be 1 to 3660 days.");
        }
        Interval(errors, $"{S}:Scheduling:RunnerInterval", scheduling.RunnerInterval, TimeSpan.FromHours(1), "00:00:30");
        if (scheduling.RunnerBatchSize is < 1 or > 1000)
        {
            errors.Add($"{S}:Scheduling:RunnerBatchSize must be 1 to 1000.");
        }
        if (scheduling.MaxConcurrentCharges is < 1 or > 256)
        {
            errors.Add($"{S}:Scheduling:MaxConcurrentCharges must be 1 to 256 (charges one node runs at once; e.g. 32).");
        }
        ValidateCharging(o.Charging, errors);
        ValidateFees(o, errors);

        if (o.DiscountPolicy is not ("prorate" or "keep" or "forfeit"))
        {
            errors.Add($"{S}:DiscountPolicy is '{o.DiscountPolicy}'; use prorate, keep or forfeit (or register your own IDiscountPolicy).");
        }

        // Empty means unset (the endpoint answers 404); anything else is a credential anyone may guess at over HTTP.
        if (!string.IsNullOrEmpty(o.IngestApiKey) && o.IngestApiKey.Trim().Length < PortalPaymentsOptions.MinIngestApiKeyLength)
        {
            errors.Add($"{S}:IngestApiKey has {o.IngestApiKey.Trim().Length} characters; it must be a random secret of at least {PortalPaymentsOptions.MinIngestApiKeyLength} " +
                "(make one with `openssl rand -base64 32` and give the ERP the same value), or leave it unset to turn the ERP's sync endpoint off.");
        }

        if (string.IsNullOrWhiteSpace(o.AchAgreement.Version) || o.AchAgreement.Version.Length > 50)
        {
            errors.Add($"{S}:AchAgreement:Version must be set (1 to 50 characters) so each signature records which text was accepted.");
        }
        if (o.AchAgreement.CompanyName is { Length: > MerchantOptions.MaxNameLength } seller)
        {
            errors.Add($"{S}:AchAgreement:CompanyName has {seller.Length} characters; use at most {MerchantOptions.MaxNameLength} (or leave it unset to name Merchant:Name).");
        }
        if (o.AchAgreement.Text is { } achText && string.IsNullOrWhiteSpace(achText))
        {
            errors.Add($"{S}:AchAgreement:Text is blank; leave it unset for the built-in text or write the full agreement.");
        }

        ValidateDeposits(o, errors);
        ValidateAutopay(o.Autopay, errors);
        ValidateMerchant(o.Merchant, errors);

        var transport = o.Notifications.Transport;
        if (!string.Equals(transport, "Store", StringComparison.OrdinalIgnoreCase) && !string.Equals(transport, "Smtp", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{S}:Notifications:Transport is '{transport}'; use Store or Smtp.");
        }
        else if (string.Equals(transport, "Smtp", StringComparison.OrdinalIgnoreCase))
        {
            if (o.Notifications.Smtp.Port is < 1 or > 65535)
            {
                errors.Add($"{S}:Notifications:Smtp:Port is {o.Notifications.Smtp.Port}; it must be a TCP port from 1 to 65535 (587 for STARTTLS, 465 for TLS, 25 plain).");
            }
            if (string.IsNullOrWhiteSpace(o.Notifications.Smtp.Host))
            {
                errors.Add($"Notifications go through SMTP but {S}:Notifications:Smtp:Host is not set.");
            }
            if (FromAddressProblem(o.Notifications.Smtp.FromAddress) is { } fromProblem)
            {
                errors.Add($"Notifications go through SMTP but {S}:Notifications:Smtp:FromAddress {fromProblem} " +
                           "Set it to the address your emails come from, e.g. payments@yourcompany.com (one your SMTP server accepts as a sender); " +
                           $"{S}:Notifications:Smtp:FromName sets the name shown beside it.");
            }
        }
        var security = o.Notifications.Smtp.Security;
        if (!SmtpOptions.SecurityValues.Contains(security ?? "", StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"{S}:Notifications:Smtp:Security is '{security}'; use {string.Join(", ", SmtpOptions.SecurityValues)} (StartTls is the default and requires TLS).");
        }
        if (o.Notifications.IsPortalBaseUrlSet && !(Uri.TryCreate(o.Notifications.PortalBaseUrl, UriKind.Absolute, out var baseUrl) && baseUrl.Scheme is "http" or "https"))
        {
            errors.Add($"{S}:Notifications:PortalBaseUrl must be an absolute http or https URL such as https://portal.example.com (or leave it unset to use the URL the portal is served on).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// <paramref name="text"/> is one email address and nothing else (no display name, no angle brackets, no blanks around
    /// it): what an SMTP envelope takes as it is.
    /// </summary>
    internal static bool IsBareAddress(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out System.Net.Mail.MailAddress? parsed) =>
        System.Net.Mail.MailAddress.TryCreate(text, out parsed) && parsed.Address == text && string.IsNullOrEmpty(parsed.DisplayName);

    /// <summary>Why <paramref name="address"/> cannot be the sender of the portal's emails, or null when it can.</summary>
    internal static string? FromAddressProblem(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return "is not set.";
        }
        var trimmed = address.Trim();
        if (!IsBareAddress(trimmed, out var parsed))
        {
            return $"is '{address}', which is not an email address such as payments@yourcompany.com (just the address: no name, no angle brackets).";
        }
        if (parsed.Host.Equals("invalid", StringComparison.OrdinalIgnoreCase) || parsed.Host.EndsWith(".invalid", StringComparison.OrdinalIgnoreCase))
        {
            return $"is '{address}'{(trimmed == DefaultFromAddress ? ", the placeholder it has when unset" : "")}: a .invalid domain can receive no replies and mail servers refuse or bin such a sender.";
        }
        return null;
    }

    private const string DefaultFromAddress = "payments@portal.invalid";

    private static void ValidateFees(PortalPaymentsOptions o, List<string> errors)
    {
        const string S = PortalPaymentsOptions.SectionName + ":ConvenienceFees";
        var f = o.ConvenienceFees;
        foreach (var (name, fee) in new[] { ("Card", f.Card), ("Bank", f.Bank) })
        {
            if (fee.Percent is < 0m or > 10m)
            {
                errors.Add($"{S}:{name}:Percent is {fee.Percent}; use 0 to 10 (a percentage, e.g. 2.5).");
            }
            if (fee.Fixed < 0m || !Money.TryCreate(fee.Fixed, o.Currency, out _, out _))
            {
                errors.Add($"{S}:{name}:Fixed must be zero or more, with at most the decimals of {o.Currency}.");
            }
            if (fee.Cap is { } cap && (cap <= 0m || !Money.TryCreate(cap, o.Currency, out _, out _)))
            {
                errors.Add($"{S}:{name}:Cap must be more than zero, with at most the decimals of {o.Currency}.");
            }
        }
        if (f.MinimumPayment is { } minimum && minimum < 0m)
        {
            errors.Add($"{S}:MinimumPayment must not be negative.");
        }
        if (f.DisallowedRegions.FirstOrDefault(r => !System.Text.RegularExpressions.Regex.IsMatch(r ?? "", "^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")) is { } bad)
        {
            errors.Add($"{S}:DisallowedRegions has '{bad}'; use a country code (\"PR\") or country and state (\"US-CT\").");
        }
        if (string.IsNullOrWhiteSpace(f.Label) || f.Label.Length > 60)
        {
            errors.Add($"{S}:Label must be 1 to 60 characters.");
        }
    }

    private static void ValidateCharging(ChargingOptions c, List<string> errors)
    {
        const string S = PortalPaymentsOptions.SectionName + ":Charging";
        if (c.LeaseDuration < TimeSpan.FromSeconds(5))
        {
            errors.Add($"{S}:LeaseDuration must be at least 5 seconds (e.g. 00:02:00): a charge must finish within it.");
        }
        if (c.GatewayTimeout < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{S}:GatewayTimeout must be at least 1 second (e.g. 00:00:30).");
        }
        else if (c.GatewayTimeout >= c.LeaseDuration)
        {
            errors.Add($"{S}:GatewayTimeout ({c.GatewayTimeout}) must be shorter than {S}:LeaseDuration ({c.LeaseDuration}): " +
                       "otherwise another node may take a payment over while its charge is still waiting for the gateway.");
        }
        if (c.StatusCheckDelay < TimeSpan.FromSeconds(1) || c.StatusCheckDelay > TimeSpan.FromDays(1))
        {
            errors.Add($"{S}:StatusCheckDelay must be 1 second to 1 day (e.g. 00:05:00).");
        }
        if (c.MaxStatusCheckDelay < c.StatusCheckDelay || c.MaxStatusCheckDelay > TimeSpan.FromDays(1))
        {
            errors.Add($"{S}:MaxStatusCheckDelay must be at least {S}:StatusCheckDelay and at most 1 day (e.g. 01:00:00).");
        }
        if (c.CustomerActionTimeout < TimeSpan.FromMinutes(1) || c.CustomerActionTimeout > TimeSpan.FromDays(7))
        {
            errors.Add($"{S}:CustomerActionTimeout must be 1 minute to 7 days (e.g. 01:00:00).");
        }
        if (c.StuckPaymentAge <= TimeSpan.Zero)
        {
            errors.Add($"{S}:StuckPaymentAge must be positive (e.g. 00:30:00).");
        }
        if (c.ProcessingAlertAge < TimeSpan.FromDays(1) || c.ProcessingAlertAge > TimeSpan.FromDays(90))
        {
            errors.Add($"{S}:ProcessingAlertAge must be 1 to 90 days (e.g. 10.00:00:00).");
        }
        if (c.PostingAlertAge <= TimeSpan.Zero)
        {
            errors.Add($"{S}:PostingAlertAge must be positive (e.g. 00:30:00).");
        }
    }

    private static void ValidateMerchant(MerchantOptions m, List<string> errors)
    {
        const string S = PortalPaymentsOptions.SectionName + ":Merchant";
        if (m.Name is { Length: > MerchantOptions.MaxNameLength })
        {
            errors.Add($"{S}:Name has {m.Name.Length} characters; use at most {MerchantOptions.MaxNameLength}.");
        }
        // A site path ("/images/logo.png"; on Linux Uri would read it as a file URL) or an absolute http(s) URL.
        if (m.LogoUrl is { Length: > 0 } logo && !string.IsNullOrWhiteSpace(logo)
            && !(logo.StartsWith('/')
                ? logo.Length > 1 && logo[1] is not ('/' or '\\')
                : Uri.TryCreate(logo, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            errors.Add($"{S}:LogoUrl is '{m.LogoUrl}'; use an absolute http(s) URL or a path of this site such as /images/logo.png.");
        }
        if (m.LogoFilePath is { } path)
        {
            var problem = LogoFileProblem(path);
            if (problem is not null)
            {
                errors.Add($"{S}:LogoFile '{path}' {problem}");
            }
        }
    }

    /// <summary>Why the logo file cannot go on a PDF receipt, or null when it can.</summary>
    private static string? LogoFileProblem(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return "does not exist; give the path of a PNG or JPEG file (a relative path is looked for in the host's content root, then in the application's folder).";
        }
        if (file.Length > MerchantOptions.MaxLogoFileBytes)
        {
            return $"has {file.Length:N0} bytes; use a PNG or JPEG of at most {MerchantOptions.MaxLogoFileBytes:N0} bytes.";
        }
        Span<byte> head = stackalloc byte[8];
        using (var stream = file.OpenRead())
        {
            stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        var png = head.SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        var jpeg = head[0] == 0xFF && head[1] == 0xD8;
        return png || jpeg ? null : "is not a PNG or JPEG image.";
    }

    private static void ValidateAutopay(AutopayOptions a, List<string> errors)
    {
        const string S = PortalPaymentsOptions.SectionName;
        if (a.UpcomingNoticeDays is < 0 or > 30)
        {
            errors.Add($"{S}:Autopay:UpcomingNoticeDays must be 0 to 30 (days before each debit the payer is told; 0 sends no notice ahead).");
        }
        if (a.ExpansionInterval < TimeSpan.FromSeconds(1) || a.ExpansionInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"{S}:Autopay:ExpansionInterval must be 1 second to 1 day (e.g. 00:15:00).");
        }
        if (string.IsNullOrWhiteSpace(a.RecurringAgreementVersion) || a.RecurringAgreementVersion.Length > 50)
        {
            errors.Add($"{S}:Autopay:RecurringAgreementVersion must be set (1 to 50 characters) so each recurring signature records which text was accepted.");
        }
        if (a.RecurringAgreementText is { } text && string.IsNullOrWhiteSpace(text))
        {
            errors.Add($"{S}:Autopay:RecurringAgreementText is blank; leave it unset for the built-in text or write the full agreement.");
        }
    }

    private static void ValidateDeposits(PortalPaymentsOptions o, List<string> errors)
    {
        const string S = PortalPaymentsOptions.SectionName;
        var d = o.Deposits;
        if (d.Minimum <= 0m)
        {
            errors.Add($"{S}:Deposits:Minimum must be greater than zero (e.g. 1.00).");
        }
        if (d.Maximum < d.Minimum)
        {
            errors.Add($"{S}:Deposits:Maximum ({d.Maximum}) must not be less than {S}:Deposits:Minimum ({d.Minimum}).");
        }
        if (CurrencyInfo.TryGet(o.Currency, out var currency)
            && (decimal.Round(d.Minimum, currency.MinorUnits) != d.Minimum || decimal.Round(d.Maximum, currency.MinorUnits) != d.Maximum))
        {
            errors.Add($"{S}:Deposits:Minimum and Maximum must have at most {currency.MinorUnits} decimal places for {currency.Code}.");
        }
    }

    /// <summary>
    /// A background loop's interval: more than zero and at most <paramref name="max"/> (a timer cannot wait 49.7 days, and a
    /// bare number in configuration is days: "30" meant as seconds would hold the loop for a month).
    /// </summary>
    private static void Interval(List<string> errors, string name, TimeSpan value, TimeSpan max, string example)
    {
        if (value <= TimeSpan.Zero || value > max)
        {
            errors.Add($"{name} is {value}; it must be more than zero and at most {max} (hh:mm:ss, e.g. {example}; a bare number is read as days).");
        }
    }

    /// <summary>
    /// The full path of a SQLite file whose folder does not exist, or null (the folder exists, an in-memory or URI data
    /// source, a connection string this check cannot read: the provider then says what it says).
    /// </summary>
    private static string? MissingSqliteFolder(string connectionString)
    {
        Microsoft.Data.Sqlite.SqliteConnectionStringBuilder builder;
        try
        {
            builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            return null;
        }
        var source = builder.DataSource;
        if (string.IsNullOrWhiteSpace(source) || source == ":memory:" || builder.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory ||
            source.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || source.Contains("|DataDirectory|", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var file = Path.GetFullPath(source);
        return Path.GetDirectoryName(file) is { } folder && !Directory.Exists(folder) ? file : null;
    }
}
