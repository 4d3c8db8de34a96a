using Microsoft.AspNetCore.Components;

namespace Portal.Payments.Ui.Components;

/// <summary>One action in an <see cref="ActionsMenu"/>.</summary>
/// <param name="Text">What the action does, as a clerk reads it.</param>
/// <param name="Icon">A Material icon name shown before the text.</param>
/// <param name="TestId">The action's test id.</param>
/// <param name="OnChoose">Runs when the action is chosen; the menu has closed by then.</param>
/// <param name="DisabledReason">Why the action does not apply now (shown beside it, disabled); null when it can be chosen.</param>
public sealed record ActionsMenuItem(string Text, string Icon, string TestId, EventCallback OnChoose, string? DisabledReason = null);
