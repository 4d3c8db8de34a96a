using System.Collections;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Portal.Payments.Erp;
using Portal.Payments.Services;
using Portal.Payments.Services.Payments;
using Portal.Payments.Sync;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// Core's refusals in the user's language: every <c>PortalFieldError.Of</c> in the code has its English format as the
/// English text of <c>Error.{Code}</c> (Resources/Errors.resx) and a German text, and real refusals read in German with
/// German dates and amounts (today is 10 March 2027).
/// </summary>
public partial class GermanErrorTextTests : PayTestContext
{
    private IStringLocalizer<PortalStrings> L => Services.GetRequiredService<IStringLocalizer<PortalStrings>>();

    private static ResourceManager Errors => PortalStringLocalizer.Resources.Single(r => r.BaseName.EndsWith(".Errors", StringComparison.Ordinal));

    private static Dictionary<string, string> Texts(CultureInfo culture) =>
        Errors.GetResourceSet(culture, createIfNotExists: true, tryParents: false)!.Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string)e.Value!, StringComparer.Ordinal);

    private static string[] Holes(string text) => [.. Placeholder().Matches(text).Select(m => m.Groups[1].Value).Distinct().Order()];

    [GeneratedRegex(@"\{(\d+)[^}]*\}")]
    private static partial Regex Placeholder();

    // PortalFieldError.Of(field, "Code", "English format" or a string constant, ...): the code and the format as written.
    [GeneratedRegex("""PortalFieldError\.Of\(\s*[^,]+?,\s*"(?<code>\w+)",\s*(?:"(?<format>(?:[^"\\]|\\.)*)"|(?<constant>\w+))""")]
    private static partial Regex Refusal();

    [GeneratedRegex("""const string (?<name>\w+) = "(?<value>(?:[^"\\]|\\.)*)";""")]
    private static partial Regex StringConstant();

    /// <summary>Every refusal the portal's code makes with a code: its code and English format, read from the sources.</summary>
    private static Dictionary<string, string> RefusalsInTheCode()
    {
        var root = RepoRoot();
        var files = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText);
        // A constant named in a call: the file's own, else the one constant of that name in the sources.
        static ILookup<string, string> Constants(IEnumerable<string> sources) =>
            sources.SelectMany(s => StringConstant().Matches(s)).ToLookup(m => m.Groups["name"].Value, m => m.Groups["value"].Value);
        var everywhere = Constants(files.Values);
        var refusals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, source) in files)
        {
            var found = Refusal().Matches(source);
            Assert.True(found.Count == Regex.Matches(source, @"PortalFieldError\.Of\(").Count,
                $"{file}: a PortalFieldError.Of call names its code or format other than as a literal (or a string constant)");
            var own = Constants([source]);
            foreach (Match m in found)
            {
                var code = m.Groups["code"].Value;
                var constant = m.Groups["constant"].Value;
                var format = m.Groups["format"].Success ? m.Groups["format"].Value
                    : own[constant].SingleOrDefault() ?? Assert.Single(everywhere[constant].Distinct());
                format = Regex.Unescape(format);
                Assert.True(refusals.TryAdd(code, format) || refusals[code] == format, $"{file}: {code} has two English formats");
            }
        }
        return refusals;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.Payments.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Portal.Payments.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Every_coded_refusal_in_the_code_has_its_English_format_as_its_English_text_and_nothing_else_is_in_the_file()
    {
        var refusals = RefusalsInTheCode();
        var english = Texts(CultureInfo.InvariantCulture);

        Assert.True(refusals.Count > 70, $"only {refusals.Count} coded refusals found");
        foreach (var (code, format) in refusals)
        {
            Assert.True(english.TryGetValue("Error." + code, out var text), $"Error.{code} is missing from Errors.resx");
            Assert.Equal(("Error." + code, format), ("Error." + code, text));
        }
        Assert.Empty(english.Keys.Except(refusals.Keys.Select(c => "Error." + c)));
    }

    [Fact]
    public void Every_error_text_has_a_German_translation_with_the_same_placeholders()
    {
        var english = Texts(CultureInfo.InvariantCulture);
        var german = Texts(CultureInfo.GetCultureInfo("de"));

        Assert.Equal(english.Keys.Order(), german.Keys.Order());
        foreach (var (key, text) in english)
        {
            Assert.StartsWith("Error.", key, StringComparison.Ordinal);
            Assert.True(Holes(text).SequenceEqual(Holes(german[key])), $"{key}: \"{text}\" and \"{german[key]}\" name different values");
            Assert.NotEqual(text, german[key]);
            // Both are valid format strings for as many values as they name.
            object[] values = [.. Enumerable.Repeat<object>("x", Holes(text).Length)];
            _ = string.Format(CultureInfo.InvariantCulture, text, values);
            _ = string.Format(CultureInfo.InvariantCulture, german[key], values);
        }
    }

    [Fact]
    public async Task A_refused_date_reads_in_German_with_German_dates_and_in_English_as_Core_wrote_it()
    {
        await StartAsync();
        var ids = await SeedAsync(("ERR-1", 10_000, null, OpenItemType.Invoice));

        var refused = await Assert.ThrowsAsync<PortalValidationException>(
            () => Services.GetRequiredService<ScheduledPaymentService>().PreviewAsync(ids, TodayDate.AddDays(-1)));

        Assert.Equal("ScheduleDatePast", refused.Error?.Code);
        Assert.Equal("March 9, 2027 is in the past. Choose a date from March 11, 2027.", FieldErrorText.Of(L, refused));
        Assert.Equal(refused.Message, FieldErrorText.Of(L, refused));
        using var _ = TestCulture.Use("de-DE");
        Assert.Equal("Der 09.03.2027 liegt in der Vergangenheit. Wählen Sie ein Datum ab dem 11.03.2027.", FieldErrorText.Of(L, refused));
    }

    // Review: a grid filter's refusal was partly English on a German page: a choice column's values as the enum's member
    // names ("Succeeded, Failed…") and the comparison as the operator's name ("Contains").
    [Fact]
    public async Task A_refused_grid_filter_names_its_choices_and_its_comparison_in_German()
    {
        await StartAsync();
        var history = Services.GetRequiredService<Portal.Payments.Services.History.PaymentHistoryService>();

        var choice = await Assert.ThrowsAsync<PortalValidationException>(() => history.QueryAsync(new Grid.GridQuery
        {
            Filters = [new Grid.GridFilter(Portal.Payments.Services.History.PaymentHistoryFields.Status, Grid.GridFilterOperator.Equals, "Bogus")],
        }));
        var comparison = await Assert.ThrowsAsync<PortalValidationException>(() => history.QueryAsync(new Grid.GridQuery
        {
            Filters = [new Grid.GridFilter(Portal.Payments.Services.History.PaymentHistoryFields.Kind, Grid.GridFilterOperator.Contains, "Dep")],
        }));

        Assert.Equal("Status is one of: Scheduled, Processing, Paid, Failed, Returned, Cancelled, Confirming, Refunded, Action required.", FieldErrorText.Of(L, choice));
        Assert.Equal("Kind cannot be filtered with \"contains\".", FieldErrorText.Of(L, comparison));
        using var _ = TestCulture.Use("de-DE");
        Assert.Equal("Zulässige Werte für Status: Geplant, In Bearbeitung, Bezahlt, Fehlgeschlagen, Zurückgebucht, Storniert, Wird bestätigt, Erstattet, Aktion erforderlich.",
            FieldErrorText.Of(L, choice));
        Assert.Equal("Kind kann nicht mit „enthält“ gefiltert werden.", FieldErrorText.Of(L, comparison));
    }

    [Fact]
    public async Task A_refused_deposit_reads_in_German_with_German_amounts()
    {
        await StartAsync();

        var refused = await Assert.ThrowsAsync<PortalValidationException>(
            () => Services.GetRequiredService<DepositService>().PreviewAsync(Money.Create(250_000m, "USD"), null, Guid.NewGuid()));

        Assert.Equal(("DepositOutOfRange", "Deposits are from USD 1.00 to USD 100,000.00."), (refused.Error?.Code, FieldErrorText.Of(L, refused)));
        using var _ = TestCulture.Use("de-DE");
        var german = FieldErrorText.Of(L, refused);
        Assert.Equal("Anzahlungen sind von USD 1,00 bis USD 100.000,00 möglich.", german);
        Assert.DoesNotContain("Deposits", german, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_made_of_parts_reads_in_German_part_by_part()
    {
        await StartAsync();
        await Services.GetRequiredService<ErpSyncService>().SyncAccountAsync(AccountId);
        var ids = await SeedAsync(("ERR-2", 30_000, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var service = Services.GetRequiredService<ScheduledPaymentService>();
        var scheduled = await service.ScheduleAsync(new SchedulePaymentRequest(ids, new DateOnly(2027, 3, 15), card.Id, Guid.NewGuid().ToString("N")));
        await service.CancelAsync([scheduled.PaymentId]);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => service.CancelAsync([scheduled.PaymentId]));

        Assert.Equal($"{scheduled.ReceiptNumber} is already cancelled, so it can no longer be cancelled. Nothing was changed.", FieldErrorText.Of(L, refused));
        using var _ = TestCulture.Use("de-DE");
        Assert.Equal($"{scheduled.ReceiptNumber} ist bereits storniert; eine Stornierung ist daher nicht mehr möglich. Es wurde nichts geändert.",
            FieldErrorText.Of(L, refused));
    }

    // Review: changing a payment that had run meanwhile said it "can no longer be cancelled", with the status as Core's enum
    // name ("Succeeded") on English and German pages alike.
    [Fact]
    public async Task A_payment_that_ran_meanwhile_cannot_be_changed_said_with_its_status_as_the_pages_name_it()
    {
        await StartAsync();
        await Services.GetRequiredService<ErpSyncService>().SyncAccountAsync(AccountId);
        var ids = await SeedAsync(("ERR-3", 30_000, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var service = Services.GetRequiredService<ScheduledPaymentService>();
        var scheduled = await service.ScheduleAsync(new SchedulePaymentRequest(ids, new DateOnly(2027, 3, 15), card.Id, Guid.NewGuid().ToString("N")));
        await using (var db = await Services.GetRequiredService<IDbContextFactory<Data.PaymentsDbContext>>().CreateDbContextAsync())
        {
            await db.Payments.Where(p => p.Id == scheduled.PaymentId).ExecuteUpdateAsync(x => x.SetProperty(p => p.Status, Data.PaymentStatus.Succeeded));
        }

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => service.GetChangeWindowAsync(scheduled.PaymentId));

        Assert.Equal($"{scheduled.ReceiptNumber} was already processed (Paid), so it can no longer be changed. Nothing was changed.", FieldErrorText.Of(L, refused));
        using var _ = TestCulture.Use("de-DE");
        Assert.Equal($"{scheduled.ReceiptNumber} wurde bereits verarbeitet (Bezahlt); eine Änderung ist daher nicht mehr möglich. Es wurde nichts geändert.",
            FieldErrorText.Of(L, refused));
    }
}
