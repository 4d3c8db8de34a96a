using Portal.Payments.Ui.Components;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The page of rows a grid hands Radzen: its own count and existence checks come from the list (no expression compiled),
/// and every other query gives what the same query over the list gives.
/// </summary>
public class ListQueryTests
{
    private sealed record Item(int Id, string Name);

    private static List<Item> Items() => [.. Enumerable.Range(1, 7).Select(i => new Item(i, $"item {8 - i}"))];

    [Fact]
    public void Count_long_count_and_any_come_from_the_list()
    {
        var query = new ListQuery<Item>(Items());
        var empty = new ListQuery<Item>([]);

        Assert.Equal(7, query.AsQueryable().Count());
        Assert.Equal(7L, query.AsQueryable().LongCount());
        Assert.True(query.AsQueryable().Any());
        Assert.Equal(0, empty.AsQueryable().Count());
        Assert.False(empty.AsQueryable().Any());
        Assert.Equal(7, query.Count);
        Assert.False(query.UsedFallback);
        Assert.False(empty.UsedFallback);
        Assert.Same(query, query.AsQueryable());
    }

    [Fact]
    public void Other_queries_give_what_they_give_over_the_list()
    {
        var items = Items();
        var query = new ListQuery<Item>(items);
        var plain = items.AsQueryable();

        Assert.Equal(plain.Where(i => i.Id > 3).Select(i => i.Name).ToList(), query.Where(i => i.Id > 3).Select(i => i.Name).ToList());
        Assert.Equal(plain.OrderBy(i => i.Name).Skip(2).Take(3).ToList(), query.OrderBy(i => i.Name).Skip(2).Take(3).ToList());
        Assert.Equal(plain.Count(i => i.Id % 2 == 0), query.Count(i => i.Id % 2 == 0));
        Assert.Equal(plain.Any(i => i.Id > 6), query.Any(i => i.Id > 6));
        Assert.Equal(plain.Any(i => i.Id > 7), query.Any(i => i.Id > 7));
        Assert.Equal(plain.ElementAtOrDefault(4), query.ElementAtOrDefault(4));
        Assert.Null(query.ElementAtOrDefault(40));
        Assert.Equal(plain.Where(i => i.Id < 3).Count(), query.Where(i => i.Id < 3).Count());
        Assert.Equal(items, query.ToList());
        Assert.Equal(items[2], query[2]);
        Assert.True(query.UsedFallback);
    }
}
