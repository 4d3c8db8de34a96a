using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Portal.Payments.DemoErp;
using Portal.Payments.Hosting;
using Portal.Payments.Testing;
using Portal.Payments.Users;
using Xunit;

namespace Portal.Payments.Core.Tests.Infrastructure;

/// <summary>One migrated database per test class; the same test classes run on SQLite and PostgreSQL.</summary>
public abstract class TestDatabase : IAsyncLifetime
{
    /// <summary>Provider name for messages.</summary>
    public abstract DatabaseProvider Provider { get; }

    /// <summary>Connection string of the test database.</summary>
    public string ConnectionString { get; protected set; } = "";

    /// <summary>Points the portal at this database.</summary>
    public void Use(PortalPaymentsBuilder builder)
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            builder.UseSqlite(ConnectionString);
        }
        else
        {
            builder.UsePostgres(ConnectionString);
        }
    }

    /// <summary>Creates the database and applies the migrations.</summary>
    public async Task InitializeAsync()
    {
        await CreateAsync();
        await using var harness = new PortalHarness(this);
        await harness.Services.MigratePortalPaymentsAsync();
    }

    /// <summary>Creates the database without migrating it.</summary>
    public Task CreateEmptyAsync() => CreateAsync();

    /// <summary>Drops the database.</summary>
    public abstract Task DisposeAsync();

    /// <summary>Creates an empty database.</summary>
    protected abstract Task CreateAsync();
}

/// <summary>A temp-file SQLite database.</summary>
public sealed class SqliteDatabase : TestDatabase
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"pp-test-{Guid.NewGuid():N}.db");

    /// <inheritdoc />
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    /// <inheritdoc />
    protected override Task CreateAsync()
    {
        ConnectionString = $"Data Source={_path};Default Timeout=30";
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(f);
        }
        return Task.CompletedTask;
    }
}

/// <summary>A fresh database on the test run's PostgreSQL server.</summary>
public sealed class PostgresDatabase : TestDatabase
{
    private readonly string _name = "pp_" + Guid.NewGuid().ToString("N")[..12];
    private string _admin = "";

    /// <inheritdoc />
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    /// <inheritdoc />
    protected override async Task CreateAsync()
    {
        _admin = await PostgresServer.GetAdminConnectionStringAsync();
        await using var conn = new NpgsqlConnection(_admin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {_name}", conn);
        await cmd.ExecuteNonQueryAsync();
        ConnectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = _name }.ConnectionString;
    }

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(_admin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// The portal's core services on a test database, with a fake clock and a settable user
/// (fakes only at the boundary: the sandbox gateway and demo ERP are the real built-in adapters).
/// </summary>
public sealed class PortalHarness : IAsyncDisposable
{
    private readonly ServiceProvider _root;

    /// <summary>Builds the services; <paramref name="configure"/> may add or replace registrations.</summary>
    public PortalHarness(TestDatabase database, Action<PortalPaymentsBuilder>? configure = null, Action<PortalPaymentsOptions>? options = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton(Users);
        var builder = services.AddPortalPaymentsCore(o =>
        {
            o.RunBackgroundServices = false;
            o.NodeName = "test-" + Guid.NewGuid().ToString("N")[..6];
            options?.Invoke(o);
        });
        database.Use(builder);
        builder.Services.Replace(ServiceDescriptor.Scoped<IPortalUserContext>(sp => sp.GetRequiredService<FakePortalUserContext>()));
        builder.UseSandboxGateway().UseDemoErp(o => o.DefaultInvoiceCount = 40);
        configure?.Invoke(builder);
        _root = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        Scope = _root.CreateAsyncScope();
    }

    /// <summary>The fake clock, starting 2026-03-02 09:00 UTC.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    /// <summary>The settable signed-in user.</summary>
    public FakePortalUserContext Users { get; } = new();

    /// <summary>The root provider, for extra scopes.</summary>
    public IServiceProvider Root => _root;

    /// <summary>A scope, as one Blazor circuit or request would have.</summary>
    public AsyncServiceScope Scope { get; }

    /// <summary>The scope's services.</summary>
    public IServiceProvider Services => Scope.ServiceProvider;

    /// <summary>Resolves a service from the scope.</summary>
    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Signs in a user on <paramref name="accountId"/>.</summary>
    public PortalUser SignIn(string accountId, PortalPermissions permissions = PortalPermissions.Pay, string userId = "user-1")
    {
        Users.User = FakePortalUserContext.UserOn(accountId, permissions, userId);
        return Users.User;
    }

    /// <summary>A fresh account id, so tests sharing one database never see each other's rows.</summary>
    public static string NewAccount() => "T" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Scope.DisposeAsync();
        await _root.DisposeAsync();
    }
}
