using Microsoft.EntityFrameworkCore;

namespace Portal.Payments.Data;

/// <summary>What a failed database write was, on either provider.</summary>
internal static class DbErrors
{
    /// <summary>
    /// True when a unique index refused the write (another tab or node wrote the same key first): SQLite's
    /// SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY, PostgreSQL's 23505. Anything else (a lost connection, a full disk) is a
    /// failure the caller must not word as "already exists".
    /// </summary>
    public static bool IsUniqueViolation(DbUpdateException exception) => exception.InnerException switch
    {
        Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 } => true,
        Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation } => true,
        _ => false,
    };
}
