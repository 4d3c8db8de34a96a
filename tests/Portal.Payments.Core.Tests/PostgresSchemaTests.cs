using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Services.Payments;
using Portal.Payments.Sync;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// <c>Database:Schema</c> on a real PostgreSQL: every table, the migrations history tables and the ACH guard's trigger
/// function live in the configured schema, nothing in public, and the portal works there.
/// </summary>
public sealed class PostgresSchemaTests : IAsyncLifetime
{
    private const string Schema = "portal_pay";
    private readonly PostgresDatabase _inSchema = new();
    private readonly PostgresDatabase _inPublic = new();

    public async Task InitializeAsync()
    {
        await _inSchema.CreateEmptyAsync();
        await _inPublic.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _inSchema.DisposeAsync();
        await _inPublic.DisposeAsync();
    }

    [Fact]
    public async Task A_configured_schema_holds_every_table_the_history_tables_and_the_trigger_function_and_the_portal_works_in_it()
    {
        await using var h = Harness(_inSchema, out var account, options: o => o.Database.Schema = Schema);
        await h.Services.MigratePortalPaymentsAsync();
        await h.Services.MigratePortalPaymentsAsync(); // again: nothing to do

        // The same schema as in public, moved: nothing of the portal's in public.
        var moved = await SchemaDump.ReadAsync(_inSchema.ConnectionString, postgres: true, Schema);
        var reference = await SchemaDump.ReadAsync(_inPublic.ConnectionString, postgres: true, "public");
        string Neutral(string line, string schema) => line.Replace($"SET search_path TO '{schema}'", "SET search_path TO '{schema}'", StringComparison.Ordinal);
        Assert.Equal(reference.Select(l => Neutral(l, "public")), moved.Select(l => Neutral(l, Schema)));
        Assert.Empty(await SchemaDump.ReadAsync(_inSchema.ConnectionString, postgres: true, "public"));
        await using (var conn = new NpgsqlConnection(_inSchema.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT schemaname || '.' || tablename FROM pg_tables WHERE tablename LIKE '\\_\\_%' ORDER BY 1", conn);
            var history = new List<string>();
            await using (var reader = await cmd.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    history.Add(reader.GetString(0));
                }
            }
            Assert.Equal([$"{Schema}.__pp_demo_erp_migrations", $"{Schema}.__pp_migrations", $"{Schema}.__pp_sandbox_migrations"], history);
        }

        // The portal works there: the demo ERP's items synced, a card stored and charged, a bank account signed.
        await h.Get<ErpSyncService>().SyncAccountAsync(account);
        var ids = await InvoicesAsync(h, account, new Item("INV-SCHEMA-1", 12_500));
        var card = await CardAsync(h);
        var outcome = await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()));
        Assert.Equal(PaymentStatus.Succeeded, outcome.Status);
        var authorization = await MigrationSchemaTests.AddAuthorizationAsync(h);

        // The ACH guard finds its revocations table from a connection with the default search path too.
        var plain = new NpgsqlConnectionStringBuilder(_inSchema.ConnectionString) { SearchPath = null }.ConnectionString;
        await using var other = MigrationSchemaTests.Open(plain, postgres: true);
        var refused = await Assert.ThrowsAnyAsync<PostgresException>(() =>
            MigrationSchemaTests.ExecuteAsync(other, $"DELETE FROM {Schema}.pp_ach_authorizations WHERE \"Id\" = '{authorization}'::uuid"));
        Assert.Contains("kept until two years after revocation", refused.MessageText, StringComparison.Ordinal);
    }

    // Review (vendor embedding): several nodes deployed together each run MigratePortalPaymentsAsync() at start, as the host
    // guide's Program.cs does, against the same new database and schema. They raced to create the same tables ("relation
    // IX_pp_invoices_NumberKey_trgm already exists", "duplicate key … PK___pp_migrations"), and all but one failed to start.
    [Fact]
    public async Task Three_nodes_starting_at_once_migrate_a_new_schema_together_and_each_starts()
    {
        var fresh = new PostgresDatabase();
        await fresh.CreateEmptyAsync();
        try
        {
            var nodes = Enumerable.Range(0, 3).Select(i => Harness(fresh, out _, options: o => o.Database.Schema = Schema)).ToList();
            try
            {
                var failures = new List<Exception>();
                await Task.WhenAll(nodes.Select(async node =>
                {
                    try
                    {
                        await Task.Yield();
                        await node.Services.MigratePortalPaymentsAsync();
                    }
                    catch (Exception ex)
                    {
                        lock (failures)
                        {
                            failures.Add(ex);
                        }
                    }
                }));
                Assert.True(failures.Count == 0, "A node failed to migrate while the others did:\n" + string.Join("\n---\n", failures));
                await using var db = await nodes[0].Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
                Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            }
            finally
            {
                foreach (var node in nodes)
                {
                    await node.DisposeAsync();
                }
            }
        }
        finally
        {
            await fresh.DisposeAsync();
        }
    }

    /// <summary>The database as another role sees it (trust authentication: the role needs no password).</summary>
    private sealed class AsRole(PostgresDatabase database, string role) : TestDatabase
    {
        public override DatabaseProvider Provider => DatabaseProvider.Postgres;

        protected override Task CreateAsync()
        {
            ConnectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role }.ConnectionString;
            return Task.CompletedTask;
        }

        public override Task DisposeAsync() => Task.CompletedTask;
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a fresh database as a role that may only use and create in <see cref="Schema"/>
    /// (created for it), not create anything else in the database, as a host's DBA sets one up; pg_trgm is installed in
    /// <paramref name="trgmSchema"/> first when given (created when not public; the role gets no rights there). The role
    /// and the database are dropped afterwards.
    /// </summary>
    private static async Task AsRestrictedRoleAsync(string? trgmSchema, Func<PostgresDatabase, TestDatabase, Task> body)
    {
        var database = new PostgresDatabase();
        await database.CreateEmptyAsync();
        var role = "pp_app_" + Guid.NewGuid().ToString("N")[..10];
        try
        {
            await AdminAsync(database, $"CREATE ROLE {role} LOGIN; CREATE SCHEMA {Schema}; GRANT USAGE, CREATE ON SCHEMA {Schema} TO {role};"
                + (trgmSchema is null ? "" : trgmSchema == "public" ? " CREATE EXTENSION pg_trgm SCHEMA public;"
                    : $" CREATE SCHEMA {trgmSchema}; CREATE EXTENSION pg_trgm SCHEMA {trgmSchema};"));
            var asRole = new AsRole(database, role);
            await asRole.CreateEmptyAsync();
            await body(database, asRole);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync(database, $"DROP OWNED BY {role}; DROP ROLE IF EXISTS {role};");
            await database.DisposeAsync();
        }
    }

    private static async Task AdminAsync(PostgresDatabase database, string sql)
    {
        await using var admin = new NpgsqlConnection(database.ConnectionString);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, admin);
        await cmd.ExecuteNonQueryAsync();
    }

    // Review (vendor embedding): with pg_trgm already in public (a superuser installed it, or the host's own app uses it),
    // the migration skipped creating it and then named its operator class unqualified, which the portal's connections
    // (searching only the portal's schema) could not find: the host could not start, its database half migrated.
    [Fact]
    public async Task A_role_limited_to_its_schema_migrates_using_pg_trgm_already_installed_in_public_and_contains_search_works() =>
        await AsRestrictedRoleAsync("public", async (database, asRole) =>
        {
            await using var h = Harness(asRole, out var account, options: o => o.Database.Schema = Schema);
            await h.Services.MigratePortalPaymentsAsync();

            await InvoicesAsync(h, account, new Item("INV-TRGM-4711", 1_000), new Item("INV-OTHER-1", 2_000));
            var found = await h.Get<InvoiceQueryService>().QueryAsync(new InvoiceQuery { Search = "RGM-471", Take = 50 });
            Assert.Equal(["INV-TRGM-4711"], found.Items.Select(r => r.Number));
            await using var conn = new NpgsqlConnection(database.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                $"SELECT indexdef FROM pg_indexes WHERE schemaname = '{Schema}' AND indexname = 'IX_pp_invoices_NumberKey_trgm'", conn);
            Assert.Contains("gin_trgm_ops", (string)(await cmd.ExecuteScalarAsync())!);   // the index is there, on the extension in public
        });

    [Fact]
    public async Task A_role_that_may_not_create_pg_trgm_is_told_what_to_run_when_migrating() =>
        await AsRestrictedRoleAsync(null, async (database, asRole) =>
        {
            await using var h = Harness(asRole, out _, options: o => o.Database.Schema = Schema);
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => h.Services.MigratePortalPaymentsAsync());
            var message = refused is PostgresException pg ? pg.MessageText : refused.ToString();
            Assert.Contains("needs the PostgreSQL extension pg_trgm", message);
            Assert.Contains("CREATE EXTENSION pg_trgm", message);
        });

    [Fact]
    public async Task A_role_that_may_not_use_the_schema_pg_trgm_is_in_is_told_what_to_grant() =>
        await AsRestrictedRoleAsync("pp_extensions", async (database, asRole) =>
        {
            await using var h = Harness(asRole, out _, options: o => o.Database.Schema = Schema);
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => h.Services.MigratePortalPaymentsAsync());
            var message = refused is PostgresException pg ? pg.MessageText : refused.ToString();
            Assert.Contains("installed in schema pp_extensions", message);
            Assert.Contains("GRANT USAGE ON SCHEMA pp_extensions", message);
        });
}
