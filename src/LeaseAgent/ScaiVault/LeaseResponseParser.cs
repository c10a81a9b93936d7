using System.Globalization;
using System.Text.Json;
using LeaseAgent.Configuration;
using ScaiVault.Client;

namespace LeaseAgent.ScaiVault;

/// <summary>
/// Reads lease answers tolerantly, as the contract asks: <c>lease_id</c> or <c>id</c>;
/// <c>lease_duration</c> or <c>ttl</c> (seconds or a duration string) or <c>expires_at</c>;
/// the credential under <c>data</c> or at the top level. Anything else is a clear error, never a crash.
/// </summary>
public static class LeaseResponseParser
{
    /// <summary>
    /// The longest lease (and max TTL) the agent accepts: a year, with a day's slack. A database credential leased for
    /// longer is a broken or hostile answer, and the bound keeps every deadline far from any overflow.
    /// </summary>
    public static readonly TimeSpan MaxLeaseDuration = TimeSpan.FromDays(366);

    /// <summary>How far an answer's duration may run past its own hard end (timestamps are rounded to the second).</summary>
    private static readonly TimeSpan HardEndTolerance = TimeSpan.FromSeconds(1);

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
            if (!LeaseIds.IsValid(leaseId))
            {
                // Never revoked: an id that cannot be put into a path safely is not sent back.
                throw Malformed("its lease_id is not made of letters, digits and _.:- (or is . or ..)");
            }

            // From here on the server holds a lease named leaseId: whatever is wrong with the rest of the answer,
            // the caller learns the id so that it can revoke the lease.
            var issuedAt = Timestamp(root, "issued_at");
            var expiresAt = Timestamp(root, "expires_at");
            var maxExpiresAt = Timestamp(root, "max_expires_at");

            var duration = Seconds(root, "lease_duration", leaseId) ?? Seconds(root, "ttl", leaseId)
                ?? (expiresAt - (issuedAt ?? now))
                ?? throw Malformed("it has neither lease_duration, ttl nor expires_at", leaseId);
            if (duration <= TimeSpan.Zero || duration > MaxLeaseDuration)
            {
                throw Malformed($"its duration ({duration.TotalSeconds:0.###} s) is not between 0 and {MaxLeaseDuration.TotalDays:0} days", leaseId);
            }

            // The hard end relative to this answer, measured on the server's own clock.
            TimeSpan? timeToHardEnd = maxExpiresAt is { } max
                ? duration + (max - (expiresAt ?? max))
                : null;
            if (timeToHardEnd is { } hardEnd && (hardEnd > MaxLeaseDuration || duration - hardEnd > HardEndTolerance))
            {
                throw Malformed("its max_expires_at is more than a year away or before its own expiry", leaseId);
            }

            var renewable = !root.TryGetProperty("renewable", out var renewableElement) || renewableElement.ValueKind != JsonValueKind.False;

            DatabaseCredential? credential = null;
            if (expectCredential)
            {
                var holder = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data : root;
                var username = String(holder, "username") ?? throw Malformed("it has no data.username", leaseId);
                var password = String(holder, "password") ?? throw Malformed("it has no data.password", leaseId);

                // Line-based readers of the env and pgpass files would take a line break in a value for a new entry.
                if (!CredentialText.IsSafe(username) || !CredentialText.IsSafe(password))
                {
                    throw Malformed("its username or password contains a control character or line separator", leaseId);
                }

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

            // An id that cannot be put into a path safely is skipped: that lease is left to its TTL.
            return leases.EnumerateArray()
                .Where(l => l.ValueKind == JsonValueKind.Object && String(l, "client_ref") == clientRef)
                .Select(l => String(l, "lease_id") ?? String(l, "id"))
                .Where(LeaseIds.IsValid)
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

    /// <summary>
    /// A duration field: null when absent; a present value that is not a usable duration (a string such as "NaN", a
    /// number beyond any TimeSpan) is a malformed answer rather than a reason to look at the next field.
    /// </summary>
    private static TimeSpan? Seconds(JsonElement element, string name, string leaseId)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Number when value.TryGetDouble(out var seconds) && double.IsFinite(seconds) && Math.Abs(seconds) <= MaxLeaseDuration.TotalSeconds * 2:
                return TimeSpan.FromSeconds(seconds);
            case JsonValueKind.Number:
                throw Malformed($"its {name} is out of range", leaseId);
            case JsonValueKind.String:
                try
                {
                    if (Duration.TryParse(value.GetString(), out var parsed))
                    {
                        return parsed;
                    }
                }
                catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
                {
                    // Digits beyond any TimeSpan: the same answer as any other unusable text.
                }

                throw Malformed($"its {name} is not a duration", leaseId);
            default:
                throw Malformed($"its {name} is neither a number nor a duration", leaseId);
        }
    }

    private static ScaiVaultException Malformed(string problem, string? leaseId = null) =>
        new(null, ErrorCodes.MalformedResponse, $"ScaiVault's lease answer cannot be used: {problem}")
        {
            LeaseId = leaseId,
            MayHaveTakenEffect = leaseId is not null,
        };
}
