using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.DemoErp;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// The first release's migrations — one Initial per provider for the portal (features added since come as migrations on top
/// of it), the sandbox gateway and the demo ERP — create the schema the pre-release chain of migrations created (captured in Schema/before-squash.*.txt from that chain), keep
/// its raw SQL (the ACH triggers), and refuse a database a pre-release build created.
/// </summary>
public abstract class MigrationSchemaTests(TestDatabase database)
{
    private bool Postgres => database.Provider == DatabaseProvider.Postgres;

    /// <summary>
    /// What the squash changed on purpose, as (line of the pre-release chain, line now). The chain's ADD COLUMNs gave
    /// NOT NULL columns a default to fill rows that existed then; the model has no such default and every write sets them.
    /// On PostgreSQL the ACH guard function is pinned to the portal's schema (SET search_path FROM CURRENT).
    /// </summary>
    private IEnumerable<(string Before, string Now)> IntendedChanges()
    {
        string[] keys = ["pp_invoices NumberKey", "pp_invoices PoKey", "pp_invoices ReferenceKey", "pp_payment_allocations InvoiceNumberKey",
            "pp_payments MemoKey", "pp_payments MethodKey", "pp_payments PaidByKey", "pp_payments ReceiptKey"];
        foreach (var key in keys)
        {
            var (table, column) = (key.Split(' ')[0], key.Split(' ')[1]);
            yield return Postgres
                ? ($"table {table} column {column} character varying({Length(column)}) NOT NULL default=''::character varying collate=C identity=NO/-",
                   $"table {table} column {column} character varying({Length(column)}) NOT NULL default=NULL collate=C identity=NO/-")
                : ($"table {table} column {column} TEXT NOT NULL default='' pk=0 collate=BINARY",
                   $"table {table} column {column} TEXT NOT NULL default=NULL pk=0 collate=BINARY");
        }
        yield return Postgres
            ? ("table pp_payments column StatusChecks integer(-) NOT NULL default=0 collate=- identity=NO/-",
               "table pp_payments column StatusChecks integer(-) NOT NULL default=NULL collate=- identity=NO/-")
            : ("table pp_payments column StatusChecks INTEGER NOT NULL default=0 pk=0 collate=-",
               "table pp_payments column StatusChecks INTEGER NOT NULL default=NULL pk=0 collate=-");
        if (Postgres)
        {
            // On SQLite the chain rebuilt this table later, which dropped its default.
            yield return ("table pp_saved_views column OwnerName character varying(200) NOT NULL default=''::character varying collate=- identity=NO/-",
                "table pp_saved_views column OwnerName character varying(200) NOT NULL default=NULL collate=- identity=NO/-");
            const string Head = "function pp_ach_authorizations_guard: CREATE OR REPLACE FUNCTION {schema}.pp_ach_authorizations_guard() RETURNS trigger LANGUAGE plpgsql";
            const string Body = " AS $function$ BEGIN IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'ACH authorizations are immutable'; END IF; IF NOT EXISTS (SELECT 1 FROM pp_ach_revocations r WHERE r.\"AuthorizationId\" = OLD.\"Id\" AND r.\"RetainUntil\" < now()) THEN RAISE EXCEPTION 'ACH authorizations are kept until two years after revocation'; END IF; RETURN OLD; END $function$";
            yield return (Head + Body, Head + " SET search_path TO '{schema}'" + Body);
        }
    }

    private static int Length(string column) => column switch
    {
        "ReceiptKey" => 32,
        "NumberKey" or "PoKey" or "InvoiceNumberKey" => 64,
        _ => 200,
    };

    [Fact]
    public async Task The_squashed_Initial_migration_creates_the_schema_the_pre_release_chain_created()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "Schema", $"before-squash.{(Postgres ? "postgres" : "sqlite")}.txt");
        var before = new SortedSet<string>(await File.ReadAllLinesAsync(file), StringComparer.Ordinal);
        // A new database taken to the portal's Initial migration only (later migrations add features on top of it).
        TestDatabase fresh = Postgres ? new PostgresDatabase() : new SqliteDatabase();
        await fresh.CreateEmptyAsync();
        SortedSet<string> now;
        try
        {
            await using (var h = new PortalHarness(fresh))
            {
                await using var core = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
                var initial = core.Database.GetMigrations().First();
                Assert.EndsWith("_Initial", initial, StringComparison.Ordinal);
                await core.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(initial);
                await using var sandbox = await h.Get<IDbContextFactory<SandboxGatewayDbContext>>().CreateDbContextAsync();
                await sandbox.Database.MigrateAsync();
                await using var demo = await h.Get<IDbContextFactory<DemoErpDbContext>>().CreateDbContextAsync();
                await demo.Database.MigrateAsync();
            }
            now = await SchemaDump.ReadAsync(fresh.ConnectionString, Postgres);
        }
        finally
        {
            await fresh.DisposeAsync();
        }
        // The dump names the search path's schema {schema}; the fixture's database uses public.
        now = new SortedSet<string>(now.Select(l => l.Replace("SET search_path TO 'public'", "SET search_path TO '{schema}'", StringComparison.Ordinal)), StringComparer.Ordinal);

        var intended = IntendedChanges().ToList();
        foreach (var (was, becomes) in intended)
        {
            Assert.True(before.Remove(was), $"The pre-release schema has no line '{was}' (the intended change is stale).");
            before.Add(becomes);
        }
        var missing = before.Except(now).ToList();
        var extra = now.Except(before).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"The squashed {database.Provider} Initial migration differs from the pre-release chain.\nMissing now:\n  {string.Join("\n  ", missing)}\nNew now:\n  {string.Join("\n  ", extra)}");
        // The sandbox's and the demo ERP's own migrations made their tables, as the chain did.
        Assert.Contains(now, l => l.StartsWith("table pp_sandbox_charges index IX_pp_sandbox_charges_IdempotencyKey", StringComparison.Ordinal));
        Assert.Contains(now, l => l.StartsWith("table pp_demo_erp_postings column", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_context_starts_from_one_Initial_migration_is_fully_applied_and_keeps_its_own_history_table()
    {
        await using var h = new PortalHarness(database);
        await using var core = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        await using var sandbox = await h.Get<IDbContextFactory<SandboxGatewayDbContext>>().CreateDbContextAsync();
        await using var demo = await h.Get<IDbContextFactory<DemoErpDbContext>>().CreateDbContextAsync();
        foreach (DbContext db in new DbContext[] { core, sandbox, demo })
        {
            var migrations = db.Database.GetMigrations().ToList();
            Assert.True(migrations.Count >= 1 && migrations[0].EndsWith("_Initial", StringComparison.Ordinal)
                && migrations.Count(m => m.EndsWith("_Initial", StringComparison.Ordinal)) == 1, $"{db.GetType().Name}: {string.Join(", ", migrations)}");
            Assert.Equal(migrations, await db.Database.GetAppliedMigrationsAsync());
            Assert.False(db.Database.HasPendingModelChanges(), $"{db.GetType().Name}'s migrations are behind its model: add a migration.");
        }
        var tables = (await SchemaTablesAsync(database.ConnectionString)).ToList();
        Assert.Contains(PortalDatabase.MigrationsHistoryTable, tables);
        Assert.Contains(SandboxGatewayDbContext.MigrationsHistoryTable, tables);
        Assert.Contains(DemoErpDbContext.MigrationsHistoryTable, tables);
        Assert.DoesNotContain("__EFMigrationsHistory", tables);
    }

    [Fact]
    public async Task The_database_refuses_to_change_an_ACH_authorization_and_to_delete_it_before_its_retention_ends()
    {
        await using var h = new PortalHarness(database);
        var id = await AddAuthorizationAsync(h);
        await using var conn = Open(database.ConnectionString);

        var update = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync(conn, $"UPDATE pp_ach_authorizations SET \"SignerName\" = 'Forged' WHERE \"Id\" = {Literal(id)}"));
        Assert.Contains("ACH authorizations are immutable", update.Message, StringComparison.Ordinal);
        var delete = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync(conn, $"DELETE FROM pp_ach_authorizations WHERE \"Id\" = {Literal(id)}"));
        Assert.Contains("kept until two years after revocation", delete.Message, StringComparison.Ordinal);

        // Revoked, but still inside the two years: kept.
        await ExecuteAsync(conn, $"INSERT INTO pp_ach_revocations (\"AuthorizationId\", \"RevokedAt\", \"UserId\", \"RetainUntil\") VALUES ({Literal(id)}, {Time(-1)}, 'u', {Time(+700)})");
        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync(conn, $"DELETE FROM pp_ach_authorizations WHERE \"Id\" = {Literal(id)}"));
        // Past its retention it may go.
        await ExecuteAsync(conn, $"UPDATE pp_ach_revocations SET \"RetainUntil\" = {Time(-1)} WHERE \"AuthorizationId\" = {Literal(id)}");
        Assert.Equal(1, await ExecuteAsync(conn, $"DELETE FROM pp_ach_authorizations WHERE \"Id\" = {Literal(id)}"));
    }

    [Fact]
    public async Task A_database_made_by_a_pre_release_build_is_refused_with_a_message_saying_so()
    {
        TestDatabase old = Postgres ? new PostgresDatabase() : new SqliteDatabase();
        await old.CreateEmptyAsync();
        try
        {
            await using (var conn = Open(old.ConnectionString))
            {
                await ExecuteAsync(conn, "CREATE TABLE pp_payments (\"Id\" integer PRIMARY KEY)");
            }
            await using var h = new PortalHarness(old);
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Services.MigratePortalPaymentsAsync());
            Assert.Contains("pre-release build", ex.Message, StringComparison.Ordinal);
            Assert.Contains("__pp_migrations", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            await old.DisposeAsync();
        }
    }

    /// <summary>Adds a bank account through the service, which signs its ACH authorization; answers the authorization's id.</summary>
    internal static async Task<Guid> AddAuthorizationAsync(PortalHarness h)
    {
        h.SignIn(PortalHarness.NewAccount());
        var captured = h.Get<SandboxGateway>().CaptureBankAccount(new SandboxBankInput("110000000", "000123456789", "Acme AP", Gateways.BankAccountType.Checking, Gateways.BankAccountHolderType.Business));
        var methods = h.Get<Services.PaymentMethodService>();
        var method = await methods.AddBankAccountAsync(new(new Gateways.CapturedPaymentMethod(captured.Method!.Token, Gateways.PaymentMethodType.BankAccount), null,
            Guid.NewGuid().ToString("N"), new Services.AchSignature("Pat Payer", true, methods.CurrentAgreement.Version)));
        return Assert.Single(await methods.GetAchAuthorizationsAsync(method.Id)).Id;
    }

    private string Literal(Guid id) => Postgres ? $"'{id}'::uuid" : $"'{id.ToString().ToUpperInvariant()}'";

    private string Time(int days)
    {
        var at = DateTime.UtcNow.AddDays(days);
        return Postgres ? $"'{at:yyyy-MM-dd HH:mm:ss}+00'::timestamptz" : $"'{at:yyyy-MM-dd HH:mm:ss.fffffff}'";
    }

    internal DbConnection Open(string connectionString) => Open(connectionString, Postgres);

    internal static DbConnection Open(string connectionString, bool postgres)
    {
        DbConnection conn = postgres ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        conn.Open();
        return conn;
    }

    internal static async Task<int> ExecuteAsync(DbConnection conn, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteNonQueryAsync();
    }

    private async Task<IEnumerable<string>> SchemaTablesAsync(string connectionString)
    {
        await using var conn = Open(connectionString);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = Postgres
            ? "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            : "SELECT name FROM sqlite_master WHERE type = 'table'";
        var names = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }
}

public sealed class MigrationSchemaTests_Sqlite(SqliteDatabase db) : MigrationSchemaTests(db), IClassFixture<SqliteDatabase>;

public sealed class MigrationSchemaTests_Postgres(PostgresDatabase db) : MigrationSchemaTests(db), IClassFixture<PostgresDatabase>;
