using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Discounts;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;
using Portal.Payments.Outbox;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Services.Payments;
using Portal.Payments.Services.Views;
using Portal.Payments.Sync;
using Portal.Payments.Users;

// The conventional namespace for service-registration extensions, so hosts need no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Portal.Payments' core services.</summary>
public static class PortalPaymentsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the core (data, rules, background runners) without any UI. Hosts normally call
    /// <c>AddCustomerPortalPayments()</c> from Portal.Payments.Ui, which calls this. Safe to call more than once: services
    /// are registered once, each <paramref name="configure"/> is applied. Options bind from the <c>CustomerPortalPayments</c>
    /// section first; the lambda and builder calls override them. There is no built-in gateway or ERP adapter: when the
    /// host starts without a database, a gateway, an ERP adapter or a user context it stops with a message naming the
    /// builder call to add (see <see cref="PortalPaymentsBuilder"/>).
    /// </summary>
    public static PortalPaymentsBuilder AddPortalPaymentsCore(this IServiceCollection services, Action<PortalPaymentsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new PortalPaymentsBuilder(services);
        if (!services.Any(d => d.ServiceType == typeof(CoreMarker)))
        {
            services.AddSingleton<CoreMarker>();
            Register(services);
        }
        if (configure is not null)
        {
            services.Configure(configure);
        }
        return builder;
    }

    /// <summary>
    /// Applies the EF Core migrations of the configured provider (creating the database, and on PostgreSQL the schema, if
    /// needed), then those of every package that stores tables beside the portal's (<see cref="IPortalDatabaseMigration"/>:
    /// the sandbox gateway, the demo ERP). A database holding tables of a pre-release build, whose migrations were squashed
    /// into one before the first release, is refused with a message saying so. A package that will not run here (the sandbox
    /// gateway or demo ERP in Production, not allowed there) stops this call with the message the host's start would give,
    /// before anything is created.
    /// </summary>
    public static async Task MigratePortalPaymentsAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        // Every package says first whether it may run here (the sandbox's Production refusal), all refusals at once as the
        // host's start would give them, before anything is created.
        var packages = services.GetServices<IPortalDatabaseMigration>().ToList();
        var refusals = new List<Exception>();
        foreach (var package in packages)
        {
            try
            {
                package.EnsureAllowed();
            }
            catch (OptionsValidationException refused)
            {
                refusals.Add(refused);
            }
        }
        if (refusals.Count > 0)
        {
            throw refusals.Count == 1 ? refusals[0] : new AggregateException(refusals);
        }
        var factory = services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        // Several nodes deployed together each migrate at start: on PostgreSQL one migrates at a time (the others wait, then
        // find nothing left to do), instead of racing to create the same tables and failing to start.
        await using var exclusive = await MigrationLock.TakeAsync(services.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Database, factory, cancellationToken);
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            if (db.Database.IsSqlite())
            {
                // WAL lets readers and one writer work at once; the file stays a single database.
                await db.Database.OpenConnectionAsync(cancellationToken);
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
            await PreReleaseDatabase.RefuseAsync(db, cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
        }
        foreach (var migration in packages)
        {
            await migration.MigrateAsync(cancellationToken);
        }
    }

    private static void Register(IServiceCollection services)
    {
        services.AddOptions();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<IConfigureOptions<PortalPaymentsOptions>>(sp => new BindFromConfiguration<PortalPaymentsOptions>(sp, PortalPaymentsOptions.SectionName));
        // Links in emails follow the URL the portal is served on unless Notifications:PortalBaseUrl is set.
        services.AddSingleton<IPostConfigureOptions<PortalPaymentsOptions>>(sp =>
            new PostConfigureOptions<PortalPaymentsOptions>(Microsoft.Extensions.Options.Options.DefaultName, o => o.Notifications.ServedUrl = () => ServedAddress.Find(sp)));
        // A relative Merchant:LogoFile is looked up in the host's content root (wwwroot is not copied next to the dll).
        services.AddSingleton<IPostConfigureOptions<PortalPaymentsOptions>>(sp =>
            new PostConfigureOptions<PortalPaymentsOptions>(Microsoft.Extensions.Options.Options.DefaultName,
                o => o.Merchant.ContentRoot = sp.GetService<Microsoft.Extensions.Hosting.IHostEnvironment>()?.ContentRootPath));
        // What a host can write in another form than the code compares: the currency as stored ("usd" and " USD" are USD;
        // invoices carry the upper-case code), and the ingest key without the line break a secret file ends with (a header
        // never carries one), and the SMTP host and sender address without surrounding blanks (checked trimmed at start, so
        // used trimmed: a relay refuses a sender "<ar@vendor.example\n>").
        services.PostConfigure<PortalPaymentsOptions>(o =>
        {
            o.Notifications.Smtp.Host = o.Notifications.Smtp.Host?.Trim();
            o.Notifications.Smtp.FromAddress = o.Notifications.Smtp.FromAddress?.Trim()!;
            if (Portal.Payments.CurrencyInfo.IsKnown(o.Currency))
            {
                o.Currency = o.Currency.Trim().ToUpperInvariant();
            }
            if (o.IngestApiKey?.Trim() is { Length: > 0 } key)
            {
                o.IngestApiKey = key;   // all blanks stays as written: refused at start, not taken for unset
            }
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PortalPaymentsOptions>, PortalPaymentsOptionsValidator>());
        services.AddOptions<PortalPaymentsOptions>().ValidateOnStart();
        // Gateway, ERP adapter and user context: checked when the host starts, in every environment, even by a host that
        // resolves none of them before its first request. Simulated adapters are announced in the log.
        var registrations = new PortalRegistrations(services);
        services.AddSingleton(registrations);
        services.TryAddSingleton(sp => new PortalSimulations(
            sp.GetServices<SimulatedAdapter>(), sp.GetServices<SimulationAnnouncement>(), sp.GetRequiredService<PortalRegistrations>()));
        services.TryAdd(MissingService.For<IPaymentGateway>(PortalSetupValidator.NoGateway));
        services.TryAdd(MissingService.For<IErpAdapter>(PortalSetupValidator.NoErpAdapter));
        services.TryAdd(MissingService.For<IPortalUserContext>(PortalSetupValidator.NoUserContext));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PortalSetup>, PortalSetupValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PortalSetup>, WebhookHandlerKeyValidator>());
        services.AddOptions<PortalSetup>().ValidateOnStart();
        services.AddHostedService<SimulationWarning>();
        services.AddHostedService<BaseUrlWarning>();
        services.TryAddSingleton<ProductionSetupWarnings>();
        services.AddHostedService<ProductionSetupWarning>();

        services.TryAddSingleton<IDbContextFactory<PaymentsDbContext>, PaymentsDbContextFactory>();
        services.TryAddSingleton<DatabaseWriteLane>();
        services.TryAddSingleton<IGatewayCustomerStore, GatewayCustomerStore>();

        // The emails' words: sources the Ui package (or a host) registers, then Core's built-in English and German.
        services.TryAddSingleton<EmailTexts>();
        services.TryAddSingleton<SmtpConnectionPool>();
        // Kept to tell, at start, whether this sender is the one in force (the Production warning about stored emails).
        var sender = ServiceDescriptor.Scoped<INotificationSender>(sp =>
            string.Equals(sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Notifications.Transport, "Smtp", StringComparison.OrdinalIgnoreCase)
                ? ActivatorUtilities.CreateInstance<SmtpNotificationSender>(sp)
                : ActivatorUtilities.CreateInstance<StoredEmailSender>(sp));
        if (!services.Any(d => d.ServiceType == typeof(INotificationSender) && !d.IsKeyedService))
        {
            services.Add(sender);
            registrations.PortalSender = sender;
        }
        services.TryAddSingleton<Portal.Payments.Fees.IConvenienceFeePolicy, Portal.Payments.Fees.ConfiguredConvenienceFeePolicy>();
        services.TryAddSingleton<IDiscountPolicy>(sp => sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.DiscountPolicy switch
        {
            "keep" => new KeepDiscountPolicy(),
            "forfeit" => new ForfeitDiscountPolicy(),
            _ => new ProRateDiscountPolicy(),
        });

        services.TryAddScoped<PortalAccess>();
        services.TryAddScoped<ErpSyncService>();
        services.TryAddScoped<AccountOverviewService>();
        services.TryAddScoped<MailboxService>();
        services.TryAddScoped<PaymentMethodService>();
        services.TryAddScoped<InvoiceQueryService>();
        services.TryAddScoped<InvoiceCommentService>();
        services.TryAddScoped<InvoiceDocumentService>();
        services.TryAddScoped<SavedViewService>();
        services.TryAddSingleton<PaymentLifecycle>();
        services.TryAddScoped<PaymentCharger>();
        services.TryAddSingleton<PaymentReconciler>();
        services.TryAddScoped<IGatewayEventSink, GatewayEventSink>();
        services.TryAddSingleton<PaymentOperations>();
        services.AddHealthChecks().AddCheck<PaymentsHealthCheck>(PaymentsHealthCheck.Name, tags: ["portal-payments"]);
        services.TryAddScoped<PaymentService>();
        services.TryAddScoped<DepositService>();
        services.TryAddScoped<Portal.Payments.Services.History.PaymentHistoryService>();
        services.TryAddSingleton<OutboxProcessor>();
        services.TryAddScoped<ScheduledPaymentService>();
        services.TryAddSingleton<ScheduledPaymentRunner>();
        services.TryAddSingleton<SingleUseMethodSweeper>();
        services.TryAddSingleton<Portal.Payments.Services.Autopay.AutopayRunner>();
        services.TryAddScoped<Portal.Payments.Services.Autopay.AutopayService>();

        services.AddHostedService<ErpSyncBackgroundService>();
        services.AddHostedService<OutboxBackgroundService>();
        services.AddHostedService<EmailOutboxBackgroundService>();
        services.AddHostedService<ScheduledPaymentBackgroundService>();
    }

    private sealed class CoreMarker;

    /// <summary>Binds a section when the host has configuration (test containers may not).</summary>
    private sealed class BindFromConfiguration<T>(IServiceProvider sp, string section) : IConfigureOptions<T> where T : class
    {
        public void Configure(T options)
        {
            if (sp.GetService<IConfiguration>() is { } configuration)
            {
                configuration.GetSection(section).Bind(options);
            }
        }
    }
}
