using System.Globalization;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Services;
using Portal.Payments.Services.Payments;
using Portal.Payments.Services.Views;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>A refusal as a value: the English message written once, invariant, from the code's format and its arguments.</summary>
public class PortalFieldErrorTests
{
    [Fact]
    public void The_English_message_is_invariant_whatever_the_server_culture_and_the_arguments_keep_their_types()
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var error = PortalFieldError.Of("note", "Sample", "{0:N0} characters, {1} on {2:MMMM d, yyyy} ({3})",
                2000, Usd(1234.5m), new DateOnly(2026, 3, 31), PaymentStatus.Succeeded);

            Assert.Equal(("note", "Sample", "2,000 characters, USD 1,234.50 on March 31, 2026 (Succeeded)"), (error.Field, error.Code, error.Message));
            Assert.Equal(new object[] { 2000, Usd(1234.5m), new DateOnly(2026, 3, 31), PaymentStatus.Succeeded }, error.Arguments);
            var refusal = error.ToException();
            Assert.Equal(("note", error.Message, error), (refusal.Field, refusal.Message, refusal.Error));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void A_message_made_of_parts_joins_their_messages()
    {
        List<PortalFieldError> parts = [PortalFieldError.Of("p", "A", "{0} is one", "R-1"), PortalFieldError.Of("p", "B", "{0} is two", "R-2")];

        var error = PortalFieldError.Of("p", "Whole", "{0}, so nothing.", parts);

        Assert.Equal("R-1 is one; R-2 is two, so nothing.", error.Message);
        Assert.Same(parts, Assert.Single(error.Arguments));
    }

    [Fact]
    public void A_single_part_reads_as_its_message_not_as_the_record()
    {
        var part = PortalFieldError.Of("p", "A", "{0} is one", "R-1");

        var error = PortalFieldError.Of("p", "Whole", "{0}, so nothing.", part);

        Assert.Equal("R-1 is one, so nothing.", error.Message);
        Assert.Same(part, Assert.Single(error.Arguments));
    }
}

/// <summary>Representative refusals of the services carry their code and typed arguments; their English messages are as before.</summary>
public abstract class RefusalCodeTests(TestDatabase database)
{
    [Fact]
    public async Task A_date_refusal_carries_its_dates()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E1", 10_000));

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<ScheduledPaymentService>().PreviewAsync(ids, Today.AddDays(-1)));

        Assert.Equal(("date", "ScheduleDatePast"), (refused.Field, refused.Error?.Code));
        Assert.Equal(new object[] { Today.AddDays(-1), Today.AddDays(1) }, refused.Error!.Arguments);
        Assert.Equal("March 1, 2026 is in the past. Choose a date from March 3, 2026.", refused.Message);
    }

    [Fact]
    public async Task A_refusal_of_several_payments_carries_one_part_per_payment()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E2", 10_000), new Item("INV-E3", 20_000));
        var card = await CardAsync(h);
        var service = h.Get<ScheduledPaymentService>();
        var first = await service.ScheduleAsync(new SchedulePaymentRequest([ids[0]], Today.AddDays(3), card.Id, Key()));
        var second = await service.ScheduleAsync(new SchedulePaymentRequest([ids[1]], Today.AddDays(4), card.Id, Key()));
        await service.CancelAsync([first.PaymentId, second.PaymentId]);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => service.CancelAsync([first.PaymentId, second.PaymentId]));

        Assert.Equal(("payments", "NotCancellable"), (refused.Field, refused.Error?.Code));
        var parts = Assert.IsAssignableFrom<IReadOnlyList<PortalFieldError>>(Assert.Single(refused.Error!.Arguments));
        var numbers = new[] { first.ReceiptNumber, second.ReceiptNumber }.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(numbers.Select(n => ("NotCancellableCancelled", (object)n)), parts.Select(p => (p.Code, Assert.Single(p.Arguments))));
        Assert.Equal($"{numbers[0]} is already cancelled; {numbers[1]} is already cancelled, so it can no longer be cancelled. Nothing was changed.", refused.Message);
    }

    [Fact]
    public async Task An_amount_refusal_carries_its_amounts()
    {
        await using var h = Harness(database, out _, options: o => o.Deposits = new DepositOptions { Enabled = true, Minimum = 5m, Maximum = 1_000m });

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<DepositService>().PreviewAsync(Usd(1_000.01m), null, Guid.NewGuid()));

        Assert.Equal(("amount", "DepositOutOfRange"), (refused.Field, refused.Error?.Code));
        Assert.Equal(new object[] { Usd(5m), Usd(1_000m) }, refused.Error!.Arguments);
        Assert.Equal("Deposits are from USD 5.00 to USD 1,000.00.", refused.Message);
    }

    [Fact]
    public async Task A_length_refusal_carries_the_limit_and_the_length()
    {
        await using var h = Harness(database, out _);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(
            () => h.Get<SavedViewService>().SaveAsync(new SaveViewRequest("invoices", new string('v', 101), "{}")));

        Assert.Equal(("name", "ViewNameTooLong"), (refused.Field, refused.Error?.Code));
        Assert.Equal(new object[] { 100, 101 }, refused.Error!.Arguments);
        Assert.Equal("A view name can be at most 100 characters; this one has 101.", refused.Message);
    }
}

public sealed class RefusalCodeTests_Sqlite(SqliteDatabase db) : RefusalCodeTests(db), IClassFixture<SqliteDatabase>;

public sealed class RefusalCodeTests_Postgres(PostgresDatabase db) : RefusalCodeTests(db), IClassFixture<PostgresDatabase>;
