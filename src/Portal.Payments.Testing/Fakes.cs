using System.Collections.Concurrent;
using Portal.Payments.Notifications;
using Portal.Payments.Users;

namespace Portal.Payments.Testing;

/// <summary>A user context whose user a test sets directly (thread-safe; null = nobody signed in).</summary>
public sealed class FakePortalUserContext : IPortalUserContext
{
    /// <summary>The signed-in user, or null.</summary>
    public PortalUser? User { get; set; }

    /// <inheritdoc />
    public ValueTask<PortalUser?> GetCurrentUserAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(User);

    /// <summary>A user with one account and the given permissions.</summary>
    public static PortalUser UserOn(string accountId, PortalPermissions permissions, string userId = "user-1", string name = "Test User") => new()
    {
        UserId = userId,
        DisplayName = name,
        Email = $"{userId}@example.test",
        CurrentAccountId = accountId,
        Accounts = [new PortalAccountAccess(accountId, accountId + " Inc.", permissions)],
    };
}

/// <summary>Keeps every email in memory; optionally fails the first N sends to exercise retries.</summary>
public sealed class RecordingNotificationSender : INotificationSender
{
    private int _failuresLeft;

    /// <summary>Emails sent, in order.</summary>
    public ConcurrentQueue<PortalEmail> Sent { get; } = new();

    /// <summary>Makes the next <paramref name="count"/> sends throw.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    /// <inheritdoc />
    public Task SendAsync(PortalEmail email, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new InvalidOperationException("Simulated mail server failure.");
        }
        Sent.Enqueue(email);
        return Task.CompletedTask;
    }
}
