using System.Text.Json;
using Npgsql;

namespace ReportingService;

/// <summary>
/// One credential document published by lease-agent. It holds a password, so <see cref="ToString"/> names
/// only the user, the generation and the lease, and nothing here ever logs <see cref="ConnectionString"/>.
/// </summary>
public sealed class DbCredential
{
    private DbCredential(string username, string host, int port, string database, string? leaseId, int generation, DateTimeOffset? expiresAt, string connectionString)
    {
        Username = username;
        Host = host;
        Port = port;
        Database = database;
        LeaseId = leaseId;
        Generation = generation;
        ExpiresAt = expiresAt;
        ConnectionString = connectionString;
    }

    public string Username { get; }

    public string Host { get; }

    public int Port { get; }

    public string Database { get; }

    public string? LeaseId { get; }

    /// <summary>Increases with every new user lease-agent publishes.</summary>
    public int Generation { get; }

    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The document's <c>connection_string</c>, with this service's application name. Secret.</summary>
    internal string ConnectionString { get; }

    /// <summary>
    /// Parses a document read from the credential file. Returns null and a problem (that never quotes the
    /// content) for anything but one complete, consistent document: a torn or half-written file, a missing
    /// or mistyped field, or a connection string that disagrees with the separate fields.
    /// </summary>
    public static DbCredential? Parse(ReadOnlyMemory<byte> bytes, string applicationName, out string? problem)
    {
        problem = null;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = $"not a JSON object ({bytes.Length} bytes)";
                return null;
            }

            var username = RequiredText(root, "username");
            var password = RequiredText(root, "password");
            var host = RequiredText(root, "host");
            var database = RequiredText(root, "database");
            var connectionString = RequiredText(root, "connection_string");
            var port = root.GetProperty("port").GetInt32();
            var generation = root.GetProperty("generation").GetInt32();
            var leaseId = root.TryGetProperty("lease_id", out var lease) && lease.ValueKind == JsonValueKind.String ? lease.GetString() : null;
            DateTimeOffset? expiresAt = root.TryGetProperty("expires_at", out var expires) && expires.ValueKind == JsonValueKind.String ? expires.GetDateTimeOffset() : null;

            if (port is < 1 or > 65535)
            {
                problem = "port is out of range";
                return null;
            }

            if (generation < 1)
            {
                problem = "generation is below 1";
                return null;
            }

            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (builder.Username != username || builder.Password != password || builder.Host != host || builder.Port != port || builder.Database != database)
            {
                problem = "connection_string disagrees with the other fields";
                return null;
            }

            if (string.IsNullOrEmpty(builder.ApplicationName))
            {
                builder.ApplicationName = applicationName;
            }

            return new DbCredential(username, host, port, database, leaseId, generation, expiresAt, builder.ConnectionString);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            problem = $"{e.GetType().Name} reading a {bytes.Length}-byte document";
            return null;
        }
    }

    /// <summary>Whether <paramref name="other"/> is the same lease user (same generation and user): nothing to reload.</summary>
    public bool IsSameAs(DbCredential? other) =>
        other is not null && other.Generation == Generation && other.Username == Username;

    public override string ToString() => $"generation {Generation} (user {Username}, lease {LeaseId ?? "?"})";

    private static string RequiredText(JsonElement root, string name)
    {
        var value = root.GetProperty(name).GetString();
        return string.IsNullOrEmpty(value) ? throw new FormatException($"'{name}' is empty") : value;
    }
}
