using Xunit;

namespace Portal.Payments.Core.Tests.Infrastructure;

/// <summary>
/// A call that never answers (a stuck gateway, ERP or mail relay), for the tests of the portal's time limits: it either
/// ignores its token (a stuck call with no timeout of its own) or honours it, and says when it was called and when its
/// token was cancelled.
/// </summary>
/// <param name="honoursToken">True: the call ends, cancelled, when its token is; false: it never ends.</param>
internal sealed class HangingCall(bool honoursToken)
{
    /// <summary>Set with the call's token when the call arrives.</summary>
    public TaskCompletionSource<CancellationToken> Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when a token-honouring call saw its token cancelled.</summary>
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The call's answer: never, or a cancellation once <paramref name="ct"/> is cancelled.</summary>
    public Task<T> HangAsync<T>(CancellationToken ct)
    {
        Called.TrySetResult(ct);
        return honoursToken ? WaitForCancellationAsync<T>(ct) : new TaskCompletionSource<T>().Task;
    }

    private async Task<T> WaitForCancellationAsync<T>(CancellationToken ct)
    {
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        }
        catch (OperationCanceledException)
        {
            Cancelled.TrySetResult();
            throw;
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Waits (real time) for a task that should end at once; a task still running after 30 s fails the test.</summary>
    public static async Task EndsAsync(Task task, string what)
    {
        await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(task.IsCompleted, what + " did not end within 30 s.");
    }
}
