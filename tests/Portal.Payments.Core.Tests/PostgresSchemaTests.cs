using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
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
}
