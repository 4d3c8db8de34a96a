using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Fees;
using Portal.Payments.Hosting;

namespace Portal.Payments.Services.Payments;

/// <summary>What the host allows for deposits, for the deposit page.</summary>
/// <param name="Enabled">Deposits are offered.</param>
/// <param name="Minimum">Smallest deposit.</param>
/// <param name="Maximum">Largest deposit.</param>
public sealed record DepositLimits(bool Enabled, Money Minimum, Money Maximum);

/// <summary>The server's review of a deposit before it is confirmed.</summary>
public sealed record DepositPreview
{
    /// <summary>Amount deposited on account.</summary>
    public required Money Amount { get; init; }
    /// <summary>The note (memo) as it will be stored, or null.</summary>
    public string? Note { get; init; }
    /// <summary>Masked method ("Visa •••• 4242").</summary>
    public required string MethodDescription { get; init; }
    /// <summary>The convenience fee charged on top with this method (zero when none).</summary>
    public ConvenienceFee? Fee { get; init; }
    /// <summary>What is charged: the deposit plus the fee.</summary>
    public Money TotalCharged => Fee is { Charged: true } fee ? Amount + fee.Amount : Amount;
}

/// <summary>Make a deposit (a payment on account, posted to the ERP as unapplied cash).</summary>
/// <param name="Amount">Amount in the portal currency, within the host's limits.</param>
/// <param name="Note">Optional note for the AR team (up to 500 characters).</param>
/// <param name="PaymentMethodId">A stored method of the account.</param>
/// <param name="IdempotencyKey">One key per review: a double click or resubmit with the same key returns the first outcome.</param>
public sealed record DepositRequest(Money Amount, string? Note, Guid PaymentMethodId, string IdempotencyKey)
{
    /// <summary>The total the payer saw (deposit plus fee); when the server's differs, nothing is charged.</summary>
    public Money? ExpectedTotal { get; init; }
    /// <summary>
    /// The account the form was opened for (<see cref="AccountScope.AccountId"/> when it opened). When the user's
    /// current account is another one by the time the form is confirmed, nothing is done and the form is refused with
    /// <c>AccountSwitched</c>. Null: not checked.
    /// </summary>
    public string? OpenedForAccountId { get; init; }
}

/// <summary>Deposits: validated by the server, one charge per confirmation, charged and posted through <see cref="PaymentCharger"/>.</summary>
public sealed class DepositService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    PaymentCharger charger,
    PaymentLifecycle lifecycle,
    IConvenienceFeePolicy fees,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    IServiceProvider services,
    ILogger<DepositService> logger)
{
    /// <summary>Longest deposit note.</summary>
    public const int MaxNoteLength = 500;

    /// <summary>The refusal when the host turned deposits off.</summary>
    public const string DisabledMessage = "Deposits are not available in this portal. Contact your accounts receivable team to pay on account.";

    /// <summary>The host's deposit settings in the portal currency.</summary>
    public DepositLimits Limits
    {
        get
        {
            var o = options.Value;
            return new DepositLimits(o.Deposits.Enabled, Money.Create(o.Deposits.Minimum, o.Currency), Money.Create(o.Deposits.Maximum, o.Currency));
        }
    }

    /// <summary>
    /// The convenience fee of a deposit of <paramref name="amount"/> by card and by bank account, for the payer choosing the
    /// method ("Pay by bank: no fee"); quoted on the maximum deposit while no amount is entered.
    /// </summary>
    public async Task<(ConvenienceFee Card, ConvenienceFee Bank)> FeeQuotesAsync(Money? amount, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        var limits = Limits;
        var quoted = amount is { } a && a.Currency == limits.Maximum.Currency && a.Amount > 0m ? a : limits.Maximum;
        var quotes = new FeeQuotes(fees, quoted, scope.BillingRegion, FeeOccasion.Deposit, Today);
        return (quotes.Card, quotes.Bank);
    }

    /// <summary>Checks a deposit (amount, note, method) for the review step; nothing is stored or charged.</summary>
    public async Task<DepositPreview> PreviewAsync(Money amount, string? note, Guid paymentMethodId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        var (preview, _) = await CheckAsync(scope, amount, note, paymentMethodId, cancellationToken);
        return preview;
    }

    /// <summary>Records the deposit, charges it once under the request's key and records the outcome (ERP posting and email on success).</summary>
    public async Task<PaymentOutcome> MakeDepositAsync(DepositRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scope = await access.ForPayAsync(cancellationToken);
        scope.RequireOpenedFor(request.OpenedForAccountId);
        PaymentStore.RequireKey(request.IdempotencyKey,
            PortalFieldError.Of("deposit", "DepositFormExpired", "This deposit form expired; please review the deposit again."));
        if (await ReplayAsync(scope, request, cancellationToken) is { } earlier)
        {
            return earlier;
        }
        var (preview, method) = await CheckAsync(scope, request.Amount, request.Note, request.PaymentMethodId, cancellationToken);
        if (request.ExpectedTotal is { } expected && expected != preview.TotalCharged)
        {
            throw PaymentService.AmountsChanged();
        }
        var (payment, winner) = await PaymentStore.InsertAsync(dbFactory, lifecycle, clock, logger, scope, request.IdempotencyKey,
            now => NewDeposit(scope, request.IdempotencyKey, preview, method, now),
            (db, p, now) => AuditLog.Add(db, scope, "deposit.created", p.Id, now, new { p.ReceiptNumber, p.AmountMinor, p.Currency }),
            items: [], schedule: false, conflict: _ => new InvalidOperationException("A deposit holds no invoices."), sameFlow: null, cancellationToken);
        if (winner is not null)
        {
            await RequireSameAsync(winner, request, CancellationToken.None);
            return PaymentService.Outcome(winner, replayed: true);
        }
        logger.LogInformation("Deposit {PaymentId} ({ReceiptNumber}) of {Amount} for {AccountId} created", payment!.Id, payment.ReceiptNumber, preview.Amount, scope.AccountId);
        return await charger.ChargeAsync(payment, method.Token, new ChargeContext(scope.User.UserId));
    }

    private async Task<(DepositPreview Preview, PaymentMethodRecord Method)> CheckAsync(AccountScope scope, Money amount, string? note, Guid methodId, CancellationToken ct)
    {
        var limits = Limits;
        if (!limits.Enabled)
        {
            throw PortalFieldError.Of("deposit", "DepositsDisabled", DisabledMessage).ToException();
        }
        if (!string.Equals(amount.Currency, limits.Minimum.Currency, StringComparison.Ordinal))
        {
            throw PortalFieldError.Of("amount", "DepositCurrency", "Enter the deposit in {0}.", limits.Minimum.Currency).ToException();
        }
        if (amount.Amount <= 0m)
        {
            throw PortalFieldError.Of("amount", "DepositNotPositive", "The deposit must be greater than zero.").ToException();
        }
        if (amount < limits.Minimum || amount > limits.Maximum)
        {
            throw PortalFieldError.Of("amount", "DepositOutOfRange", "Deposits are from {0} to {1}.", limits.Minimum, limits.Maximum).ToException();
        }
        var memo = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        if (memo is { Length: > MaxNoteLength })
        {
            throw PortalFieldError.Of("note", "DepositNoteTooLong", "The note is {0:N0} characters; shorten it to {1} or fewer.", memo.Length, MaxNoteLength).ToException();
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var method = await PaymentService.UsableMethodAsync(db, scope.AccountId, methodId, Today, charger.GatewayKey, ct);
        var fee = new FeeQuotes(fees, amount, scope.BillingRegion, FeeOccasion.Deposit, Today).For(method.Type, method.Funding);
        return (new DepositPreview { Amount = amount, Note = memo, MethodDescription = PaymentMethodService.Describe(method), Fee = fee }, method);
    }

    /// <summary>A new deposit, no allocations (<see cref="PaymentStore"/> starts it in its lifecycle: charged next).</summary>
    private PaymentRecord NewDeposit(AccountScope scope, string key, DepositPreview preview, PaymentMethodRecord method, DateTime now) => new()
    {
        Id = Guid.NewGuid(),
        AccountId = scope.AccountId,
        Kind = PaymentKind.Deposit,
        Currency = preview.Amount.Currency,
        AmountMinor = preview.TotalCharged.ToMinorUnits(),
        FeeMinor = preview.Fee is { Charged: true } fee ? fee.Amount.ToMinorUnits() : 0,
        FeeLabel = preview.Fee is { Charged: true } charged ? charged.Label : null,
        BillingRegion = scope.BillingRegion,
        PaymentMethodId = method.Id,
        MethodDescription = preview.MethodDescription,
        IdempotencyKey = key,
        GatewayKey = charger.GatewayKey,
        ReceiptNumber = PaymentService.NewReceiptNumber(now),
        CreatedByUserId = scope.User.UserId,
        CreatedByName = scope.User.DisplayName,
        CreatedByEmail = scope.User.Email,
        AccountName = scope.AccountName,
        CreatedAt = now,
        Memo = preview.Note,
        Culture = Notifications.ReaderCulture.Current(),
    };

    /// <summary>The outcome of the deposit made earlier with the request's key; another account's key is not found, another deposit's is refused.</summary>
    private async Task<PaymentOutcome?> ReplayAsync(AccountScope scope, DepositRequest request, CancellationToken ct)
    {
        if (await PaymentStore.FindEarlierCheckedAsync(dbFactory, services, scope, request.IdempotencyKey, ct) is not { } earlier)
        {
            return null;
        }
        await RequireSameAsync(earlier, request, ct);
        return await charger.ReplayAsync(earlier, scope.User.UserId);
    }

    private Task RequireSameAsync(PaymentRecord earlier, DepositRequest request, CancellationToken ct) =>
        PaymentStore.RequireSameRequestAsync(dbFactory, earlier, request.PaymentMethodId, request.ExpectedTotal, invoiceIds: null, ct, amountBeforeFee: request.Amount);

    private DateOnly Today => options.Value.Today(clock);
}
