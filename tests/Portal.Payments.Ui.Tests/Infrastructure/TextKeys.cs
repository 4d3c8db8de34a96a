namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>A text missing from the resources shows as its key ("Methods.Title"); these checks find such keys on a page.</summary>
internal static class TextKeys
{
    /// <summary>Fails when a key of one of <paramref name="areas"/> ("Methods", "Receipt") shows as content or as an attribute value.</summary>
    public static void AssertNoneShown(string markup, params string[] areas) =>
        Assert.DoesNotMatch($@"(>|"")\s*({string.Join('|', areas)})\.[A-Z]\w*", markup);
}
