using System.Globalization;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>Runs part of a test in another culture and language: <c>using var _ = TestCulture.Use("de-DE");</c>.</summary>
public static class TestCulture
{
    /// <summary>Sets the current culture and UI culture to <paramref name="name"/> until the result is disposed.</summary>
    public static IDisposable Use(string name)
    {
        var (culture, uiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(name);
        return new Restore(() => (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, uiCulture));
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
