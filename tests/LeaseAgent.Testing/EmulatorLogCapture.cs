using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Testing;

/// <summary>One entry the emulator logged: its event, message and structured values (e.g. the access log's <c>Path</c>).</summary>
public sealed record EmulatorLogEntry(DateTimeOffset At, LogLevel Level, string Category, EventId EventId, string Message, IReadOnlyList<KeyValuePair<string, object?>> Values)
{
    /// <summary>A structured value of the entry as text, or null.</summary>
    public string? Value(string key) => Values.FirstOrDefault(v => v.Key == key).Value?.ToString();

    public override string ToString() => $"{At:HH:mm:ss.fff} {Level} {Category}[{EventId.Id}]: {Message}";
}

/// <summary>Keeps the newest entries the emulator logs; one instance serves every start of a restarted emulator.</summary>
internal sealed class EmulatorLogCapture(int capacity) : ILoggerProvider
{
    private readonly ConcurrentQueue<EmulatorLogEntry> _entries = new();

    public IReadOnlyList<EmulatorLogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        // The entries outlive the application that logged them.
    }

    private void Add(EmulatorLogEntry entry)
    {
        _entries.Enqueue(entry);
        while (_entries.Count > capacity && _entries.TryDequeue(out _))
        {
        }
    }

    private sealed class Logger(EmulatorLogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        // The emulator's --log-level filters before any provider sees an entry.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Add(new EmulatorLogEntry(
                DateTimeOffset.UtcNow,
                logLevel,
                category,
                eventId,
                formatter(state, exception),
                state is IReadOnlyList<KeyValuePair<string, object?>> values ? [.. values] : []));
    }
}
