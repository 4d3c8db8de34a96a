namespace Portal.Payments.Hosting;

/// <summary>
/// A call to an adapter (gateway, ERP, mail relay) cut off after a time limit on the injected <see cref="TimeProvider"/>
/// (so a test's fake clock drives it): the adapter's token is cancelled then, and the wait ends even when the adapter
/// ignores its token (the call is abandoned). The time is up: a <see cref="TimeoutException"/> naming the limit and
/// its option. The caller's own cancellation (the host stopping, a closed page) stays a cancellation.
/// </summary>
internal static class TimeLimit
{
    /// <summary>
    /// Runs <paramref name="call"/> within <paramref name="limit"/>; <paramref name="unanswered"/> ("The gateway's removal
    /// of a payment method got no answer") and <paramref name="option"/> word the timeout ("… within 00:00:30 (section:option).").
    /// </summary>
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan limit, TimeProvider clock, string unanswered, string option,
        CancellationToken cancellationToken)
    {
        // One timer both cancels the adapter's token and ends the wait.
        using var timer = new CancellationTokenSource(limit, clock);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            return await call(deadline.Token).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException ex) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{unanswered} within {limit} ({PortalPaymentsOptions.SectionName}:{option}).", ex);
        }
    }
}
