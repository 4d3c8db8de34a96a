using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Portal.Payments.Core.Tests.Infrastructure;

/// <summary>
/// A database's schema as sorted, provider-normalised lines (columns with type, nullability, default and collation;
/// keys and constraints; indexes; triggers and trigger functions), so two ways of creating it can be compared line by
/// line whatever order the columns were added in. Migrations history tables are left out; on PostgreSQL the schema's
/// name is written <c>{schema}</c>.
/// </summary>
internal static partial class SchemaDump
{
    /// <summary>The lines of the schema the connection string points at (its SQLite file, or its PostgreSQL search path's first schema).</summary>
    public static async Task<SortedSet<string>> ReadAsync(string connectionString, bool postgres, string? schema = null) =>
        postgres ? await ReadPostgresAsync(connectionString, schema ?? "public") : await ReadSqliteAsync(connectionString);

    private static bool IsHistory(string table) => table.StartsWith("__", StringComparison.Ordinal);

    private static async Task<SortedSet<string>> ReadSqliteAsync(string connectionString)
    {
        var lines = new SortedSet<string>(StringComparer.Ordinal);
        await using var conn = new SqliteConnection(connectionString);
        await conn.OpenAsync();
        var objects = await QueryAsync(conn, "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
        foreach (var o in objects.Where(o => o[0] == "table" && !IsHistory(o[1])))
        {
            var table = o[1];
            var body = o[3];
            foreach (var c in await QueryAsync(conn, $"SELECT name, type, \"notnull\", coalesce(dflt_value, 'NULL'), pk FROM pragma_table_info('{table}')"))
            {
                var collation = ColumnCollation(body, c[0]);
                lines.Add($"table {table} column {c[0]} {c[1]} {(c[2] == "1" ? "NOT NULL" : "NULL")} default={c[3]} pk={c[4]} collate={collation}");
            }
            foreach (var fk in await QueryAsync(conn, $"SELECT \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list('{table}')"))
            {
                lines.Add($"table {table} foreign key ({fk[1]}) references {fk[0]}({fk[2]}) on update {fk[3]} on delete {fk[4]}");
            }
            foreach (var ix in await QueryAsync(conn, $"SELECT name, \"unique\", origin, partial FROM pragma_index_list('{table}')"))
            {
                var columns = await QueryAsync(conn, $"SELECT name, \"desc\", coll FROM pragma_index_xinfo('{ix[0]}') WHERE key = 1 ORDER BY seqno");
                var name = ix[2] == "c" ? ix[0] : $"<{ix[2]}>"; // automatic indexes (pk, unique constraints) have generated names
                lines.Add($"table {table} index {name} unique={ix[1]} partial={ix[3]} ({string.Join(", ", columns.Select(k => $"{k[0]}{(k[1] == "1" ? " DESC" : "")} {k[2]}"))})");
            }
        }
        foreach (var t in objects.Where(o => o[0] == "trigger"))
        {
            lines.Add($"trigger {t[1]} on {t[2]}: {Normalize(t[3])}");
        }
        foreach (var v in objects.Where(o => o[0] == "view"))
        {
            lines.Add($"view {v[1]}: {Normalize(v[3])}");
        }
        return lines;
    }

    /// <summary>The COLLATE clause of a column in its table's CREATE statement (as SQLite keeps it, with later ADD COLUMNs folded in).</summary>
    private static string ColumnCollation(string createTable, string column)
    {
        var m = Regex.Match(createTable, "\"" + Regex.Escape(column) + "\"\\s+[^,()]*?COLLATE\\s+(\\w+)", RegexOptions.IgnoreCase);
        return m.Success ? m.Groups[1].Value.ToUpperInvariant() : "-";
    }

    private static async Task<SortedSet<string>> ReadPostgresAsync(string connectionString, string schema)
    {
        var lines = new SortedSet<string>(StringComparer.Ordinal);
        // Definitions name objects of the search path's schema without it, as the portal's own connections see them.
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ConnectionString);
        await conn.OpenAsync();
        var s = schema.Replace("'", "''", StringComparison.Ordinal);
        string Placeholder(string text) => text.Replace($"{schema}.", "{schema}.", StringComparison.Ordinal).Replace($"\"{schema}\".", "{schema}.", StringComparison.Ordinal);

        foreach (var c in await QueryAsync(conn, $"""
            SELECT table_name, column_name, data_type, coalesce(character_maximum_length::text, '-'), is_nullable,
                   coalesce(column_default, 'NULL'), coalesce(collation_name, '-'), is_identity, coalesce(identity_generation, '-')
            FROM information_schema.columns WHERE table_schema = '{s}' AND table_name NOT LIKE '\_\_%'
            """))
        {
            lines.Add($"table {c[0]} column {c[1]} {c[2]}({c[3]}) {(c[4] == "YES" ? "NULL" : "NOT NULL")} default={Placeholder(c[5])} collate={c[6]} identity={c[7]}/{c[8]}");
        }
        foreach (var k in await QueryAsync(conn, $"""
            SELECT t.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = '{s}' AND t.relname NOT LIKE '\_\_%'
            """))
        {
            lines.Add($"table {k[0]} constraint {k[1]} {k[2]}: {Placeholder(k[3])}");
        }
        foreach (var ix in await QueryAsync(conn, $"SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = '{s}' AND tablename NOT LIKE '\\_\\_%'"))
        {
            lines.Add($"table {ix[0]} index {ix[1]}: {Placeholder(ix[2])}");
        }
        foreach (var t in await QueryAsync(conn, $"""
            SELECT c.relname, tg.tgname, pg_get_triggerdef(tg.oid)
            FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = '{s}' AND NOT tg.tgisinternal
            """))
        {
            lines.Add($"trigger {t[1]} on {t[0]}: {Placeholder(t[2])}");
        }
        foreach (var f in await QueryAsync(conn, $"""
            SELECT p.proname, pg_get_functiondef(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '{s}'
            """))
        {
            lines.Add($"function {f[0]}: {Normalize(Placeholder(f[1]))}");
        }
        return lines;
    }

    /// <summary>Whitespace runs become one space.</summary>
    private static string Normalize(string sql) => Whitespace().Replace(sql, " ").Trim();

    private static async Task<List<string[]>> QueryAsync(DbConnection conn, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
        {
            var row = new string[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "";
            }
            rows.Add(row);
        }
        return rows;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
