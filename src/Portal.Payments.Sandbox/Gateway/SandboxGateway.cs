using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;

namespace Portal.Payments.Sandbox;

/// <summary>
/// Settings of the sandbox gateway, bound from <c>CustomerPortalPayments:SandboxGateway</c>: whether it may run in
/// Production, and the timings of its slow paths.
/// </summary>
public sealed class SandboxGatewayOptions
{
    /// <summary>
    /// Let the sandbox gateway run in the Production environment (a public demo site). Default false: a host in
    /// Production that uses <c>.UseSandboxGateway()</c> refuses to start, because nothing it "charges" is real.
    /// </summary>
    public bool AllowInProduction { get; set; }

    /// <summary>How long the "processing" test card stays Processing. Default 30 seconds.</summary>
    public TimeSpan CardProcessingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an ACH debit stays Processing before it settles (or is returned). Default 2 days.</summary>
    public TimeSpan AchSettlementDelay { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// How long each charge takes to answer, like a real processor (300–800 ms). Default zero. While a charge is being
    /// processed, another request with the same idempotency key is answered <see cref="GatewayErrorCode.InProgress"/>
    /// (as Stripe answers 409), and a lookup says the outcome is not known yet.
    /// </summary>
    public TimeSpan Latency { get; set; }

    /// <summary>A random extra delay of up to this much on top of <see cref="Latency"/>. Default zero.</summary>
    public TimeSpan LatencyJitter { get; set; }
}

/// <summary>Card details typed into the sandbox capture form (development only).</summary>
public sealed record SandboxCardInput(string Number, int ExpiryMonth, int ExpiryYear, string Cvc, string HolderName, string? PostalCode);

/// <summary>One problem with details typed into the sandbox capture form.</summary>
/// <param name="Code">The gateway error it is.</param>
/// <param name="Message">What to tell the payer, in the current UI culture (<see cref="SandboxGateway.CheckCard"/> and
/// <see cref="SandboxGateway.CheckBankAccount"/> word it through the sandbox's own texts).</param>
public sealed record SandboxInputError(GatewayErrorCode Code, string Message);

/// <summary>Bank details typed into the sandbox capture form (development only).</summary>
public sealed record SandboxBankInput(string RoutingNumber, string AccountNumber, string HolderName, BankAccountType AccountType, BankAccountHolderType HolderType);

/// <summary>
/// The sandbox gateway, for demos and tests only (<c>.UseSandboxGateway()</c>): no money moves. It behaves like a real one: idempotency
/// keys replay the first answer and never charge twice (a unique index in its ledger table), declines
/// are values, slow rails report later through <see cref="GetChargeStatusAsync"/>. Magic numbers:
/// <list type="bullet">
/// <item>4242 4242 4242 4242, 5555 5555 5555 4444, 3782 822463 10005 and any other Luhn-valid number: succeeds.</item>
/// <item>4000 0000 0000 0002: declined. 4000 0000 0000 9995: insufficient funds. 4000 0000 0000 0069: expired card.</item>
/// <item>4000 0000 0000 0077: Processing, then Succeeded after <see cref="SandboxGatewayOptions.CardProcessingDelay"/>.</item>
/// <item>4000 0000 0000 0119: charges, then times out (the answer is lost; a status lookup by key finds it Succeeded).</item>
/// <item>4000 0566 5566 5556: a debit card; 5105 1051 0510 5100: a prepaid card (succeed; fee policies exempt them).</item>
/// <item>4000 0025 0000 3155: the issuer asks the payer to confirm (3-D Secure): RequiresAction, completed in the sandbox
/// capture form's bank confirmation; off-session (scheduled payments) it is declined with AuthenticationRequired.</item>
/// <item>Bank accounts (routing numbers must pass the ABA checksum, e.g. 110000000): Processing, then Succeeded
/// after <see cref="SandboxGatewayOptions.AchSettlementDelay"/>; account 000111111116 is Returned (R01) instead.</item>
/// </list>
/// Capture tokens are single use (a second store with another idempotency key is refused; the same key answers the same
/// method). With <see cref="SandboxGatewayOptions.Latency"/> set, a charge takes that long, and a concurrent request with
/// the same key is answered "in progress" instead of waiting.
/// </summary>
public sealed class SandboxGateway : PaymentGatewayBase
{
    /// <summary>The gateway key.</summary>
    public const string GatewayKey = "sandbox";

    /// <summary>How the portal announces the sandbox gateway (log at start, banner on every page).</summary>
    public static readonly SimulatedAdapter Simulation = new(
        SimulatedAdapterRole.Gateway, "sandbox gateway", "Payments go to the sandbox gateway: cards and bank accounts are test numbers and nothing is charged.");

    private readonly IDbContextFactory<SandboxGatewayDbContext> dbFactory;
    private readonly IOptions<SandboxGatewayOptions> options;
    private readonly DatabaseWriteLane lane;
    private readonly TimeProvider clock;

    internal SandboxGateway(IDbContextFactory<SandboxGatewayDbContext> dbFactory, IOptions<SandboxGatewayOptions> options, DatabaseWriteLane lane, TimeProvider clock)
    {
        this.dbFactory = dbFactory;
        this.options = options;
        this.lane = lane;
        this.clock = clock;
    }

    /// <summary>Bank account number whose debits are returned R01.</summary>
    public const string ReturnedBankAccount = "000111111116";

    private const string CapturePrefix = "sbx_cap_";
    private const string MethodPrefix = "sbx_pm_";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public override string Key => GatewayKey;

    /// <inheritdoc />
    public override GatewayCapabilities Capabilities =>
        GatewayCapabilities.Cards | GatewayCapabilities.BankAccounts | GatewayCapabilities.StoreMethods
        | GatewayCapabilities.UpdateMethods | GatewayCapabilities.StatusLookup | GatewayCapabilities.Void;

    /// <summary>Prefix of a sandbox customer action (what the capture form's bank confirmation completes).</summary>
    public const string ActionPrefix = "sbx_act_";

    /// <inheritdoc />
    public override Type CaptureComponent => typeof(SandboxCaptureForm);

    /// <summary>Validates card details and returns a capture token holding only display data and the test scenario.</summary>
    public StoreMethodResult CaptureCard(SandboxCardInput input)
    {
        if (CheckCard(input) is [var first, ..])
        {
            return Refuse(first.Code, first.Message);
        }
        var digits = PaymentChecks.DigitsOnly(input.Number)!;
        var payload = new CapturePayload(
            "card", CardScenario(digits), digits[^4..], PaymentChecks.CardBrand(digits), input.ExpiryMonth, input.ExpiryYear,
            input.HolderName.Trim(), input.PostalCode?.Trim(), null, null, null, Nonce(), FundingOf(digits));
        return Captured(payload, PaymentMethodType.Card);
    }

    /// <summary>
    /// Every problem with the card details, in the form's order (empty when they are valid): the form shows them all at
    /// once, worded in the current UI culture.
    /// </summary>
    public IReadOnlyList<SandboxInputError> CheckCard(SandboxCardInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new List<SandboxInputError>();
        var digits = PaymentChecks.DigitsOnly(input.Number);
        var validNumber = digits is not null && PaymentChecks.IsValidCardNumber(digits);
        if (!validNumber)
        {
            errors.Add(new(GatewayErrorCode.InvalidCardNumber, SandboxText.Get("SandboxCheck.CardNumber")));
        }
        var now = clock.GetUtcNow();
        if (input.ExpiryMonth is < 1 or > 12 || input.ExpiryYear < 2000 || input.ExpiryYear > now.Year + 25)
        {
            errors.Add(new(GatewayErrorCode.InvalidExpiry, SandboxText.Get("SandboxCheck.Expiry")));
        }
        else if (input.ExpiryYear < now.Year || (input.ExpiryYear == now.Year && input.ExpiryMonth < now.Month))
        {
            errors.Add(new(GatewayErrorCode.ExpiredCard, SandboxText.Get("SandboxCheck.Expired")));
        }
        var cvcLength = validNumber && PaymentChecks.CardBrand(digits!) == "American Express" ? 4 : 3;
        if (input.Cvc is null || input.Cvc.Length != cvcLength || !input.Cvc.All(char.IsAsciiDigit))
        {
            errors.Add(new(GatewayErrorCode.InvalidSecurityCode, validNumber
                ? SandboxText.Get("SandboxCheck.SecurityCodeLength", cvcLength)
                : SandboxText.Get("SandboxCheck.SecurityCode")));
        }
        if (string.IsNullOrWhiteSpace(input.HolderName))
        {
            errors.Add(new(GatewayErrorCode.InvalidRequest, SandboxText.Get("SandboxCheck.NameOnCard")));
        }
        return errors;
    }

    /// <summary>Validates bank details and returns a capture token holding only display data and the test scenario.</summary>
    public StoreMethodResult CaptureBankAccount(SandboxBankInput input)
    {
        if (CheckBankAccount(input) is [var first, ..])
        {
            return Refuse(first.Code, first.Message);
        }
        var scenario = input.AccountNumber == ReturnedBankAccount ? "ach_return" : "ach";
        var payload = new CapturePayload(
            "bank", scenario, input.AccountNumber[^4..], "Sandbox Bank", null, null, input.HolderName.Trim(), null,
            input.RoutingNumber, input.AccountType, input.HolderType, Nonce(), Fees.CardFunding.Unknown);
        return Captured(payload, PaymentMethodType.BankAccount);
    }

    /// <summary>Every problem with the bank details, in the form's order (empty when they are valid), worded in the current UI culture.</summary>
    public IReadOnlyList<SandboxInputError> CheckBankAccount(SandboxBankInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new List<SandboxInputError>();
        if (!PaymentChecks.IsValidRoutingNumber(input.RoutingNumber))
        {
            errors.Add(new(GatewayErrorCode.InvalidRoutingNumber, SandboxText.Get("SandboxCheck.RoutingNumber")));
        }
        if (input.AccountNumber is not { Length: >= 4 and <= 17 } || !input.AccountNumber.All(char.IsAsciiDigit))
        {
            errors.Add(new(GatewayErrorCode.InvalidAccountNumber, SandboxText.Get("SandboxCheck.AccountNumber")));
        }
        if (string.IsNullOrWhiteSpace(input.HolderName))
        {
            errors.Add(new(GatewayErrorCode.InvalidRequest, SandboxText.Get("SandboxCheck.AccountHolder")));
        }
        return errors;
    }

    /// <inheritdoc />
    public override async Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryReadCapture(request.CaptureToken, out var p))
        {
            return Refuse(GatewayErrorCode.InvalidToken, "The card or bank details expired; please enter them again.");
        }
        // Same idempotency key → same token, so a double click stores one method.
        var id = Hash(request.IdempotencyKey + "|" + request.AccountId)[..20];
        var token = $"{MethodPrefix}{p.Kind}_{p.Scenario}_{id}";
        var tokenHash = Hash(request.CaptureToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var used = await db.SandboxCaptures.AsNoTracking().FirstOrDefaultAsync(c => c.TokenHash == tokenHash, cancellationToken);
        if (used is null)
        {
            db.SandboxCaptures.Add(new SandboxCaptureRecord
            {
                TokenHash = tokenHash, IdempotencyKey = request.IdempotencyKey, AccountId = request.AccountId, MethodToken = token,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            });
            try
            {
                // In the write lane as the sandbox's charges are: on SQLite a store beside the runner's writes would
                // otherwise sleep on the database's single writer lock.
                await lane.RunAsync(() => db.SaveChangesAsync(cancellationToken), cancellationToken);
                return new StoreMethodResult { Method = p.ToDetails(token) };
            }
            catch (DbUpdateException)
            {
                // A concurrent store of the same capture won: answer as it did.
                await using var again = await dbFactory.CreateDbContextAsync(cancellationToken);
                used = await again.SandboxCaptures.AsNoTracking().FirstAsync(c => c.TokenHash == tokenHash, cancellationToken);
            }
        }
        return used.IdempotencyKey == request.IdempotencyKey && used.AccountId == request.AccountId
            ? new StoreMethodResult { Method = p.ToDetails(used.MethodToken) }
            : Refuse(GatewayErrorCode.InvalidToken, "These card or bank details were already used; please enter them again.");
    }

    /// <inheritdoc />
    public override Task<GatewayOperationResult> UpdateMethodAsync(UpdateMethodRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryReadMethod(request.Token, out _, out _))
        {
            return Task.FromResult(GatewayOperationResult.Fail(GatewayErrorCode.NotFound, "The payment method is unknown to the gateway."));
        }
        if (request.ExpiryMonth is { } m && (m < 1 || m > 12))
        {
            return Task.FromResult(GatewayOperationResult.Fail(GatewayErrorCode.InvalidExpiry, "The expiry month must be 1 to 12."));
        }
        return Task.FromResult(GatewayOperationResult.Ok());
    }

    /// <inheritdoc />
    public override Task<GatewayOperationResult> RemoveMethodAsync(string token, CancellationToken cancellationToken = default) =>
        Task.FromResult(TryReadMethod(token, out _, out _)
            ? GatewayOperationResult.Ok()
            : GatewayOperationResult.Fail(GatewayErrorCode.NotFound, "The payment method is unknown to the gateway."));

    /// <inheritdoc />
    public override async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.IdempotencyKey) || request.IdempotencyKey.Length > 64)
        {
            return Fail(GatewayErrorCode.InvalidRequest, "An idempotency key of 1 to 64 characters is required.");
        }
        if (request.Amount.Currency is null || request.Amount.Amount <= 0m)
        {
            return Fail(GatewayErrorCode.InvalidRequest, "The amount must be more than zero.");
        }
        if (!TryReadMethod(request.MethodToken, out var kind, out var scenario))
        {
            return Fail(GatewayErrorCode.InvalidToken, "The payment method is unknown to the gateway.");
        }

        var hash = Hash($"{request.MethodToken}|{request.Amount.ToMinorUnits()}|{request.Amount.Currency}|{request.AccountId}");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var prior = await db.SandboxCharges.AsNoTracking().FirstOrDefaultAsync(c => c.IdempotencyKey == request.IdempotencyKey, cancellationToken);
        if (prior is not null)
        {
            return Replay(prior, hash);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var latency = Latency();

        var (status, code) = (kind, scenario) switch
        {
            ("card", "declined") => (ChargeStatus.Declined, GatewayErrorCode.Declined),
            ("card", "insufficient_funds") => (ChargeStatus.Declined, GatewayErrorCode.InsufficientFunds),
            ("card", "expired") => (ChargeStatus.Declined, GatewayErrorCode.ExpiredCard),
            ("card", "processing") => (ChargeStatus.Processing, GatewayErrorCode.None),
            ("card", "3ds") when request.OffSession => (ChargeStatus.Declined, GatewayErrorCode.AuthenticationRequired),
            ("card", "3ds") => (ChargeStatus.RequiresAction, GatewayErrorCode.None),
            ("card", _) => (ChargeStatus.Succeeded, GatewayErrorCode.None),
            _ => (ChargeStatus.Processing, GatewayErrorCode.None), // ACH always starts in flight
        };
        var record = new SandboxChargeRecord
        {
            Reference = "sbx_ch_" + Guid.NewGuid().ToString("N")[..24],
            IdempotencyKey = request.IdempotencyKey,
            RequestHash = hash,
            AccountId = request.AccountId,
            PaymentId = request.PaymentId,
            MethodToken = request.MethodToken,
            AmountMinor = request.Amount.ToMinorUnits(),
            Currency = request.Amount.Currency,
            Scenario = scenario,
            InitialStatus = status,
            ErrorCode = code,
            CreatedAt = now,
            // The charge is decided now and answered after the latency; until then the key is "in progress".
            CompletedAt = now + latency,
        };
        db.SandboxCharges.Add(record);
        try
        {
            await lane.RunAsync(() => db.SaveChangesAsync(cancellationToken), cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrent request with the same key won the unique index: answer as it did.
            await using var again = await dbFactory.CreateDbContextAsync(cancellationToken);
            var winner = await again.SandboxCharges.AsNoTracking().FirstAsync(c => c.IdempotencyKey == request.IdempotencyKey, cancellationToken);
            return Replay(winner, hash);
        }
        if (latency > TimeSpan.Zero)
        {
            // Wall-clock wait (a processor's round trip), also under a test clock; then the answer is out. If this process
            // dies meanwhile, the charge still completes by CompletedAt, as a real processor's would.
            await Task.Delay(latency, cancellationToken);
            var answered = clock.GetUtcNow().UtcDateTime;
            var reference = record.Reference;
            await using var done = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await lane.RunAsync(() => done.SandboxCharges.Where(c => c.Reference == reference && c.CompletedAt > answered)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.CompletedAt, answered), CancellationToken.None));
        }

        if (scenario == "timeout")
        {
            // The charge went through, but the answer never arrives.
            return new ChargeResult { Status = ChargeStatus.Processing, ErrorCode = GatewayErrorCode.Timeout, Message = "The gateway did not answer in time." };
        }
        return ToResult(record, replayed: false);
    }

    /// <inheritdoc />
    public override async Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var record = lookup.Reference is not null
            ? await db.SandboxCharges.AsNoTracking().FirstOrDefaultAsync(c => c.Reference == lookup.Reference, cancellationToken)
            : await db.SandboxCharges.AsNoTracking().FirstOrDefaultAsync(c => c.IdempotencyKey == lookup.IdempotencyKey, cancellationToken);
        if (record is null)
        {
            return Fail(GatewayErrorCode.NotFound, "No charge was made with that key.");
        }
        return InProgress(record) ? InProgressAnswer(record) : ToResult(record, replayed: false);
    }

    /// <summary>Charges that moved money (not declines), for "charged exactly once" assertions.</summary>
    public async Task<int> CountChargesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.SandboxCharges.CountAsync(MovedMoney, cancellationToken);
    }

    /// <summary>Charges that moved money for one portal payment.</summary>
    public async Task<int> CountChargesForPaymentAsync(Guid paymentId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.SandboxCharges.Where(c => c.PaymentId == paymentId).CountAsync(MovedMoney, cancellationToken);
    }

    /// <summary>A ledger row that moved money: charged at once, accepted on a slow rail, or confirmed by the payer.</summary>
    internal static readonly System.Linq.Expressions.Expression<Func<SandboxChargeRecord, bool>> MovedMoney = c =>
        c.InitialStatus == ChargeStatus.Succeeded || c.InitialStatus == ChargeStatus.Processing
        || (c.InitialStatus == ChargeStatus.RequiresAction && c.ActionResult == ChargeStatus.Succeeded);

    /// <summary>
    /// The payer's answer to the bank's confirmation (3-D Secure) of a charge that answered RequiresAction, as the sandbox
    /// capture form reports it: approved → Succeeded, otherwise Declined. Once only; false for an unknown, finished or voided action.
    /// </summary>
    public async Task<bool> CompleteCustomerActionAsync(string customerAction, bool approved, CancellationToken cancellationToken = default)
    {
        if (customerAction is null || !customerAction.StartsWith(ActionPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var reference = customerAction[ActionPrefix.Length..];
        var result = approved ? ChargeStatus.Succeeded : ChargeStatus.Declined;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await lane.RunAsync(() => db.SandboxCharges
            .Where(c => c.Reference == reference && c.InitialStatus == ChargeStatus.RequiresAction && c.ActionResult == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ActionResult, result), cancellationToken), cancellationToken) == 1;
    }

    /// <inheritdoc />
    /// <remarks>Only a charge still waiting for the payer's confirmation can be voided here.</remarks>
    public override async Task<ChargeResult> VoidAsync(ReversalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var reference = request.Reference;
        await lane.RunAsync(() => db.SandboxCharges
            .Where(c => c.Reference == reference && c.InitialStatus == ChargeStatus.RequiresAction && c.ActionResult == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ActionResult, ChargeStatus.Reversed), cancellationToken), cancellationToken);
        var record = await db.SandboxCharges.AsNoTracking().FirstOrDefaultAsync(c => c.Reference == reference, cancellationToken);
        return record is null ? Fail(GatewayErrorCode.NotFound, "No such charge.")
            : record.ActionResult == ChargeStatus.Reversed ? ToResult(record, replayed: false)
            : Fail(GatewayErrorCode.InvalidRequest, "Only a charge waiting for the payer's confirmation can be voided in the sandbox.");
    }

    private ChargeResult Replay(SandboxChargeRecord prior, string hash) =>
        prior.RequestHash != hash ? Fail(GatewayErrorCode.IdempotencyConflict, "This idempotency key was already used for a different charge.")
        : InProgress(prior) ? InProgressAnswer(prior)
        : ToResult(prior, replayed: true);

    private bool InProgress(SandboxChargeRecord c) =>
        c.CompletedAt is { } done && clock.GetUtcNow().UtcDateTime < DateTime.SpecifyKind(done, DateTimeKind.Utc);

    private static ChargeResult InProgressAnswer(SandboxChargeRecord c) => new()
    {
        Status = ChargeStatus.Processing,
        ErrorCode = GatewayErrorCode.InProgress,
        Message = "A request with this idempotency key is still being processed.",
        Reference = c.Reference,
    };

    private TimeSpan Latency()
    {
        var o = options.Value;
        var jitter = o.LatencyJitter > TimeSpan.Zero ? TimeSpan.FromTicks(Random.Shared.NextInt64(o.LatencyJitter.Ticks)) : TimeSpan.Zero;
        return o.Latency + jitter;
    }

    private ChargeResult ToResult(SandboxChargeRecord c, bool replayed)
    {
        var age = clock.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(c.CreatedAt, DateTimeKind.Utc);
        var o = options.Value;
        var (status, code, message) = c.InitialStatus switch
        {
            ChargeStatus.Processing when c.Scenario == "processing" && age >= o.CardProcessingDelay => (ChargeStatus.Succeeded, GatewayErrorCode.None, (string?)null),
            ChargeStatus.Processing when c.Scenario == "ach" && age >= o.AchSettlementDelay => (ChargeStatus.Succeeded, GatewayErrorCode.None, null),
            ChargeStatus.Processing when c.Scenario == "ach_return" && age >= o.AchSettlementDelay =>
                (ChargeStatus.Returned, GatewayErrorCode.Returned, "R01: the bank returned the debit for insufficient funds."),
            ChargeStatus.Declined => (ChargeStatus.Declined, c.ErrorCode, DeclineMessage(c.ErrorCode)),
            ChargeStatus.RequiresAction => c.ActionResult switch
            {
                ChargeStatus.Succeeded => (ChargeStatus.Succeeded, GatewayErrorCode.None, null),
                ChargeStatus.Declined => (ChargeStatus.Declined, GatewayErrorCode.Declined, "The payment was not confirmed with your bank."),
                ChargeStatus.Reversed => (ChargeStatus.Reversed, GatewayErrorCode.None, "The payment was cancelled before it was confirmed; nothing was charged."),
                _ => (ChargeStatus.RequiresAction, GatewayErrorCode.None, "Confirm the payment with your bank."),
            },
            var s => (s, GatewayErrorCode.None, null),
        };
        var action = status == ChargeStatus.RequiresAction ? ActionPrefix + c.Reference : null;
        return new ChargeResult { Status = status, ErrorCode = code, Message = message, Reference = c.Reference, Replayed = replayed, CustomerAction = action };
    }

    /// <summary>
    /// The processor's words for a decline. They, like every message this gateway answers through the gateway contract
    /// (store, update, remove, charge, lookup, void), stay English as a real processor's do: the portal stores them as the
    /// payment's failure reason and e-mails them, often from a background service with no user's culture at hand.
    /// </summary>
    private static string DeclineMessage(GatewayErrorCode code) => code switch
    {
        GatewayErrorCode.InsufficientFunds => "The card was declined: insufficient funds.",
        GatewayErrorCode.ExpiredCard => "The card was declined: it has expired.",
        GatewayErrorCode.AuthenticationRequired => "The card's bank asks the cardholder to confirm this payment, which cannot be done while they are away.",
        _ => "The card was declined by the issuer.",
    };

    private static string CardScenario(string digits) => digits switch
    {
        "4000000000000002" => "declined",
        "4000000000009995" => "insufficient_funds",
        "4000000000000069" => "expired",
        "4000000000000077" => "processing",
        "4000000000000119" => "timeout",
        "4000002500003155" => "3ds",
        _ => "ok",
    };

    private static StoreMethodResult Refuse(GatewayErrorCode code, string message) => new() { ErrorCode = code, Message = message };

    private static ChargeResult Fail(GatewayErrorCode code, string message) => new() { Status = ChargeStatus.Failed, ErrorCode = code, Message = message };

    private static StoreMethodResult Captured(CapturePayload payload, PaymentMethodType type)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(payload, Json);
        var token = CapturePrefix + Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return new StoreMethodResult { Method = payload.ToDetails(token) with { Type = type } };
    }

    private static bool TryReadCapture(string? token, out CapturePayload payload)
    {
        payload = null!;
        if (token is null || !token.StartsWith(CapturePrefix, StringComparison.Ordinal))
        {
            return false;
        }
        try
        {
            var b64 = token[CapturePrefix.Length..].Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            payload = JsonSerializer.Deserialize<CapturePayload>(Convert.FromBase64String(b64), Json)!;
            return payload is not null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }
    }

    private static bool TryReadMethod(string? token, out string kind, out string scenario)
    {
        kind = scenario = "";
        if (token is null || !token.StartsWith(MethodPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = token[MethodPrefix.Length..].Split('_');
        if (parts.Length < 3 || parts[0] is not ("card" or "bank"))
        {
            return false;
        }
        kind = parts[0];
        scenario = string.Join('_', parts[1..^1]);
        return true;
    }

    /// <summary>Stripe's test numbers for debit and prepaid cards; every other card is credit.</summary>
    private static Fees.CardFunding FundingOf(string digits) => digits switch
    {
        "4000056655665556" => Fees.CardFunding.Debit,
        "5105105105105100" => Fees.CardFunding.Prepaid,
        _ => Fees.CardFunding.Credit,
    };

    /// <summary>Makes every capture token unique, as a real gateway's are (they are single use).</summary>
    private static string Nonce() => Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();

    private static string Hash(string s) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(s))).ToLowerInvariant();

    private sealed record CapturePayload(
        string Kind, string Scenario, string Last4, string? Brand, int? ExpiryMonth, int? ExpiryYear, string? Holder,
        string? PostalCode, string? Routing, BankAccountType? AccountType, BankAccountHolderType? HolderType, string? Nonce, Fees.CardFunding Funding)
    {
        public StoredMethodDetails ToDetails(string token) => new()
        {
            Token = token,
            Type = Kind == "card" ? PaymentMethodType.Card : PaymentMethodType.BankAccount,
            Last4 = Last4,
            BrandOrBank = Brand,
            ExpiryMonth = ExpiryMonth,
            ExpiryYear = ExpiryYear,
            HolderName = Holder,
            BillingPostalCode = PostalCode,
            RoutingNumber = Routing,
            BankAccountType = AccountType,
            HolderType = HolderType,
            Funding = Funding,
        };
    }
}
