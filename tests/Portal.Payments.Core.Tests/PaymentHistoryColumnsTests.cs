using Portal.Payments.Services;
using Portal.Payments.Services.History;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The history export's <c>columns</c>: what a host or a hand-made link gets told when it names one wrong.</summary>
public sealed class PaymentHistoryColumnsTests
{
    // Review: the refusal listed the CSV's titles ("Receipt number", "Paid by", "Scheduled date") as the columns to use,
    // and the export refused each of those titles again: a host could not tell what to pass.
    [Fact]
    public void An_unknown_column_is_refused_with_the_names_the_export_takes()
    {
        var refusal = Assert.Throws<PortalValidationException>(() => PaymentHistoryService.Columns(["Receipt number"]));

        Assert.Equal("columns", refusal.Field);
        Assert.Equal("The history has no column called \"Receipt number\". Columns: Date, ReceiptNumber, Kind, Method, Amount, Fee, Status, User, Invoices, ScheduledFor, Memo.",
            refusal.Message);
        // Every name listed is one the export takes.
        var listed = refusal.Message[(refusal.Message.IndexOf("Columns: ", StringComparison.Ordinal) + 9)..].TrimEnd('.').Split(", ");
        Assert.Equal(listed, PaymentHistoryService.Columns(listed));
        // A long wrong name is not echoed whole.
        var longName = Assert.Throws<PortalValidationException>(() => PaymentHistoryService.Columns([new string('x', 300)]));
        Assert.Contains(new string('x', 40) + "…\"", longName.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 41), longName.Message, StringComparison.Ordinal);
    }
}
