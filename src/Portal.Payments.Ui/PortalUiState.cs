using Portal.Payments.Services;

namespace Portal.Payments.Ui;

/// <summary>Per-circuit UI state shared by portal components (the last account summary, for the nav badge).</summary>
public sealed class PortalUiState
{
    /// <summary>Raised when <see cref="Summary"/> changes.</summary>
    public event Action? Changed;

    /// <summary>The latest summary loaded, or null.</summary>
    public AccountSummary? Summary { get; private set; }

    /// <summary>Stores a fresh summary and notifies listeners.</summary>
    public void SetSummary(AccountSummary summary)
    {
        Summary = summary;
        Changed?.Invoke();
    }
}
