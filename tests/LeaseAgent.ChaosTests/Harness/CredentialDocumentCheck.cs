using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>The fields of a published credential that the checks use.</summary>
public sealed record PublishedCredential(string Username, string ConnectionString, string LeaseId, int Generation, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"generation {Generation} (lease {LeaseId}, user {Username})";
}

/// <summary>
/// Whether bytes read from <c>OUTPUT_FILE</c> are one complete, valid <c>json</c> document (I3): every field
/// present with its type, and the connection string and URI agreeing with the separate fields, so a torn or
/// mixed document cannot pass. Problems never quote the content (it holds a password).
/// </summary>
public static class CredentialDocumentCheck
{
    public static string? Problem(byte[] bytes, out PublishedCredential? credential)
    {
        credential = null;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return $"not a JSON object ({bytes.Length} bytes)";
            }

            var username = Text(root, "username");
            var password = Text(root, "password");
            var host = Text(root, "host");
            var database = Text(root, "database");
            var connectionString = Text(root, "connection_string");
            var uri = Text(root, "uri");
            var leaseId = Text(root, "lease_id");
            _ = Text(root, "sslmode");
            var port = root.GetProperty("port").GetInt32();
            var generation = root.GetProperty("generation").GetInt32();
            _ = root.GetProperty("lease_duration_seconds").GetInt64();
            _ = root.GetProperty("renewable").GetBoolean();
            _ = root.GetProperty("issued_at").GetDateTimeOffset();
            var expiresAt = root.GetProperty("expires_at").GetDateTimeOffset();

            if (!username.StartsWith("v_", StringComparison.Ordinal) || username.Any(c => c is not ('_' or (>= 'a' and <= 'z') or (>= '0' and <= '9'))))
            {
                return "username is not a lease user's name";
            }

            if (generation < 1)
            {
                return string.Create(CultureInfo.InvariantCulture, $"generation {generation}");
            }

            var parsed = new NpgsqlConnectionStringBuilder(connectionString);
            if (parsed.Username != username || parsed.Password != password || parsed.Host != host || parsed.Port != port || parsed.Database != database)
            {
                return "connection_string disagrees with the other fields";
            }

            if (!uri.StartsWith($"postgresql://{username}:{password}@{host}:{port}/{database}", StringComparison.Ordinal))
            {
                return "uri disagrees with the other fields";
            }

            credential = new PublishedCredential(username, connectionString, leaseId, generation, expiresAt);
            return null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            return $"{e.GetType().Name} reading a {bytes.Length}-byte document";
        }
    }

    private static string Text(JsonElement root, string name)
    {
        var value = root.GetProperty(name).GetString();
        return string.IsNullOrEmpty(value) ? throw new FormatException($"'{name}' is empty") : value;
    }
}
