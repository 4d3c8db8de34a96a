using Microsoft.Data.Sqlite;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>Payments for history and receipt tests, written into the running sample host's database.</summary>
public static class PaymentSeed
{
    /// <summary>
    /// Writes a succeeded payment of $123.45 for <paramref name="invoiceNumber"/> straight into the host's SQLite database
    /// (the pay flow itself has its own browser test), returning its id and receipt number ("R-{tag}-…").
    /// The migrations give the columns no defaults, so every NOT NULL column of pp_payments is written here
    /// (compare the table in the Sqlite *_Initial and *_FeesAndAutopay migrations). <paramref name="gatewayReference"/> is
    /// the gateway's id of the charge the receipt shows (none by default).
    /// </summary>
    public static async Task<(Guid Id, string Receipt)> InsertPaymentAsync(HostSiteFixture host, string accountId, string invoiceNumber, string receiptTag,
        string? gatewayReference = null)
    {
        var id = Guid.NewGuid();
        var receipt = $"R-{receiptTag}-" + id.ToString("N")[..8].ToUpperInvariant();
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(host.DataDirectory, "portal.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO pp_payments (Id, AccountId, Kind, Status, Currency, AmountMinor, DiscountMinor, ShortMinor, MethodDescription,
                IdempotencyKey, GatewayKey, GatewayReference, ReceiptNumber, ReceiptKey, MemoKey, MethodKey, PaidByKey, CreatedByUserId, CreatedByName, CreatedByEmail, CreatedAt, InvoiceCount, Attempts,
                StatusChecks, FeeMinor)
            VALUES ($id, $account, 1, 3, 'USD', 12345, 0, 0, 'Visa •••• 4242', $key, 'sandbox', $reference, $receipt, $receipt, '', 'VISA •••• 4242', 'PAT', 'pat', 'Pat', 'pat@example.test',
                '2026-03-02 09:00:00', 1, 1, 0, 0);
            INSERT INTO pp_payment_allocations (PaymentId, InvoiceId, InvoiceExternalId, InvoiceNumber, InvoiceNumberKey, InvoiceType,
                OpenBalanceMinor, DiscountMinor, ShortMinor, AppliedMinor)
            VALUES ($id, 1, $number, $number, $number, 1, 12345, 0, 0, 12345);
            """;
        command.Parameters.AddWithValue("$id", id.ToString().ToUpperInvariant());
        command.Parameters.AddWithValue("$account", accountId);
        command.Parameters.AddWithValue("$key", id.ToString("N"));
        command.Parameters.AddWithValue("$receipt", receipt);
        command.Parameters.AddWithValue("$number", invoiceNumber);
        command.Parameters.AddWithValue("$reference", (object?)gatewayReference ?? DBNull.Value);
        await command.ExecuteNonQueryAsync();
        return (id, receipt);
    }
}
