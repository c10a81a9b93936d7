using System.Text.Json;
using ScaiVault.Client;

namespace LeaseAgent.ScaiVault;

/// <summary>Reads the subscription answers: <c>{id, …}</c> and <c>{"events": [{event_id, event_type, path, …}], "has_more"}</c>.</summary>
public static class SubscriptionResponseParser
{
    public static string ParseId(ReadOnlySpan<byte> json)
    {
        using var document = Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()!
            : throw Malformed("the new subscription has no id");
    }

    public static IReadOnlyList<SecretEvent> ParseEvents(ReadOnlySpan<byte> json)
    {
        using var document = Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
        {
            throw Malformed("the poll answer has no events array");
        }

        var parsed = new List<SecretEvent>();
        foreach (var e in events.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.Object && Text(e, "event_id") is { } id)
            {
                // An event without a path or type still gets acknowledged; it just refreshes nothing in particular.
                parsed.Add(new SecretEvent(id, Text(e, "event_type") ?? "", (Text(e, "path") ?? "").Trim('/')));
            }
        }

        return parsed;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonDocument Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            throw Malformed("it is not JSON");
        }
    }

    private static ScaiVaultException Malformed(string problem) =>
        new(null, ErrorCodes.MalformedResponse, $"ScaiVault's subscription answer cannot be used: {problem}");
}
