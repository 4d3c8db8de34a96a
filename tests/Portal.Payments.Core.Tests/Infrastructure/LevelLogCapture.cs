using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Portal.Payments.Core.Tests.Infrastructure;

/// <summary>Every log line written, with its level (a logger provider to add to a harness's logging).</summary>
internal sealed class LevelLogCapture : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Text)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue((logLevel, formatter(state, exception)));

    public void Dispose()
    {
    }
}
