using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>One line of the agent's JSON log (<c>LOG_FORMAT=json</c>): its event id, timestamp (ms, UTC) and state.</summary>
/// <param name="Exception">The exception logged with the event, if any (its type, message and stack trace).</param>
public sealed record AgentLogEvent(int EventId, DateTimeOffset Timestamp, string Message, JsonObject State, string? Exception)
{
    public const int Published = 101;
    public const int Rotating = 103;
    public const int AcquireFailed = 107;
    public const int ShutdownComplete = 902;
    public const int SupervisorCrashed = 903;

    public int? IntegerOf(string key) => State[key] is JsonValue value && value.TryGetValue(out int number) ? number : null;

    public double? NumberOf(string key) => State[key] is JsonValue value && value.TryGetValue(out double number) ? number : null;

    public string? TextOf(string key) => State[key] is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    /// <summary>The events of a process's output; lines that are not JSON log events are skipped.</summary>
    public static IReadOnlyList<AgentLogEvent> Parse(IEnumerable<OutputLine> lines)
    {
        var events = new List<AgentLogEvent>();
        foreach (var line in lines)
        {
            if (TryParse(line.Text) is { } parsed)
            {
                events.Add(parsed);
            }
        }

        return events;
    }

    private static AgentLogEvent? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            var node = JsonNode.Parse(line)?.AsObject();
            if (node?[nameof(EventId)] is not JsonValue id || node[nameof(Timestamp)] is not JsonValue timestamp)
            {
                return null;
            }

            return new AgentLogEvent(
                id.GetValue<int>(),
                DateTimeOffset.Parse(timestamp.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                node[nameof(Message)]?.GetValue<string>() ?? string.Empty,
                node[nameof(State)] as JsonObject ?? [],
                node[nameof(Exception)]?.GetValue<string>());
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
