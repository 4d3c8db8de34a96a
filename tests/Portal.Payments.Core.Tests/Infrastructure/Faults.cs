using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;
using Portal.Payments.DemoErp;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;

namespace Portal.Payments.Core.Tests.Infrastructure;

/// <summary>
/// Fault injection at the database: while armed, a SQL command matching the predicate either fails (as a crash,
/// failover, lock timeout or full disk would look to the code) or pauses until released (a node frozen mid-step).
/// </summary>
public sealed class CommandFault(Func<string, bool> matches, bool pause = false) : DbCommandInterceptor
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _armed;
    private int _hits;

    /// <summary>The record step of a payment: the lifecycle's conditional status update.</summary>
    public static bool IsStatusChange(string sql) => sql.Contains("UPDATE", StringComparison.OrdinalIgnoreCase)
        && sql.Contains("pp_payments", StringComparison.Ordinal) && sql.Contains("\"StatusChangedAt\" =", StringComparison.Ordinal);

    /// <summary>The re-check of the lease right before the gateway is called.</summary>
    public static bool IsChargeStart(string sql) => sql.Contains("UPDATE", StringComparison.OrdinalIgnoreCase)
        && sql.Contains("pp_payments", StringComparison.Ordinal) && sql.Contains("\"Attempts\" =", StringComparison.Ordinal);

    /// <summary>Matching commands that met the fault.</summary>
    public int Hits => _hits;

    /// <summary>Completes when a paused command is waiting.</summary>
    public Task Reached => _reached.Task;

    /// <summary>Starts failing (or pausing) matching commands.</summary>
    public void Arm() => _armed = true;

    /// <summary>Stops the fault.</summary>
    public void Disarm() => _armed = false;

    /// <summary>Lets a paused command go on (and disarms).</summary>
    public void Release()
    {
        _armed = false;
        _release.TrySetResult();
    }

    /// <inheritdoc />
    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        await HitAsync(command);
        return result;
    }

    /// <inheritdoc />
    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await HitAsync(command);
        return result;
    }

    private async Task HitAsync(DbCommand command)
    {
        if (!_armed || !matches(command.CommandText))
        {
            return;
        }
        Interlocked.Increment(ref _hits);
        if (!pause)
        {
            throw new InvalidOperationException("Injected fault: the database connection was lost.");
        }
        _reached.TrySetResult();
        await _release.Task;
    }
}

/// <summary>Keeps every log line written through the provider, for "what did this node say" assertions.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>Every line so far, as "Category: message".</summary>
    public IReadOnlyList<string> Lines => _lines.ToList();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue($"{category}: {formatter(state, exception)}");
            }
        }
    }
}

/// <summary>
/// What a Stripe-like processor knows across every node: which idempotency keys have a request in flight. A request
/// with a key in flight is answered 409 "in progress"; a charge is not visible to a lookup until its request finished.
/// </summary>
public sealed class StripeLikeState
{
    private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Keys whose request is being processed.</summary>
    public ConcurrentDictionary<string, bool> InFlight { get; } = new();

    /// <summary>Completes when a held request is in flight.</summary>
    public Task Holding => _holding.Task;

    /// <summary>Lets held requests finish.</summary>
    public void Release() => _release.TrySetResult();

    internal async Task HoldAsync()
    {
        _holding.TrySetResult();
        await _release.Task;
    }
}

/// <summary>
/// The sandbox behind Stripe-like request semantics (<see cref="StripeLikeState"/>); with <paramref name="hold"/>, this
/// node's charges stay in flight until released (a slow network, a paused node) before they reach the processor.
/// </summary>
public sealed class StripeLikeGateway(SandboxGateway inner, StripeLikeState? shared = null, bool hold = false) : PaymentGatewayBase
{
    private readonly StripeLikeState state = shared ?? new StripeLikeState();

    /// <inheritdoc />
    public override string Key => inner.Key;

    /// <inheritdoc />
    public override GatewayCapabilities Capabilities => inner.Capabilities;

    /// <inheritdoc />
    public override Type CaptureComponent => inner.CaptureComponent;

    /// <inheritdoc />
    public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) =>
        inner.StoreMethodAsync(request, cancellationToken);

    /// <inheritdoc />
    public override async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default)
    {
        if (!state.InFlight.TryAdd(request.IdempotencyKey, true))
        {
            return new ChargeResult
            {
                Status = ChargeStatus.Failed, ErrorCode = GatewayErrorCode.InProgress,
                Message = "There is currently another in-progress request using this Idempotent Key.",
            };
        }
        try
        {
            if (hold)
            {
                await state.HoldAsync();
            }
            return await inner.ChargeAsync(request, CancellationToken.None);
        }
        finally
        {
            state.InFlight.TryRemove(request.IdempotencyKey, out _);
        }
    }

    /// <inheritdoc />
    public override Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default) =>
        state.InFlight.ContainsKey(lookup.IdempotencyKey)
            ? Task.FromResult(new ChargeResult { Status = ChargeStatus.Failed, ErrorCode = GatewayErrorCode.NotFound, Message = "No such payment_intent." })
            : inner.GetChargeStatusAsync(lookup, cancellationToken);
}

/// <summary>
/// The demo ERP, passed through: a fault ERP derives from it and overrides only the calls it changes.
/// Abstract, so the registration tests' assembly scan skips it.
/// </summary>
public abstract class ErpPassThrough(DemoErpAdapter inner) : IErpAdapter
{
    /// <summary>The demo ERP underneath.</summary>
    protected DemoErpAdapter Inner => inner;

    /// <inheritdoc />
    public virtual Task<OpenItemsPage> PullOpenItemsAsync(string accountId, string? cursor, int maxItems, CancellationToken cancellationToken = default) =>
        inner.PullOpenItemsAsync(accountId, cursor, maxItems, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ErpDocument?> GetDocumentAsync(string accountId, string itemExternalId, CancellationToken cancellationToken = default) =>
        inner.GetDocumentAsync(accountId, itemExternalId, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ErpPostingResult> PostPaymentAsync(ErpPaymentPosting posting, CancellationToken cancellationToken = default) =>
        inner.PostPaymentAsync(posting, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ErpPostingResult> PostDepositAsync(ErpDepositPosting posting, CancellationToken cancellationToken = default) =>
        inner.PostDepositAsync(posting, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ErpPostingResult> ReversePaymentAsync(ErpPaymentReversal reversal, CancellationToken cancellationToken = default) =>
        inner.ReversePaymentAsync(reversal, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ErpPostingResult> PostCommentAsync(ErpCommentPosting posting, CancellationToken cancellationToken = default) =>
        inner.PostCommentAsync(posting, cancellationToken);
}

/// <summary>
/// The sandbox gateway, passed through: a fault gateway derives from it and overrides only the answer it changes.
/// Abstract, so the registration tests' assembly scan skips it.
/// </summary>
public abstract class SandboxPassThrough(SandboxGateway inner) : PaymentGatewayBase
{
    /// <summary>The sandbox underneath.</summary>
    protected SandboxGateway Inner => inner;

    /// <inheritdoc />
    public override string Key => inner.Key;

    /// <inheritdoc />
    public override GatewayCapabilities Capabilities => inner.Capabilities;

    /// <inheritdoc />
    public override Type CaptureComponent => inner.CaptureComponent;

    /// <inheritdoc />
    public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) =>
        inner.StoreMethodAsync(request, cancellationToken);

    /// <inheritdoc />
    public override Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default) =>
        inner.ChargeAsync(request, cancellationToken);

    /// <inheritdoc />
    public override Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default) =>
        inner.GetChargeStatusAsync(lookup, cancellationToken);

    /// <inheritdoc />
    public override Task<ChargeResult> VoidAsync(ReversalRequest request, CancellationToken cancellationToken = default) =>
        inner.VoidAsync(request, cancellationToken);
}

/// <summary>
/// The sandbox, except that every charge answers with <paramref name="code"/> after the money moved; with
/// <paramref name="lookup"/> false it cannot look charges up (<see cref="PaymentGatewayBase"/>'s default answer, Unsupported).
/// </summary>
public sealed class ChargedThenErrorGateway(SandboxGateway inner, GatewayErrorCode code = GatewayErrorCode.Unavailable, bool lookup = true)
    : SandboxPassThrough(inner)
{
    /// <inheritdoc />
    public override async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default)
    {
        await Inner.ChargeAsync(request, cancellationToken);
        return new ChargeResult { Status = ChargeStatus.Failed, ErrorCode = code, Message = "The payment gateway is temporarily unavailable." };
    }

    /// <inheritdoc />
    public override Task<ChargeResult> GetChargeStatusAsync(ChargeLookup charge, CancellationToken cancellationToken = default) =>
        lookup ? Inner.GetChargeStatusAsync(charge, cancellationToken) : Task.FromResult(Unsupported("This gateway cannot look up charges."));
}

/// <summary>The sandbox, except that it cannot look charges up (<see cref="PaymentGatewayBase"/>'s default answer, Unsupported).</summary>
public sealed class NoLookupGateway(SandboxGateway inner) : SandboxPassThrough(inner)
{
    /// <inheritdoc />
    public override GatewayCapabilities Capabilities => Inner.Capabilities & ~GatewayCapabilities.StatusLookup;

    /// <inheritdoc />
    public override Task<ChargeResult> GetChargeStatusAsync(ChargeLookup charge, CancellationToken cancellationToken = default) =>
        Task.FromResult(Unsupported("This gateway cannot look up charges."));
}

/// <summary>The sandbox, except that the first status lookup of each payment gets no answer (a timeout).</summary>
public sealed class FirstLookupTimesOutGateway(SandboxGateway inner) : SandboxPassThrough(inner)
{
    // Across instances: the gateway is scoped, and the reconciler works each payment in a scope of its own.
    private static readonly ConcurrentDictionary<string, bool> Asked = new();

    /// <inheritdoc />
    public override Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default) =>
        Asked.TryAdd(lookup.IdempotencyKey, true)
            ? Task.FromResult(new ChargeResult { Status = ChargeStatus.Failed, ErrorCode = GatewayErrorCode.Timeout, Message = "The payment gateway did not answer in time." })
            : Inner.GetChargeStatusAsync(lookup, cancellationToken);
}

/// <summary>The sandbox, except that every status lookup answers that the bank returned the debit.</summary>
public sealed class ReturnedOnLookupGateway(SandboxGateway inner) : SandboxPassThrough(inner)
{
    /// <inheritdoc />
    public override Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChargeResult { Status = ChargeStatus.Returned, ErrorCode = GatewayErrorCode.Returned, Message = "The bank returned the debit (R01)." });
}

/// <summary>The sandbox, except that every charge answers at once that the bank refused the debit (as Stripe answers an ACH debit).</summary>
public sealed class ReturnedAtOnceGateway(SandboxGateway inner) : SandboxPassThrough(inner)
{
    /// <summary>Charges the gateway was asked for.</summary>
    public static int Charges;

    /// <inheritdoc />
    public override Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Charges);
        return Task.FromResult(new ChargeResult { Status = ChargeStatus.Returned, ErrorCode = GatewayErrorCode.Returned, Message = "R04: the bank returned the debit because the account number is invalid." });
    }
}

/// <summary>When the ERP is down (postings of money refused until <see cref="Until"/>), with delivery counts.</summary>
public sealed class ErpOutage
{
    /// <summary>The ERP refuses postings before this time (the portal's clock).</summary>
    public DateTimeOffset Until { get; set; }

    /// <summary>Posting attempts the ERP saw.</summary>
    public int Attempts;
}

/// <summary>The demo ERP behind an outage: postings of money are refused while <see cref="ErpOutage.Until"/> is ahead.</summary>
public sealed class DownErp(DemoErpAdapter inner, TimeProvider clock, ErpOutage? down = null) : IErpAdapter
{
    private readonly ErpOutage outage = down ?? new ErpOutage();

    /// <inheritdoc />
    public Task<OpenItemsPage> PullOpenItemsAsync(string accountId, string? cursor, int maxItems, CancellationToken cancellationToken = default) =>
        inner.PullOpenItemsAsync(accountId, cursor, maxItems, cancellationToken);

    /// <inheritdoc />
    public Task<ErpDocument?> GetDocumentAsync(string accountId, string itemExternalId, CancellationToken cancellationToken = default) =>
        inner.GetDocumentAsync(accountId, itemExternalId, cancellationToken);

    /// <inheritdoc />
    public Task<ErpPostingResult> PostPaymentAsync(ErpPaymentPosting posting, CancellationToken cancellationToken = default) =>
        Down() ?? inner.PostPaymentAsync(posting, cancellationToken);

    /// <inheritdoc />
    public Task<ErpPostingResult> PostDepositAsync(ErpDepositPosting posting, CancellationToken cancellationToken = default) =>
        Down() ?? inner.PostDepositAsync(posting, cancellationToken);

    /// <inheritdoc />
    public Task<ErpPostingResult> ReversePaymentAsync(ErpPaymentReversal reversal, CancellationToken cancellationToken = default) =>
        Down() ?? inner.ReversePaymentAsync(reversal, cancellationToken);

    /// <inheritdoc />
    public Task<ErpPostingResult> PostCommentAsync(ErpCommentPosting posting, CancellationToken cancellationToken = default) =>
        inner.PostCommentAsync(posting, cancellationToken);

    private Task<ErpPostingResult>? Down()
    {
        Interlocked.Increment(ref outage.Attempts);
        return clock.GetUtcNow() < outage.Until ? Task.FromResult(ErpPostingResult.Refused("503 Service Unavailable: the ERP is down for maintenance")) : null;
    }
}
