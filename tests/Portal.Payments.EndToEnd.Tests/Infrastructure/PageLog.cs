using Microsoft.Playwright;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// What a page says while a test runs, one line per event, for the failure message: console messages, script errors,
/// failed requests and responses of 400 or more, main-frame navigations, and the circuit's WebSocket opening, closing
/// and failing (a page whose circuit never started looks like a page that ignores clicks).
/// </summary>
public sealed class PageLog
{
    private readonly List<string> _lines = [];

    private PageLog(IPage page)
    {
        page.Console += (_, message) => Add($"[console {message.Type}] {message.Text}");
        page.PageError += (_, error) => Add($"[page error] {error}");
        page.RequestFailed += (_, request) => Add($"[request failed] {request.Method} {request.Url}: {request.Failure}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                Add($"[http {response.Status}] {response.Request.Method} {response.Url}");
            }
        };
        page.FrameNavigated += (_, frame) =>
        {
            if (frame == page.MainFrame)
            {
                Add($"[navigated] {frame.Url}");
            }
        };
        page.WebSocket += (_, socket) =>
        {
            Add($"[websocket open] {socket.Url}");
            socket.Close += (_, _) => Add($"[websocket closed] {socket.Url}");
            socket.SocketError += (_, error) => Add($"[websocket error] {error}");
        };
    }

    /// <summary>Starts logging <paramref name="page"/>.</summary>
    public static PageLog Watch(IPage page) => new(page);

    /// <summary>Writes the lines so far and the page's visible text (its first 4,000 characters) to <paramref name="write"/>.</summary>
    public async Task WriteAsync(IPage page, Action<string> write)
    {
        lock (_lines)
        {
            write("--- browser ---\n" + string.Join('\n', _lines));
        }
        try
        {
            var text = await page.EvaluateAsync<string>("() => document.body ? document.body.innerText : ''");
            write($"--- page {page.Url} ---\n" + (text.Length > 4000 ? text[..4000] : text));
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            write($"Could not read the page: {ex.Message}");
        }
    }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        }
    }
}
