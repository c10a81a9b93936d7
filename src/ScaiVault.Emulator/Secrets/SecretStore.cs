using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Subscriptions;

namespace ScaiVault.Emulator.Secrets;

internal sealed class SecretStore(NpgsqlDataSource db, SubscriptionSignals signals, TimeProvider time)
{
    private const string SelectColumns =
        """
        SELECT s.path, s.secret_type, s.version, s.data::text, s.metadata::text,
               (SELECT min(f.created_at) FROM scaivault.secrets f WHERE f.path = s.path), s.created_at, s.expires_at,
               (SELECT a.last_accessed_at FROM scaivault.secret_access a WHERE a.path = s.path)
        FROM scaivault.secrets s
        """;

    /// <summary>
    /// Writes the next version of the secret at <paramref name="path"/> and, in the same transaction,
    /// queues its events for the subscriptions that want them.
    /// </summary>
    /// <param name="rotation">Set when the write is a rotation (the emulator's <c>rotation</c> field).</param>
    public async Task<StoredSecret> WriteAsync(
        string path,
        string secretType,
        JsonElement data,
        JsonElement metadata,
        SecretWriteOrigin origin,
        SecretWriteRotation? rotation,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Serialises writers of one path so that version numbers are dense and never collide.
        await using (var lockPath = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
        {
            lockPath.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "secret:" + path });
            await lockPath.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO scaivault.secrets (path, version, secret_type, data, metadata, created_at)
            SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5 FROM scaivault.secrets WHERE path = $1
            """,
            connection,
            transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = path });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secretType });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = data.GetRawText(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = metadata.GetRawText(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.UtcNowMs() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        var written = (await ReadAsync(connection, transaction, path, version: null, cancellationToken))!;
        var notify = await SubscriptionStore.EnqueueAsync(
            connection, transaction, SecretEvents.ForWrite(written, origin, rotation), cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        // Only now can a poll see the events; woken earlier it would find nothing and wait again.
        signals.Notify(notify);
        return written;
    }

    /// <summary>The given version, or the latest when <paramref name="version"/> is null; null when absent.</summary>
    public async Task<StoredSecret?> GetAsync(string path, int? version, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, path, version, cancellationToken);
    }

    /// <summary>
    /// <see cref="GetAsync"/> for a client's read: a found secret is stamped <c>last_accessed_at</c> = now, and the
    /// answer shows it. The emulator's own reads (an engine's root credentials) go through <see cref="GetAsync"/>.
    /// </summary>
    public async Task<StoredSecret?> ReadAndRecordAccessAsync(string path, int? version, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await ReadAsync(connection, null, path, version, cancellationToken) is not { } secret)
        {
            return null;
        }

        var now = time.UtcNowMs();
        await using var stamp = new NpgsqlCommand(
            """
            INSERT INTO scaivault.secret_access (path, last_accessed_at) VALUES ($1, $2)
            ON CONFLICT (path) DO UPDATE SET last_accessed_at = GREATEST(scaivault.secret_access.last_accessed_at, excluded.last_accessed_at)
            """,
            connection);
        stamp.Parameters.Add(new NpgsqlParameter<string> { TypedValue = path });
        stamp.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        await stamp.ExecuteNonQueryAsync(cancellationToken);
        return secret with { LastAccessedAt = now };
    }

    private static async Task<StoredSecret?> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string path, int? version, CancellationToken cancellationToken)
    {
        var sql = version is null
            ? SelectColumns + " WHERE s.path = $1 ORDER BY s.version DESC LIMIT 1"
            : SelectColumns + " WHERE s.path = $1 AND s.version = $2";
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = path });
        if (version is { } v)
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = v });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new StoredSecret(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetInt32(2),
            ParseJson(reader.GetString(3)),
            ParseJson(reader.GetString(4)),
            reader.GetFieldValue<DateTimeOffset>(5),
            reader.GetFieldValue<DateTimeOffset>(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
            reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8));
    }

    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
