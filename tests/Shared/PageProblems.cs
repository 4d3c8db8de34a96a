using Microsoft.Playwright;

namespace Portal.Payments.TestInfrastructure;

/// <summary>
/// What a browser page reports as wrong from the moment it is watched: console errors, uncaught script errors and
/// answers of 400 or more. A test adds its own findings (a request it must not make) with <see cref="Add"/>.
/// </summary>
public sealed class PageProblems
{
    private readonly List<string> _seen = [];

    private PageProblems()
    {
    }

    /// <summary>The problems so far.</summary>
    public IReadOnlyList<string> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    /// <summary>Starts watching <paramref name="page"/>.</summary>
    public static PageProblems Watch(IPage page)
    {
        var problems = new PageProblems();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add(message.Text);
            }
        };
        page.PageError += (_, error) => problems.Add(error);
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                problems.Add($"{response.Status} {response.Request.Method} {response.Url}");
            }
        };
        return problems;
    }

    /// <summary>Records a problem the test found itself.</summary>
    public void Add(string problem)
    {
        lock (_seen)
        {
            _seen.Add(problem);
        }
    }

    /// <summary>A one-line account for an assertion message.</summary>
    public override string ToString() => string.Join(" | ", Seen);
}
