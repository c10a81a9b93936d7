using Npgsql;

namespace ScaiVault.Emulator.Leases;

/// <summary>
/// A lease row held <c>FOR UPDATE</c> while its statements run in the target database, so that
/// renew, revoke and the sweeper never act on one lease at the same time. Disposing without
/// <see cref="SaveAsync"/> rolls back and changes nothing.
/// </summary>
internal sealed class LeaseLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    public LeaseLock(NpgsqlConnection connection, NpgsqlTransaction transaction, Lease lease)
    {
        _connection = connection;
        _transaction = transaction;
        Lease = lease;
    }

    public Lease Lease { get; }

    /// <summary>Writes the lease's mutable fields and commits.</summary>
    public async Task SaveAsync(Lease updated, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand(
            """
            UPDATE scaivault.leases
            SET state = $2, expires_at = $3, revoked_at = $4, final_state = $5,
                revoke_attempts = $6, next_revoke_at = $7, last_error = $8
            WHERE id = $1
            """,
            _connection,
            _transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = updated.Id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = updated.State.ToText() });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = updated.ExpiresAt });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)updated.RevokedAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)updated.FinalState?.ToText() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = updated.RevokeAttempts });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)updated.NextRevokeAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)updated.LastError ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await _transaction.CommitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
