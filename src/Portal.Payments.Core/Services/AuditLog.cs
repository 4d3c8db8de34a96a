using System.Text.Json;
using Portal.Payments.Data;

namespace Portal.Payments.Services;

/// <summary>
/// Adds audit rows to a context, to be saved in the same transaction as the change they record (every service
/// writes them the same way: account, acting user, action, subject, optional JSON detail, UTC time).
/// </summary>
internal static class AuditLog
{
    /// <summary>An audit row for the signed-in user of <paramref name="scope"/>.</summary>
    public static void Add(PaymentsDbContext db, AccountScope scope, string action, Guid subject, DateTime at, object? detail = null) =>
        Add(db, scope.AccountId, scope.User.UserId, action, subject.ToString(), at, detail);

    /// <summary>An audit row for <paramref name="userId"/> (the runner's system user when no one is signed in).</summary>
    public static void Add(PaymentsDbContext db, string accountId, string userId, string action, string subjectId, DateTime at, object? detail = null) =>
        db.AuditEvents.Add(new AuditEventRecord
        {
            AccountId = accountId,
            UserId = userId,
            Action = action,
            SubjectId = subjectId,
            DetailJson = detail is null ? null : JsonSerializer.Serialize(detail),
            At = at,
        });
}
