using System.Globalization;
using System.Text.Json;
using LeaseAgent.Configuration;

namespace LeaseAgent.ScaiVault;

/// <summary>
/// Reads lease answers tolerantly, as the contract asks: <c>lease_id</c> or <c>id</c>;
/// <c>lease_duration</c> or <c>ttl</c> (seconds or a duration string) or <c>expires_at</c>;
/// the credential under <c>data</c> or at the top level. Anything else is a clear error, never a crash.
/// </summary>
public static class LeaseResponseParser
{
    public static LeaseGrant Parse(ReadOnlySpan<byte> json, DateTimeOffset now, bool expectCredential)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            throw Malformed("the body is not JSON");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Malformed("the body is not a JSON object");
            }

            var leaseId = String(root, "lease_id") ?? String(root, "id") ?? throw Malformed("it has no lease_id");
            var issuedAt = Timestamp(root, "issued_at");
            var expiresAt = Timestamp(root, "expires_at");
            var maxExpiresAt = Timestamp(root, "max_expires_at");

            var duration = Seconds(root, "lease_duration") ?? Seconds(root, "ttl")
                ?? (expiresAt - (issuedAt ?? now))
                ?? throw Malformed("it has neither lease_duration, ttl nor expires_at");
            if (duration < TimeSpan.Zero)
            {
                throw Malformed("its duration is negative");
            }

            // The hard end relative to this answer, measured on the server's own clock.
            TimeSpan? timeToHardEnd = maxExpiresAt is { } max
                ? duration + (max - (expiresAt ?? max))
                : null;

            var renewable = !root.TryGetProperty("renewable", out var renewableElement) || renewableElement.ValueKind != JsonValueKind.False;

            DatabaseCredential? credential = null;
            if (expectCredential)
            {
                var holder = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data : root;
                var username = String(holder, "username") ?? throw Malformed("it has no data.username");
                var password = String(holder, "password") ?? throw Malformed("it has no data.password");
                credential = new DatabaseCredential(username, password);
            }

            return new LeaseGrant
            {
                LeaseId = leaseId,
                Duration = duration,
                TimeToHardEnd = timeToHardEnd is { } end && end < duration ? duration : timeToHardEnd,
                Renewable = renewable,
                IssuedAt = issuedAt,
                ExpiresAt = expiresAt ?? now + duration,
                Credential = credential,
            };
        }
    }

    /// <summary>From a lease listing (<c>{"leases": [...]}</c>), the ids of the leases whose <c>client_ref</c> is exactly <paramref name="clientRef"/>.</summary>
    public static IReadOnlyList<string> ParseIdsWithClientRef(ReadOnlySpan<byte> json, string clientRef)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("leases", out var leases) || leases.ValueKind != JsonValueKind.Array)
            {
                throw Malformed("the listing has no leases array");
            }

            return leases.EnumerateArray()
                .Where(l => l.ValueKind == JsonValueKind.Object && String(l, "client_ref") == clientRef)
                .Select(l => String(l, "lease_id") ?? String(l, "id"))
                .OfType<string>()
                .ToList();
        }
        catch (JsonException)
        {
            throw Malformed("the listing is not JSON");
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    private static DateTimeOffset? Timestamp(JsonElement element, string name) =>
        String(element, name) is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : null;

    private static TimeSpan? Seconds(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetDouble(out var seconds) && double.IsFinite(seconds) && seconds < TimeSpan.MaxValue.TotalSeconds
                => TimeSpan.FromSeconds(seconds),
            JsonValueKind.String when Duration.TryParse(value.GetString(), out var parsed) => parsed,
            _ => null,
        };
    }

    private static ScaiVaultException Malformed(string problem) =>
        new(null, ErrorCodes.MalformedResponse, $"ScaiVault's lease answer cannot be used: {problem}");
}
