using Microsoft.EntityFrameworkCore;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Users;
using Xunit;

namespace Portal.Payments.Core.Tests.Infrastructure;

/// <summary>Seeding and reading helpers for the payment tests (pay now, short pay, deposits, scheduling, the runner).</summary>
internal static class PaymentSeed
{
    /// <summary>The harness clock's date (2026-03-02).</summary>
    public static readonly DateOnly Today = new(2026, 3, 2);

    /// <summary>An invoice to seed.</summary>
    /// <summary>An invoice to seed: dated <paramref name="DocumentDate"/> (default 20 days ago), due <paramref name="DueInDays"/> from today.</summary>
    public sealed record Item(string Number, long OpenMinor, long? DiscountMinor = null, DateOnly? DiscountDate = null, int DueInDays = 30,
        InvoiceStatus Status = InvoiceStatus.Open, OpenItemType Type = OpenItemType.Invoice, DateOnly? DocumentDate = null);

    public static string Key() => Guid.NewGuid().ToString("N");

    public static Money Usd(decimal amount) => Money.Create(amount, "USD");

    public static PortalHarness Harness(TestDatabase db, out string account, PortalPermissions permissions = PortalPermissions.Pay,
        Action<PortalPaymentsBuilder>? configure = null, Action<PortalPaymentsOptions>? options = null)
    {
        var h = new PortalHarness(db, configure, options);
        account = PortalHarness.NewAccount();
        h.Users.User = Testing.FakePortalUserContext.UserOn(account, permissions, name: "Pat Payer");
        return h;
    }

    public static async Task<long[]> InvoicesAsync(PortalHarness h, string account, params Item[] items)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var rows = items.Select(i => new InvoiceRecord
        {
            AccountId = account,
            ExternalId = "X-" + i.Number,
            Number = i.Number,
            NumberKey = SearchKeys.Normalize(i.Number, 64),
            Type = i.Type,
            DocumentDate = i.DocumentDate ?? Today.AddDays(-20),
            DueDate = Today.AddDays(i.DueInDays),
            Currency = "USD",
            OriginalMinor = Math.Abs(i.OpenMinor),
            OpenMinor = i.OpenMinor,
            DiscountMinor = i.DiscountMinor,
            DiscountDate = i.DiscountDate,
            IsOpen = true,
            Status = i.Status,
            SyncedAt = h.Clock.GetUtcNow().UtcDateTime,
        }).ToList();
        db.Invoices.AddRange(rows);
        await db.SaveChangesAsync();
        return rows.Select(r => r.Id).ToArray();
    }

    public static async Task<PaymentMethodView> CardAsync(PortalHarness h, string number = "4242424242424242")
    {
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput(number, 12, 2030, "123", "Pat Payer", "02139"));
        Assert.True(captured.Succeeded, captured.Message);
        return await h.Get<PaymentMethodService>().AddCardAsync(new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Key()));
    }

    public static async Task<PaymentMethodView> BankAsync(PortalHarness h, string accountNumber = "000123456789")
    {
        var methods = h.Get<PaymentMethodService>();
        var captured = h.Get<SandboxGateway>().CaptureBankAccount(new SandboxBankInput("110000000", accountNumber, "Acme AP", BankAccountType.Checking, BankAccountHolderType.Business));
        Assert.True(captured.Succeeded, captured.Message);
        return await methods.AddBankAccountAsync(new AddBankAccountRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.BankAccount), null, Key(),
            new AchSignature("Pat Payer", true, methods.CurrentAgreement.Version)));
    }

    /// <summary>The stored row of a payment method (deleted or not).</summary>
    public static async Task<PaymentMethodRecord> MethodRowAsync(PortalHarness h, Guid id)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.PaymentMethods.AsNoTracking().SingleAsync(m => m.Id == id);
    }

    public static async Task<List<InvoiceRecord>> InvoiceRowsAsync(PortalHarness h, IEnumerable<long> ids)
    {
        var list = ids.ToList();
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.Invoices.AsNoTracking().Where(i => list.Contains(i.Id)).OrderBy(i => i.Id).ToListAsync();
    }

    public static async Task<List<PaymentRecord>> PaymentsAsync(PortalHarness h, string account)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.Payments.AsNoTracking().Include(p => p.Allocations).Where(p => p.AccountId == account).OrderBy(p => p.CreatedAt).ToListAsync();
    }

    public static async Task<List<SandboxChargeRecord>> ChargesAsync(PortalHarness h, string account)
    {
        await using var db = await h.Get<IDbContextFactory<SandboxGatewayDbContext>>().CreateDbContextAsync();
        return await db.SandboxCharges.AsNoTracking()
            .Where(c => c.AccountId == account).Where(SandboxGateway.MovedMoney)
            .ToListAsync();
    }

    /// <summary>Sandbox charges of the account that moved money.</summary>
    public static async Task<int> ChargeCountAsync(PortalHarness h, string account) => (await ChargesAsync(h, account)).Count;

    public static async Task<List<OutboxMessageRecord>> OutboxAsync(PortalHarness h, string account, OutboxKind kind)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.Outbox.AsNoTracking().Where(m => m.AccountId == account && m.Kind == kind).ToListAsync();
    }

    public static async Task<List<Notifications.PortalEmail>> EmailsAsync(PortalHarness h, string account)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var rows = await db.Outbox.AsNoTracking().Where(m => m.AccountId == account && m.Kind == OutboxKind.Email).OrderBy(m => m.CreatedAt).ToListAsync();
        return rows.Select(m => System.Text.Json.JsonSerializer.Deserialize<Notifications.PortalEmail>(m.PayloadJson, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!).ToList();
    }

    public static async Task<int> OutboxCountAsync(PortalHarness h, string account, OutboxKind kind)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.Outbox.CountAsync(m => m.AccountId == account && m.Kind == kind);
    }
}
