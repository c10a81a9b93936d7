using LeaseAgent.Testing;
using Npgsql;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// Leases as the emulator's state store has them (its internal schema), read directly: a test oracle that works while
/// faults are injected and the API is unusable.
/// </summary>
public static class StateStore
{
    extension(ScaiVaultEmulator emulator)
    {
        /// <summary>A lease's state, when it expires and when it was revoked; null when unknown.</summary>
        public async Task<LeaseRecord?> LeaseRecordAsync(string leaseId)
        {
            await using var connection = new NpgsqlConnection(emulator.StateDatabase);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT {LeaseRecord.Columns} FROM scaivault.leases WHERE id = @id", connection);
            command.Parameters.AddWithValue("id", leaseId);
            await using var reader = await command.ExecuteReaderAsync();
            return await reader.ReadAsync() ? LeaseRecord.Read(reader) : null;
        }

        /// <summary>Every lease of a role, oldest first.</summary>
        public async Task<IReadOnlyList<LeaseRecord>> LeaseRecordsAsync(string role)
        {
            await using var connection = new NpgsqlConnection(emulator.StateDatabase);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT {LeaseRecord.Columns} FROM scaivault.leases WHERE role = @role ORDER BY issued_at", connection);
            command.Parameters.AddWithValue("role", role);
            var records = new List<LeaseRecord>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                records.Add(LeaseRecord.Read(reader));
            }

            return records;
        }

        /// <summary>Every lease of a role as one line each, for the report of a failing iteration.</summary>
        public Task<List<string>> DescribeLeasesAsync(string role) => Databases.StringsAsync(
            emulator.StateDatabase,
            "SELECT concat_ws(' ', id, username, state, 'issued', issued_at, 'expires', expires_at, 'revoked', revoked_at, 'client_ref', client_ref, last_error) FROM scaivault.leases WHERE role = @role ORDER BY issued_at",
            ("role", role));
    }
}

/// <summary>A lease in the emulator's state store.</summary>
public sealed record LeaseRecord(string Id, string State, DateTimeOffset ExpiresAt, DateTimeOffset MaxExpiresAt, DateTimeOffset? RevokedAt)
{
    public const string Columns = "id, state, expires_at, max_expires_at, revoked_at";

    public bool IsLive(DateTimeOffset at) => State == "active" && ExpiresAt > at;

    public static LeaseRecord Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetFieldValue<DateTimeOffset>(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4));
}
