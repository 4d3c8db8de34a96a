using System.Text.RegularExpressions;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Services.Payments;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// The payment state machine has one owner and one picture: the transition table of <see cref="PaymentLifecycle"/>, the
/// diagram in docs/architecture.md (kept equal by reading it), the table's shape (every state reachable and able to end),
/// and no status written anywhere else in the code.
/// </summary>
public sealed partial class PaymentLifecycleTableTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public void The_unresolved_query_filter_selects_exactly_the_unresolved_states()
    {
        var filter = PaymentLifecycle.IsUnresolved.Compile();
        Assert.All(Enum.GetValues<PaymentStatus>(), status =>
            Assert.Equal(PaymentLifecycle.UnresolvedStates.Contains(status), filter(new PaymentRecord { Status = status })));
    }

    [Fact]
    public void The_diagram_in_the_architecture_doc_is_the_transition_table()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot, "docs", "architecture.md"));
        var section = doc[doc.IndexOf("## Payment lifecycle", StringComparison.Ordinal)..];
        var diagram = section[section.IndexOf("```mermaid", StringComparison.Ordinal)..];
        diagram = diagram[..diagram.IndexOf("```", 10, StringComparison.Ordinal)];
        var drawn = Edge().Matches(diagram)
            .Select(m => ($"{m.Groups["from"].Value}", m.Groups["to"].Value, m.Groups["trigger"].Value))
            .ToHashSet();
        var table = PaymentLifecycle.Transitions
            .Select(t => (t.From?.ToString() ?? "[*]", t.To.ToString(), t.Trigger.ToString()))
            .ToHashSet();

        Assert.NotEmpty(drawn);
        Assert.Empty(table.Except(drawn).Select(e => $"missing from the diagram: {e}"));
        Assert.Empty(drawn.Except(table).Select(e => $"drawn but not in the table: {e}"));
    }

    [Fact]
    public void Every_state_is_reachable_and_every_unfinished_state_can_end()
    {
        var states = Enum.GetValues<PaymentStatus>();
        var reachable = new HashSet<PaymentStatus>();
        var frontier = new Queue<PaymentStatus>(PaymentLifecycle.Transitions.Where(t => t.From is null).Select(t => t.To));
        while (frontier.TryDequeue(out var state))
        {
            if (reachable.Add(state))
            {
                foreach (var next in PaymentLifecycle.Transitions.Where(t => t.From == state))
                {
                    frontier.Enqueue(next.To);
                }
            }
        }
        Assert.Equal(states.Order(), reachable.Order());

        foreach (var state in states)
        {
            var exits = PaymentLifecycle.Transitions.Where(t => t.From == state).ToList();
            if (PaymentLifecycle.FinalStates.Contains(state))
            {
                Assert.Empty(exits);
            }
            else
            {
                Assert.NotEmpty(exits);
            }
        }
        // Every unresolved state can reach a final outcome without passing through itself forever.
        foreach (var unresolved in PaymentLifecycle.UnresolvedStates)
        {
            Assert.Contains(PaymentLifecycle.Transitions, t => t.From == unresolved && (t.To == PaymentStatus.Succeeded || PaymentLifecycle.FinalStates.Contains(t.To)));
        }
        Assert.Equal(PaymentLifecycle.Transitions.Count, PaymentLifecycle.Transitions.Select(t => (t.From, t.To)).Distinct().Count());
    }

    // The event sink and the reconciler end a returned or reversed charge through these two rules: from every state either
    // of them can meet, the rule's answer is a move the table allows, and a return is "Returned" only once money had moved.
    [Fact]
    public void A_return_or_a_reversal_ends_every_open_payment_in_a_state_the_table_allows()
    {
        PaymentStatus[] open = [PaymentStatus.Charging, PaymentStatus.Unconfirmed, PaymentStatus.RequiresAction, PaymentStatus.Processing];
        foreach (var from in open)
        {
            Assert.True(PaymentLifecycle.Allows(from, PaymentLifecycle.ReturnOrFail(from)), $"return from {from}");
            Assert.True(PaymentLifecycle.Allows(from, PaymentLifecycle.RefundOrVoid(from, refunded: false)), $"void from {from}");
            Assert.True(PaymentLifecycle.Allows(from, PaymentLifecycle.RefundOrVoid(from, refunded: true)), $"refund from {from}");
        }
        Assert.Equal([PaymentStatus.Processing, PaymentStatus.Succeeded, PaymentStatus.Unconfirmed],
            Enum.GetValues<PaymentStatus>().Where(s => PaymentLifecycle.ReturnOrFail(s) == PaymentStatus.Returned).Order());
        Assert.True(PaymentLifecycle.Allows(PaymentStatus.Succeeded, PaymentLifecycle.ReturnOrFail(PaymentStatus.Succeeded)));
    }

    [Theory]
    [InlineData(GatewayErrorCode.Timeout)]
    [InlineData(GatewayErrorCode.Unavailable)]
    [InlineData(GatewayErrorCode.InProgress)]
    [InlineData(GatewayErrorCode.IdempotencyConflict)]
    public void An_unknown_gateway_answer_is_never_a_failure(GatewayErrorCode code)
    {
        foreach (var status in Enum.GetValues<ChargeStatus>())
        {
            var (to, reason, failureCode) = PaymentCharger.Classify(new ChargeResult { Status = status, ErrorCode = code, Message = "x" }, offSession: false);
            Assert.Equal(PaymentStatus.Unconfirmed, to);
            Assert.Null(reason);
            Assert.Null(failureCode);
        }
        Assert.Equal(PaymentStatus.Unconfirmed, PaymentCharger.Classify(null, offSession: true).To);
    }

    [Fact]
    public void Definite_answers_map_to_their_states_and_an_off_session_authentication_is_a_clear_failure()
    {
        Assert.Equal(PaymentStatus.Succeeded, PaymentCharger.Classify(new ChargeResult { Status = ChargeStatus.Succeeded }, false).To);
        Assert.Equal(PaymentStatus.Processing, PaymentCharger.Classify(new ChargeResult { Status = ChargeStatus.Processing }, false).To);
        Assert.Equal(PaymentStatus.RequiresAction, PaymentCharger.Classify(new ChargeResult { Status = ChargeStatus.RequiresAction, CustomerAction = "pi_secret" }, false).To);
        Assert.Equal((PaymentStatus.Failed, "The card was declined.", "Declined"),
            PaymentCharger.Classify(new ChargeResult { Status = ChargeStatus.Declined, ErrorCode = GatewayErrorCode.Declined, Message = "The card was declined." }, false));
        Assert.Equal((PaymentStatus.Failed, PaymentCharger.AuthenticationNeededMessage, PaymentFailureCodes.AuthenticationRequired),
            PaymentCharger.Classify(new ChargeResult { Status = ChargeStatus.RequiresAction, CustomerAction = "pi_secret" }, offSession: true));
        Assert.Equal((PaymentStatus.Failed, PaymentCharger.AuthenticationNeededMessage, PaymentFailureCodes.AuthenticationRequired),
            PaymentCharger.Classify(new ChargeResult { Status = ChargeStatus.Declined, ErrorCode = GatewayErrorCode.AuthenticationRequired, Message = "authentication_required" }, true));
        // A debit refused at once collected nothing: a failure with the bank's reason (was Unconfirmed, "may have gone through").
        Assert.Equal((PaymentStatus.Failed, "R04: the account number is invalid.", PaymentFailureCodes.Returned),
            PaymentCharger.Classify(new ChargeResult { Status = ChargeStatus.Returned, ErrorCode = GatewayErrorCode.Returned, Message = "R04: the account number is invalid." }, false));
        // A charge answered "reversed" (refunded or voided since) is left to the reconciler's lookup, which knows whether money moved.
        Assert.Equal(PaymentStatus.Unconfirmed, PaymentCharger.Classify(new ChargeResult { Status = ChargeStatus.Reversed, Reference = "ch_1" }, false).To);
    }

    [Fact]
    public void A_gateway_answer_that_ends_a_payment_gives_its_reason_and_the_code_a_page_words_itself()
    {
        // The gateway's words when it gave some, else the portal's; the code follows the answer, not the words.
        Assert.Equal(("R01: insufficient funds", "Returned"),
            PaymentFailureCodes.OfAnswer(ChargeStatus.Returned, PaymentStatus.Returned, GatewayErrorCode.InsufficientFunds, "R01: insufficient funds"));
        Assert.Equal(("The bank returned the payment.", "Returned"), PaymentFailureCodes.OfAnswer(ChargeStatus.Returned, PaymentStatus.Failed, GatewayErrorCode.None, null));
        Assert.Equal(("The payment was refunded.", "Refunded"), PaymentFailureCodes.OfAnswer(ChargeStatus.Reversed, PaymentStatus.Refunded, GatewayErrorCode.None, null));
        Assert.Equal(("The charge was voided at the payment processor; nothing was charged.", "Voided"),
            PaymentFailureCodes.OfAnswer(ChargeStatus.Reversed, PaymentStatus.Failed, GatewayErrorCode.None, null));
        Assert.Equal(("Do not honor.", "Declined"), PaymentFailureCodes.OfAnswer(ChargeStatus.Declined, PaymentStatus.Failed, GatewayErrorCode.Declined, "Do not honor."));
        Assert.Equal(("The payment did not go through.", "NotThrough"), PaymentFailureCodes.OfAnswer(ChargeStatus.Failed, PaymentStatus.Failed, GatewayErrorCode.None, null));
        // Words without a code the portal knows stay the gateway's, in every language.
        Assert.Equal(("Card blocked by the fraud desk.", (string?)null), PaymentFailureCodes.OfAnswer(ChargeStatus.Failed, PaymentStatus.Failed, GatewayErrorCode.Other, "Card blocked by the fraud desk."));
    }

    [Fact]
    public void No_code_but_the_lifecycle_writes_a_payment_status()
    {
        var writes = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoRoot, "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || file.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || Path.GetFileName(file) == "PaymentLifecycle.cs")
            {
                continue;
            }
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (StatusWrite().IsMatch(lines[i]))
                {
                    writes.Add($"{Path.GetRelativePath(RepoRoot, file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }
        Assert.Empty(writes);
    }

    [GeneratedRegex(@"^\s*(?<from>\[\*\]|\w+)\s*-->\s*(?<to>\w+)\s*:\s*(?<trigger>\w+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Edge();

    // Assignments of a PaymentStatus to an entity's Status member, or ExecuteUpdate setters of a payment's Status.
    [GeneratedRegex(@"(\.Status\s*=\s*PaymentStatus\.)|(SetProperty\(\s*\w+\s*=>\s*\w+\.Status\s*,\s*(PaymentStatus\.|to\b|status\b|target\b))")]
    private static partial Regex StatusWrite();

    private static string FindRepoRoot()
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
}
