using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.DemoErp;
using Portal.Payments.Erp;
using Portal.Payments.Outbox;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Sync;
using Portal.Payments.Testing;
using Portal.Payments.Users;
using Xunit;

namespace Portal.Payments.Core.Tests;

public abstract class InvoiceCommentTests(TestDatabase database)
{
    private static async Task<(PortalHarness H, string Account, InvoiceRecord Invoice)> SeededAsync(TestDatabase database, PortalPermissions permissions = PortalPermissions.Pay)
    {
        var h = new PortalHarness(database);
        var account = PortalHarness.NewAccount();
        await h.Get<ErpSyncService>().SyncAccountAsync(account);
        h.Users.User = FakePortalUserContext.UserOn(account, permissions, "user-1", "Pat Payer");
        return (h, account, await InvoiceAsync(h, account));
    }

    private static async Task<InvoiceRecord> InvoiceAsync(PortalHarness h, string account, long? id = null)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.Invoices.AsNoTracking().Where(i => i.AccountId == account && (id == null || i.Id == id)).OrderBy(i => i.Id).FirstAsync();
    }

    private static async Task<List<OutboxMessageRecord>> OutboxAsync(PortalHarness h, string account)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.Outbox.AsNoTracking().Where(m => m.AccountId == account).OrderBy(m => m.CreatedAt).ToListAsync();
    }

    [Fact]
    public async Task Comments_list_oldest_first_with_author_and_time()
    {
        var (h, _, invoice) = await SeededAsync(database);
        await using var _ = h;
        var s = h.Get<InvoiceCommentService>();
        Assert.Empty(await s.ListAsync(invoice.Id));
        var firstAt = h.Clock.GetUtcNow();
        var first = await s.AddAsync(invoice.Id, "  Short-paid: freight was damaged.  ");
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        h.Users.User = h.Users.User! with { UserId = "user-2", DisplayName = "Sam Second" };
        await s.AddAsync(invoice.Id, "Credit memo requested.");

        var list = await s.ListAsync(invoice.Id);

        Assert.Equal(["Short-paid: freight was damaged.", "Credit memo requested."], list.Select(c => c.Text));
        Assert.Equal(["Pat Payer", "Sam Second"], list.Select(c => c.AuthorName));
        Assert.Equal(firstAt, list[0].CreatedAt);
        Assert.Equal(firstAt.AddMinutes(5), list[1].CreatedAt);
        Assert.Equal(first.Id, list[0].Id);
    }

    [Fact]
    public async Task Adding_increments_the_comment_count_queues_the_erp_posting_and_audits()
    {
        var (h, account, invoice) = await SeededAsync(database);
        await using var _ = h;
        var s = h.Get<InvoiceCommentService>();

        var comment = await s.AddAsync(invoice.Id, "Please send a copy of the <b>signed</b> delivery note.");
        await s.AddAsync(invoice.Id, "Thanks.");

        Assert.Equal(2, (await InvoiceAsync(h, account, invoice.Id)).CommentCount);
        Assert.Equal(2, await s.CountAsync(invoice.Id));
        var outbox = await OutboxAsync(h, account);
        Assert.Equal(2, outbox.Count);
        Assert.All(outbox, m => Assert.Equal(OutboxKind.ErpComment, m.Kind));
        var posting = JsonSerializer.Deserialize<ErpCommentPosting>(outbox.Single(m => m.PayloadJson.Contains(comment.Id.ToString())).PayloadJson, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal(comment.Id, posting.CommentId);
        Assert.Equal(account, posting.AccountId);
        Assert.Equal(invoice.ExternalId, posting.ItemExternalId);
        Assert.Equal("Pat Payer", posting.Author);
        Assert.Equal("Please send a copy of the <b>signed</b> delivery note.", posting.Text);
        Assert.Equal(h.Clock.GetUtcNow(), posting.CreatedAt);
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        Assert.Equal(2, await db.AuditEvents.CountAsync(a => a.AccountId == account && a.Action == "invoice.comment-added" && a.UserId == "user-1"));
        // The text is kept verbatim: it is rendered as text, never as markup.
        Assert.Equal("Please send a copy of the <b>signed</b> delivery note.", (await db.InvoiceComments.SingleAsync(c => c.Id == comment.Id)).Text);
    }

    [Fact]
    public async Task The_outbox_delivers_the_comment_to_the_erp()
    {
        var (h, account, invoice) = await SeededAsync(database);
        await using var _ = h;
        var comment = await h.Get<InvoiceCommentService>().AddAsync(invoice.Id, "Disputed: wrong unit price.");

        // Other tests' messages share the database, so count at least this one.
        Assert.True(await h.Get<OutboxProcessor>().RunDueAsync() >= 1);

        var postings = await h.Get<DemoErpAdapter>().GetPostingsAsync(account);
        var posted = Assert.Single(postings, p => p.Id == comment.Id);
        Assert.Contains("Disputed: wrong unit price.", posted.PayloadJson);
        Assert.All(await OutboxAsync(h, account), m => Assert.NotNull(m.CompletedAt));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t ")]
    public async Task A_blank_comment_is_refused_and_nothing_is_saved(string text)
    {
        var (h, account, invoice) = await SeededAsync(database);
        await using var _ = h;
        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<InvoiceCommentService>().AddAsync(invoice.Id, text));
        Assert.Equal("text", ex.Field);
        Assert.Contains("Write a comment", ex.Message);
        Assert.Equal(0, (await InvoiceAsync(h, account, invoice.Id)).CommentCount);
        Assert.Empty(await OutboxAsync(h, account));
    }

    [Fact]
    public async Task An_oversized_comment_names_the_limit_and_its_length_and_2000_characters_fit()
    {
        var (h, account, invoice) = await SeededAsync(database);
        await using var _ = h;
        var s = h.Get<InvoiceCommentService>();

        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.AddAsync(invoice.Id, new string('x', 2001)));

        Assert.Equal("text", ex.Field);
        Assert.Contains("2,000", ex.Message);
        Assert.Contains("2,001", ex.Message);
        Assert.Empty(await s.ListAsync(invoice.Id));
        Assert.Empty(await OutboxAsync(h, account));
        // Surrounding spaces do not count; exactly 2,000 characters are accepted.
        var max = await s.AddAsync(invoice.Id, "  " + new string('y', 2000) + "  ");
        Assert.Equal(2000, max.Text.Length);
        Assert.Equal(2000, Assert.Single(await s.ListAsync(invoice.Id)).Text.Length);
    }

    [Fact]
    public async Task A_view_only_user_reads_comments_but_cannot_add_one()
    {
        var (h, account, invoice) = await SeededAsync(database);
        await using var _ = h;
        await h.Get<InvoiceCommentService>().AddAsync(invoice.Id, "From the payer.");
        h.Users.User = FakePortalUserContext.UserOn(account, PortalPermissions.View, "viewer", "Vic Viewer");
        var s = h.Get<InvoiceCommentService>();

        Assert.Single(await s.ListAsync(invoice.Id));
        var ex = await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.AddAsync(invoice.Id, "From the viewer."));

        Assert.False(ex.NotSignedIn);
        Assert.Contains("view-only", ex.Message);
        Assert.Equal(1, (await InvoiceAsync(h, account, invoice.Id)).CommentCount);
        Assert.Single(await OutboxAsync(h, account));
    }

    [Fact]
    public async Task Another_accounts_invoice_is_not_found_and_stays_untouched()
    {
        var (h, account, invoice) = await SeededAsync(database);
        await using var _ = h;
        await h.Get<InvoiceCommentService>().AddAsync(invoice.Id, "Ours.");
        var other = PortalHarness.NewAccount();
        await h.Get<ErpSyncService>().SyncAccountAsync(other);
        h.SignIn(other);
        var s = h.Get<InvoiceCommentService>();

        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.ListAsync(invoice.Id));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.AddAsync(invoice.Id, "Theirs."));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.ListAsync(long.MaxValue));

        Assert.Equal(1, (await InvoiceAsync(h, account, invoice.Id)).CommentCount);
        Assert.Single(await OutboxAsync(h, account));
        Assert.Empty(await OutboxAsync(h, other));
    }

    [Fact]
    public async Task Signed_out_users_are_refused()
    {
        var (h, _, invoice) = await SeededAsync(database);
        await using var _ = h;
        h.Users.User = null;
        var ex = await Assert.ThrowsAsync<PortalAccessDeniedException>(() => h.Get<InvoiceCommentService>().ListAsync(invoice.Id));
        Assert.True(ex.NotSignedIn);
    }

    [Fact]
    public async Task Parallel_comments_are_all_counted()
    {
        var (h, account, invoice) = await SeededAsync(database);
        await using var _ = h;

        await Task.WhenAll(Enumerable.Range(1, 6).Select(async n =>
        {
            await using var scope = new PortalHarnessScope(h);
            await scope.Get<InvoiceCommentService>().AddAsync(invoice.Id, $"Comment {n}");
        }));

        Assert.Equal(6, (await InvoiceAsync(h, account, invoice.Id)).CommentCount);
        Assert.Equal(6, (await h.Get<InvoiceCommentService>().ListAsync(invoice.Id)).Count);
        Assert.Equal(6, (await OutboxAsync(h, account)).Count);
    }

    // Review: a comment the ERP would not take was dead-lettered after OutboxMaxAttempts tries while the payer, told
    // "Your comment was added", saw it listed like any other, and no one on either side knew the AR team never got it.
    [Fact]
    public async Task A_comment_the_erp_does_not_take_says_so_and_one_it_took_says_nothing()
    {
        var account = PortalHarness.NewAccount();
        await using var h = new PortalHarness(database,
            b => b.Services.Replace(ServiceDescriptor.Singleton<IErpAdapter>(sp => new CommentRefusingErp(sp.GetRequiredService<DemoErpAdapter>(), account))),
            o => o.OutboxMaxAttempts = 2);
        await h.Get<ErpSyncService>().SyncAccountAsync(account);
        h.Users.User = FakePortalUserContext.UserOn(account, PortalPermissions.Pay, "user-1", "Pat Payer");
        var invoice = await InvoiceAsync(h, account);
        var s = h.Get<InvoiceCommentService>();
        var refused = await s.AddAsync(invoice.Id, "Refuse this one.");
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        var taken = await s.AddAsync(invoice.Id, "Take this one.");
        Assert.Equal(CommentDelivery.Sending, refused.Delivery);
        Assert.Equal([CommentDelivery.Sending, CommentDelivery.Sending], (await s.ListAsync(invoice.Id)).Select(c => c.Delivery));

        await h.Get<OutboxProcessor>().RunDueAsync();
        Assert.Equal([CommentDelivery.Retrying, CommentDelivery.Delivered], (await s.ListAsync(invoice.Id)).Select(c => c.Delivery));

        h.Clock.Advance(TimeSpan.FromMinutes(5));
        await h.Get<OutboxProcessor>().RunDueAsync();
        var list = await s.ListAsync(invoice.Id);
        Assert.Equal([(refused.Id, CommentDelivery.NotDelivered), (taken.Id, CommentDelivery.Delivered)], list.Select(c => (c.Id, c.Delivery)));
        // The comment stays the payer's: listed and counted, only its delivery is reported.
        Assert.Equal(2, await s.CountAsync(invoice.Id));
    }

    /// <summary>The demo ERP, refusing every comment of <paramref name="account"/> that does not say "Take".</summary>
    private sealed class CommentRefusingErp(DemoErpAdapter inner, string account) : ErpPassThrough(inner)
    {
        public override Task<ErpPostingResult> PostCommentAsync(ErpCommentPosting posting, CancellationToken ct = default) =>
            posting.AccountId == account && !posting.Text.StartsWith("Take", StringComparison.Ordinal)
                ? Task.FromResult(ErpPostingResult.Refused("Comments are not accepted for this customer."))
                : Inner.PostCommentAsync(posting, ct);
    }
}

public sealed class InvoiceCommentTests_Sqlite(SqliteDatabase db) : InvoiceCommentTests(db), IClassFixture<SqliteDatabase>;

public sealed class InvoiceCommentTests_Postgres(PostgresDatabase db) : InvoiceCommentTests(db), IClassFixture<PostgresDatabase>;
