using Microsoft.EntityFrameworkCore;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Services;
using Portal.Payments.Services.Views;
using Portal.Payments.Testing;
using Portal.Payments.Users;
using Xunit;

namespace Portal.Payments.Core.Tests;

public abstract class SavedViewTests(TestDatabase database)
{
    private const string Invoices = "invoices";
    private const string Layout = """{"columns":[{"property":"Number","width":"120px","visible":true}],"pageSize":50}""";

    /// <summary>Pat and Sam work on one account; Olga on another.</summary>
    private sealed class People(PortalHarness h, string account, string otherAccount)
    {
        public string Account => account;
        public void Pat(PortalPermissions p = PortalPermissions.Pay) => h.Users.User = FakePortalUserContext.UserOn(account, p, "pat", "Pat Payer");
        public void Sam(PortalPermissions p = PortalPermissions.Pay) => h.Users.User = FakePortalUserContext.UserOn(account, p, "sam", "Sam Second");
        // Same user id as Pat, other account: ids alone must not leak views across accounts.
        public void Olga() => h.Users.User = FakePortalUserContext.UserOn(otherAccount, PortalPermissions.Pay, "pat", "Olga Other");
    }

    private PortalHarness Harness(out People people)
    {
        var h = new PortalHarness(database);
        people = new People(h, PortalHarness.NewAccount(), PortalHarness.NewAccount());
        people.Pat();
        return h;
    }

    private static SaveViewRequest View(string name, bool shared = false, bool makeDefault = false, string layout = Layout, string grid = Invoices) =>
        new(grid, name, layout) { IsShared = shared, MakeDefault = makeDefault };

    private static async Task<string[]> NamesAsync(SavedViewService s, string grid = Invoices) =>
        (await s.ListAsync(grid)).Select(v => v.Name).ToArray();

    [Fact]
    public async Task Only_the_unique_index_reads_as_a_name_taken_another_failed_write_is_not_worded_so()
    {
        // The database's own refusal of a second row with the same name, on this provider.
        await using (var h = Harness(out var people))
        {
            await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
            SavedViewRecord Row() => new() { Id = Guid.NewGuid(), AccountId = people.Account, OwnerUserId = "pat", Grid = Invoices, Name = "Same", OwnerName = "Pat" };
            db.SavedViews.Add(Row());
            await db.SaveChangesAsync();
            db.SavedViews.Add(Row());
            var duplicate = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            Assert.True(DbErrors.IsUniqueViolation(duplicate), duplicate.InnerException?.ToString());
        }

        // A write lost to the connection is not "a view with this name already exists".
        var fault = new CommandFault(sql => sql.Contains("INSERT", StringComparison.OrdinalIgnoreCase) && sql.Contains("pp_saved_views", StringComparison.Ordinal));
        await using var faulty = new PortalHarness(database, b => b.AddDbInterceptor(fault));
        faulty.Users.User = FakePortalUserContext.UserOn(PortalHarness.NewAccount(), PortalPermissions.Pay, "pat", "Pat Payer");
        fault.Arm();
        var lost = await Assert.ThrowsAsync<DbUpdateException>(() => faulty.Get<SavedViewService>().SaveAsync(View("Mine")));
        Assert.False(DbErrors.IsUniqueViolation(lost));
    }

    [Fact]
    public async Task Saved_views_are_listed_by_name_with_their_layout()
    {
        await using var h = Harness(out _);
        var s = h.Get<SavedViewService>();
        Assert.Empty(await s.ListAsync(Invoices));

        var zeta = await s.SaveAsync(View("Zeta"));
        await s.SaveAsync(View("  alpha  "));
        await s.SaveAsync(View("Overdue"));

        Assert.Equal(["alpha", "Overdue", "Zeta"], await NamesAsync(s));
        var listed = (await s.ListAsync(Invoices)).Single(v => v.Id == zeta.Id);
        Assert.Equal(Layout, listed.LayoutJson);
        Assert.True(listed.IsMine);
        Assert.False(listed.IsShared);
        Assert.False(listed.IsMyDefault);
        Assert.Equal("Pat Payer", listed.OwnerName);
        Assert.Equal(Invoices, listed.Grid);
        Assert.Equal(h.Clock.GetUtcNow(), listed.UpdatedAt);
        Assert.Empty(await s.ListAsync("history"));
    }

    [Fact]
    public async Task Shared_views_reach_the_other_users_of_the_account_and_nobody_else()
    {
        await using var h = Harness(out var people);
        var s = h.Get<SavedViewService>();
        await s.SaveAsync(View("Pat private"));
        var team = await s.SaveAsync(View("Team overdue", shared: true));

        people.Sam();
        await s.SaveAsync(View("Sam private"));
        var samList = await s.ListAsync(Invoices);
        Assert.Equal(["Sam private", "Team overdue"], samList.Select(v => v.Name));
        var shared = samList.Single(v => v.Id == team.Id);
        Assert.False(shared.IsMine);
        Assert.True(shared.IsShared);
        Assert.Equal("Pat Payer", shared.OwnerName);

        people.Olga();
        Assert.Empty(await s.ListAsync(Invoices));

        people.Pat();
        Assert.Equal(["Pat private", "Team overdue"], await NamesAsync(s));
    }

    [Fact]
    public async Task Only_the_owner_renames_reshares_overwrites_or_deletes()
    {
        await using var h = Harness(out var people);
        var s = h.Get<SavedViewService>();
        var shared = await s.SaveAsync(View("Team", shared: true));
        var secret = await s.SaveAsync(View("Secret"));

        people.Sam();
        var denied = await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.RenameAsync(shared.Id, "Mine now"));
        Assert.Contains("Pat Payer", denied.Message);
        Assert.False(denied.NotSignedIn);
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.SetSharedAsync(shared.Id, false));
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.DeleteAsync(shared.Id));
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => s.SaveAsync(View("Team", shared: true, layout: "{}") with { ReplaceId = shared.Id }));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.RenameAsync(secret.Id, "Peek"));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.DeleteAsync(secret.Id));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.SetDefaultAsync(Invoices, secret.Id));

        people.Olga();
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.RenameAsync(shared.Id, "Mine now"));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.DeleteAsync(shared.Id));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.SetDefaultAsync(Invoices, shared.Id));

        people.Pat();
        var list = await s.ListAsync(Invoices);
        Assert.Equal(["Secret", "Team"], list.Select(v => v.Name));
        Assert.All(list, v => Assert.Equal(Layout, v.LayoutJson));
        Assert.True(list.Single(v => v.Id == shared.Id).IsShared);
    }

    [Fact]
    public async Task The_owner_renames_shares_and_overwrites()
    {
        await using var h = Harness(out var people);
        var s = h.Get<SavedViewService>();
        var view = await s.SaveAsync(View("Draft"));
        h.Clock.Advance(TimeSpan.FromMinutes(1));

        var renamed = await s.RenameAsync(view.Id, " Final ");
        Assert.Equal("Final", renamed.Name);
        Assert.Equal(h.Clock.GetUtcNow(), renamed.UpdatedAt);
        Assert.True((await s.SetSharedAsync(view.Id, true)).IsShared);
        const string wider = """{"columns":[{"property":"Number","width":"300px"}],"pageSize":100}""";
        var overwritten = await s.SaveAsync(View("Final v2", shared: true, layout: wider) with { ReplaceId = view.Id });

        Assert.Equal(view.Id, overwritten.Id);
        var only = Assert.Single(await s.ListAsync(Invoices));
        Assert.Equal(("Final v2", wider, true), (only.Name, only.LayoutJson, only.IsShared));
        people.Sam();
        Assert.Equal(wider, Assert.Single(await s.ListAsync(Invoices)).LayoutJson);
    }

    [Fact]
    public async Task Names_are_trimmed_1_to_100_characters_and_unique_per_user_and_grid()
    {
        await using var h = Harness(out var people);
        var s = h.Get<SavedViewService>();
        var blank = await Assert.ThrowsAsync<PortalValidationException>(() => s.SaveAsync(View("   ")));
        Assert.Equal("name", blank.Field);
        var longName = await Assert.ThrowsAsync<PortalValidationException>(() => s.SaveAsync(View(new string('n', 101))));
        Assert.Equal("name", longName.Field);
        Assert.Contains("100", longName.Message);
        Assert.Equal(100, (await s.SaveAsync(View(new string('n', 100)))).Name.Length);

        var overdue = await s.SaveAsync(View("Overdue"));
        var duplicate = await Assert.ThrowsAsync<PortalValidationException>(() => s.SaveAsync(View(" overdue ", shared: true)));
        Assert.Equal("name", duplicate.Field);
        Assert.Contains("You already have a view named", duplicate.Message);
        Assert.Contains("overdue", duplicate.Message);
        var other = await s.SaveAsync(View("Due soon"));
        await Assert.ThrowsAsync<PortalValidationException>(() => s.RenameAsync(other.Id, "OVERDUE"));
        Assert.Equal("OverDue", (await s.RenameAsync(overdue.Id, "OverDue")).Name);
        await s.SaveAsync(View("Overdue", grid: "history"));

        people.Sam();
        await s.SaveAsync(View("Overdue"));
        people.Pat();
        Assert.Equal(["Due soon", new string('n', 100), "OverDue"], await NamesAsync(s));
    }

    [Fact]
    public async Task Saving_one_name_from_several_tabs_at_once_keeps_one_view()
    {
        await using var h = Harness(out _);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var scope = new PortalHarnessScope(h);
            try
            {
                await scope.Get<SavedViewService>().SaveAsync(View("Race"));
                return "saved";
            }
            catch (PortalValidationException ex) when (ex.Field == "name")
            {
                return ex.Message.StartsWith("You already have a view named", StringComparison.Ordinal) ? "duplicate" : ex.Message;
            }
        }));

        Assert.Equal(1, outcomes.Count(o => o == "saved"));
        Assert.Equal(3, outcomes.Count(o => o == "duplicate"));
        Assert.Equal(["Race"], await NamesAsync(h.Get<SavedViewService>()));
    }

    [Theory]
    [InlineData("payments")]
    [InlineData("Invoices")]
    [InlineData("")]
    public async Task Unknown_grids_are_refused(string grid)
    {
        await using var h = Harness(out _);
        var s = h.Get<SavedViewService>();
        Assert.Equal("grid", (await Assert.ThrowsAsync<PortalValidationException>(() => s.SaveAsync(View("X", grid: grid)))).Field);
        Assert.Equal("grid", (await Assert.ThrowsAsync<PortalValidationException>(() => s.ListAsync(grid))).Field);
        Assert.Equal("grid", (await Assert.ThrowsAsync<PortalValidationException>(() => s.GetDefaultAsync(grid))).Field);
        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.SetDefaultAsync(grid, null));
        Assert.Contains("invoices and history", ex.Message);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"columns\": [")]
    [InlineData("[1, 2]")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("")]
    public async Task A_layout_must_be_a_json_object(string layout)
    {
        await using var h = Harness(out _);
        var s = h.Get<SavedViewService>();
        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.SaveAsync(View("Broken", layout: layout)));
        Assert.Equal("layout", ex.Field);
        Assert.Empty(await s.ListAsync(Invoices));
    }

    [Fact]
    public async Task A_layout_may_be_up_to_64_KB()
    {
        await using var h = Harness(out _);
        var s = h.Get<SavedViewService>();
        static string Sized(int bytes) => "{\"f\":\"" + new string('a', bytes - 8) + "\"}";
        Assert.Equal(65536, Sized(65536).Length);

        var ok = await s.SaveAsync(View("Big", layout: Sized(65536)));
        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.SaveAsync(View("Bigger", layout: Sized(65537))));

        Assert.Equal("layout", ex.Field);
        Assert.Contains("64 KB", ex.Message);
        Assert.Equal(65536, Assert.Single(await s.ListAsync(Invoices)).LayoutJson.Length);
        Assert.Equal(ok.Id, (await s.ListAsync(Invoices))[0].Id);
    }

    [Fact]
    public async Task Each_user_has_a_default_which_may_be_a_shared_view()
    {
        await using var h = Harness(out var people);
        var s = h.Get<SavedViewService>();
        Assert.Null(await s.GetDefaultAsync(Invoices));
        var mine = await s.SaveAsync(View("Mine", makeDefault: true));
        Assert.True(mine.IsMyDefault);
        var team = await s.SaveAsync(View("Team", shared: true));

        people.Sam();
        Assert.Null(await s.GetDefaultAsync(Invoices));
        await s.SetDefaultAsync(Invoices, team.Id);
        Assert.Equal(team.Id, (await s.GetDefaultAsync(Invoices))?.Id);
        Assert.True((await s.ListAsync(Invoices)).Single().IsMyDefault);

        people.Pat();
        Assert.Equal(mine.Id, (await s.GetDefaultAsync(Invoices))?.Id);
        Assert.Equal([true, false], (await s.ListAsync(Invoices)).Select(v => v.IsMyDefault));
        Assert.Null(await s.GetDefaultAsync("history"));
        await s.SetDefaultAsync(Invoices, null);
        Assert.Null(await s.GetDefaultAsync(Invoices));
        Assert.All(await s.ListAsync(Invoices), v => Assert.False(v.IsMyDefault));

        people.Olga();
        Assert.Null(await s.GetDefaultAsync(Invoices));
    }

    [Fact]
    public async Task Unsharing_or_deleting_a_default_sends_the_other_users_back_to_the_built_in_layout()
    {
        await using var h = Harness(out var people);
        var s = h.Get<SavedViewService>();
        var team = await s.SaveAsync(View("Team", shared: true, makeDefault: true));
        var other = await s.SaveAsync(View("Other", shared: true));
        people.Sam();
        await s.SetDefaultAsync(Invoices, team.Id);

        people.Pat();
        await s.SetSharedAsync(team.Id, false);
        Assert.Equal(team.Id, (await s.GetDefaultAsync(Invoices))?.Id);
        people.Sam();
        Assert.Null(await s.GetDefaultAsync(Invoices));
        Assert.Equal(["Other"], await NamesAsync(s));

        // Sharing it again does not silently bring the old default back.
        people.Pat();
        await s.SetSharedAsync(team.Id, true);
        people.Sam();
        Assert.Null(await s.GetDefaultAsync(Invoices));

        await s.SetDefaultAsync(Invoices, other.Id);
        people.Pat();
        await s.DeleteAsync(other.Id);
        await s.DeleteAsync(team.Id);
        Assert.Null(await s.GetDefaultAsync(Invoices));
        Assert.Empty(await s.ListAsync(Invoices));
        people.Sam();
        Assert.Null(await s.GetDefaultAsync(Invoices));
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        Assert.All(await db.GridPreferences.AsNoTracking().Where(p => p.AccountId == people.Account).ToListAsync(), p => Assert.Null(p.DefaultViewId));
    }

    [Fact]
    public async Task Overwriting_a_shared_view_as_private_also_resets_the_other_users_default()
    {
        await using var h = Harness(out var people);
        var s = h.Get<SavedViewService>();
        var team = await s.SaveAsync(View("Team", shared: true));
        people.Sam();
        await s.SetDefaultAsync(Invoices, team.Id);

        people.Pat();
        await s.SaveAsync(View("Team", shared: false, makeDefault: true, layout: "{}") with { ReplaceId = team.Id });

        Assert.Equal(team.Id, (await s.GetDefaultAsync(Invoices))?.Id);
        people.Sam();
        Assert.Null(await s.GetDefaultAsync(Invoices));
        Assert.Empty(await s.ListAsync(Invoices));
    }

    [Fact]
    public async Task A_default_the_user_can_no_longer_see_is_ignored()
    {
        await using var h = Harness(out var people);
        var s = h.Get<SavedViewService>();
        var team = await s.SaveAsync(View("Team", shared: true));
        people.Sam();
        await s.SetDefaultAsync(Invoices, team.Id);
        // Unshared behind the service's back (e.g. by an older node): the visibility check still applies.
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            await db.SavedViews.Where(v => v.Id == team.Id).ExecuteUpdateAsync(x => x.SetProperty(v => v.IsShared, false));
        }

        Assert.Null(await s.GetDefaultAsync(Invoices));
    }

    [Fact]
    public async Task View_only_users_keep_their_own_views()
    {
        await using var h = Harness(out var people);
        people.Sam(PortalPermissions.View);
        var s = h.Get<SavedViewService>();

        var view = await s.SaveAsync(View("Viewer layout", shared: true, makeDefault: true));
        await s.RenameAsync(view.Id, "Viewer layout 2");

        Assert.Equal(view.Id, (await s.GetDefaultAsync(Invoices))?.Id);
        people.Pat();
        Assert.Equal("Viewer layout 2", Assert.Single(await s.ListAsync(Invoices)).Name);
    }

    [Fact]
    public async Task At_most_50_views_per_user_and_grid()
    {
        await using var h = Harness(out var people);
        var s = h.Get<SavedViewService>();
        for (var i = 1; i <= SavedViewService.MaxViewsPerGrid; i++)
        {
            await s.SaveAsync(View($"View {i:00}"));
        }

        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => s.SaveAsync(View("View 51")));

        Assert.Contains("50", ex.Message);
        var first = (await s.ListAsync(Invoices))[0];
        Assert.Equal("View 01", first.Name);
        await s.SaveAsync(View("Renewed", layout: "{}") with { ReplaceId = first.Id });
        await s.SaveAsync(View("History view", grid: "history"));
        people.Sam();
        await s.SaveAsync(View("Sam's"));
        people.Pat();
        Assert.Equal(50, (await s.ListAsync(Invoices)).Count(v => v.IsMine));
    }

    [Fact]
    public async Task Signed_out_users_are_refused()
    {
        await using var h = Harness(out _);
        h.Users.User = null;
        var ex = await Assert.ThrowsAsync<PortalAccessDeniedException>(() => h.Get<SavedViewService>().ListAsync(Invoices));
        Assert.True(ex.NotSignedIn);
    }
}

public sealed class SavedViewTests_Sqlite(SqliteDatabase db) : SavedViewTests(db), IClassFixture<SqliteDatabase>;

public sealed class SavedViewTests_Postgres(PostgresDatabase db) : SavedViewTests(db), IClassFixture<PostgresDatabase>;
