using AngleSharp.Dom;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Ui.Components;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>
/// A <see cref="PortalTestContext"/> for the payment-method components: the clock is pinned to
/// <see cref="Today"/> (a <see cref="FakeTimeProvider"/> registered before the portal), so "expires
/// within 30 days" and "expired" do not depend on the day the tests run. Helpers store methods through
/// the real <see cref="PaymentMethodService"/> and find things the way a person does (labels, button names).
/// </summary>
public abstract class PaymentMethodTestContext : PortalTestContext
{
    /// <summary>"Now" for every payment-method test: 10 March 2027, noon UTC.</summary>
    protected static readonly DateTimeOffset Today = new(2027, 3, 10, 12, 0, 0, TimeSpan.Zero);

    /// <summary>How long to wait for async work (real SQLite) to show up.</summary>
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The pinned clock.</summary>
    protected FakeTimeProvider Clock { get; } = new(Today);

    protected PaymentMethodTestContext()
    {
        // The core registers TimeProvider.System with TryAdd: this one, added first, wins.
        Services.AddSingleton<TimeProvider>(Clock);
    }

    /// <summary>The real service, as the components get it.</summary>
    protected PaymentMethodService Methods => Services.GetRequiredService<PaymentMethodService>();

    /// <summary>Registers the portal, creates the database and signs in a user.</summary>
    protected async Task StartAsync(PortalPermissions permissions = PortalPermissions.Pay, Action<PortalPaymentsOptions>? configure = null)
    {
        await AddPortalAndMigrateAsync(configure, invoiceCount: 3);
        Users.SignIn(permissions);
    }

    /// <summary>Stores a card (the signed-in user must have Pay).</summary>
    protected async Task<PaymentMethodView> AddCardAsync(string number = "4242424242424242", int month = 12, int year = 2030, string? nickname = null)
    {
        var capture = Services.GetRequiredService<SandboxGateway>()
            .CaptureCard(new SandboxCardInput(number, month, year, "123", "Jane Doe", "94107"));
        Assert.True(capture.Succeeded, capture.Message);
        return await Methods.AddCardAsync(new AddCardRequest(
            new CapturedPaymentMethod(capture.Method!.Token, PaymentMethodType.Card), nickname, Guid.NewGuid().ToString("N")));
    }

    /// <summary>Stores a checking account ending 6789 with a signed ACH authorization.</summary>
    protected async Task<PaymentMethodView> AddBankAccountAsync(string account = "000123456789")
    {
        var capture = Services.GetRequiredService<SandboxGateway>().CaptureBankAccount(
            new SandboxBankInput("110000000", account, "Acme Industrial Supply", BankAccountType.Checking, BankAccountHolderType.Business));
        Assert.True(capture.Succeeded, capture.Message);
        return await Methods.AddBankAccountAsync(new AddBankAccountRequest(
            new CapturedPaymentMethod(capture.Method!.Token, PaymentMethodType.BankAccount), null, Guid.NewGuid().ToString("N"),
            new AchSignature("Pat Payer", true, Methods.CurrentAgreement.Version)));
    }

    /// <summary>
    /// Writes a card row straight into the database (the service refuses past expiry dates, so this is
    /// how an expired card exists: it was stored while still valid).
    /// </summary>
    protected async Task<Guid> InsertCardRowAsync(int month, int year, string last4, string brand = "Mastercard", bool isDefault = false)
    {
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var created = Today.UtcDateTime.AddDays(-400);
        var row = new PaymentMethodRecord
        {
            Id = Guid.NewGuid(),
            AccountId = AccountId,
            GatewayKey = SandboxGateway.GatewayKey,
            Token = $"sbx_pm_card_ok_{Guid.NewGuid():N}",
            Type = PaymentMethodType.Card,
            BrandOrBank = brand,
            Last4 = last4,
            ExpiryMonth = month,
            ExpiryYear = year,
            HolderName = "Jane Doe",
            BillingPostalCode = "94107",
            IsDefault = isDefault,
            CreatedAt = created,
            UpdatedAt = created,
            CreatedByUserId = "u-pay",
        };
        db.PaymentMethods.Add(row);
        await db.SaveChangesAsync();
        return row.Id;
    }

    /// <summary>Writes a scheduled payment that will be paid with <paramref name="methodId"/>.</summary>
    protected async Task InsertScheduledPaymentAsync(Guid methodId, string receiptNumber, DateOnly scheduledFor, long amountMinor = 125_000)
    {
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        db.Payments.Add(new PaymentRecord
        {
            Id = Guid.NewGuid(),
            AccountId = AccountId,
            Kind = PaymentKind.InvoicePayment,
            Status = PaymentStatus.Scheduled,
            Currency = "USD",
            AmountMinor = amountMinor,
            PaymentMethodId = methodId,
            MethodDescription = "Sandbox Bank checking •••• 6789",
            ScheduledFor = scheduledFor,
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            GatewayKey = SandboxGateway.GatewayKey,
            ReceiptNumber = receiptNumber,
            CreatedByUserId = "u-pay",
            CreatedByName = "Pat Payer",
            CreatedByEmail = "user@acme.invalid",
            CreatedAt = Today.UtcDateTime,
            InvoiceCount = 1,
        });
        await db.SaveChangesAsync();
    }

    /// <summary>Renders the "Payment methods" manager and waits for its list (or its empty message).</summary>
    protected IRenderedComponent<PaymentMethodsManager> RenderManager()
    {
        var cut = Render<PaymentMethodsManager>();
        cut.WaitForAssertion(
            () => Assert.NotEmpty(cut.FindAll("[data-testid=methods], [data-testid=methods-empty]")),
            Timeout);
        return cut;
    }

    /// <summary>The manager's one row whose heading starts with <paramref name="display"/> ("Visa •••• 4242").</summary>
    protected static IElement RowFor(IRenderedComponent<PaymentMethodsManager> cut, string display)
    {
        var rows = cut.FindAll("[data-testid=method-row]")
            .Where(r => r.QuerySelector("th[scope=row]")!.TextContent.Trim().StartsWith(display, StringComparison.Ordinal))
            .ToList();
        Assert.True(rows.Count == 1, $"Expected one row for '{display}', found {rows.Count}:\n{cut.Markup}");
        return rows[0];
    }

    /// <summary>The status word of a manager row.</summary>
    protected static string Status(IElement row) => row.QuerySelector("[data-testid=method-status]")!.TextContent.Trim();

    /// <summary>The input a visible label names (label[for] → id), as a person or screen reader finds it.</summary>
    protected static IElement Input<T>(IRenderedComponent<T> cut, string label) where T : IComponent
    {
        var matches = cut.FindAll("label").Where(x => x.TextContent.Trim() == label).ToList();
        Assert.True(matches.Count == 1, $"Expected one label '{label}', found {matches.Count}:\n{cut.Markup}");
        var id = matches[0].GetAttribute("for");
        Assert.False(string.IsNullOrEmpty(id), $"The label '{label}' is not tied to an input.");
        return cut.Find($"#{id}");
    }

    /// <summary>The error message a field points at through aria-describedby (an alert).</summary>
    protected static IElement ErrorFor<T>(IRenderedComponent<T> cut, IElement input) where T : IComponent
    {
        var describedBy = input.GetAttribute("aria-describedby");
        Assert.False(string.IsNullOrEmpty(describedBy), $"#{input.Id} points at no error message:\n{cut.Markup}");
        var error = cut.Find($"#{describedBy}");
        Assert.Equal("alert", error.GetAttribute("role"));
        Assert.Equal("true", input.GetAttribute("aria-invalid"));
        return error;
    }

    /// <summary>The text of the error message the field labelled <paramref name="label"/> points at.</summary>
    protected static string ErrorText<T>(IRenderedComponent<T> cut, string label) where T : IComponent =>
        ErrorFor(cut, Input(cut, label)).TextContent.Trim();

    /// <summary>A button's accessible name: aria-label, else its visible text (Radzen puts it in .rz-button-text).</summary>
    protected static string ButtonName(IElement button) =>
        button.GetAttribute("aria-label")
        ?? button.QuerySelector(".rz-button-text")?.TextContent.Trim()
        ?? button.TextContent.Trim();

    /// <summary>The buttons named <paramref name="name"/> inside <paramref name="scope"/>.</summary>
    protected static IReadOnlyList<IElement> Buttons(IParentNode scope, string name) =>
        scope.QuerySelectorAll("button").Where(b => ButtonName(b) == name).ToList();

    /// <summary>The one button named <paramref name="name"/> in the rendered component.</summary>
    protected static IElement Button<T>(IRenderedComponent<T> cut, string name) where T : IComponent
    {
        var buttons = cut.FindAll("button").Where(b => ButtonName(b) == name).ToList();
        Assert.True(buttons.Count == 1, $"Expected one button named '{name}', found {buttons.Count}:\n{cut.Markup}");
        return buttons[0];
    }

    /// <summary>
    /// Types a card into the sandbox capture form (its inputs update on change) and clicks Continue; finds its fields by
    /// their labels in the current UI culture, so a German test enters a card the same way.
    /// </summary>
    protected static void EnterCard<T>(IRenderedComponent<T> cut, string number = "4242 4242 4242 4242", string month = "12", string year = "2030")
        where T : IComponent
    {
        Input(cut, SandboxText.Get("SandboxForm.CardNumber")).Change(number);
        Input(cut, SandboxText.Get("SandboxForm.ExpiryMonth")).Change(month);
        Input(cut, SandboxText.Get("SandboxForm.ExpiryYear")).Change(year);
        Input(cut, SandboxText.Get("SandboxForm.SecurityCode")).Change("123");
        Input(cut, SandboxText.Get("SandboxForm.NameOnCard")).Change("Jane Doe");
        Input(cut, SandboxText.Get("SandboxForm.BillingPostalCode")).Change("94107");
        Button(cut, SandboxText.Get("SandboxForm.Continue")).Click();
    }

    /// <summary>Types a bank account into the sandbox capture form and clicks Continue (labels in the current UI culture).</summary>
    protected static void EnterBankAccount<T>(IRenderedComponent<T> cut, string account = "000123456789") where T : IComponent
    {
        Input(cut, SandboxText.Get("SandboxForm.AccountHolderName")).Change("Acme Industrial Supply");
        Input(cut, SandboxText.Get("SandboxForm.RoutingNumber")).Change("110000000");
        Input(cut, SandboxText.Get("SandboxForm.AccountNumber")).Change(account);
        Input(cut, SandboxText.Get("SandboxForm.ConfirmAccountNumber")).Change(account);
        Button(cut, SandboxText.Get("SandboxForm.Continue")).Click();
    }
}
