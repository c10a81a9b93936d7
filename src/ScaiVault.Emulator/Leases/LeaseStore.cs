using System.Text;
using Npgsql;

namespace ScaiVault.Emulator.Leases;

internal sealed class LeaseStore(NpgsqlDataSource db)
{
    private const string Columns =
        "id, engine, role, identity_id, username, state, issued_at, expires_at, max_expires_at, " +
        "revoked_at, final_state, revoke_attempts, next_revoke_at, last_error, client_ref";

    public async Task InsertAsync(Lease lease, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            $"INSERT INTO scaivault.leases ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, 0, NULL, NULL, $10)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Engine });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Role });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.IdentityId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Username });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.State.ToText() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = lease.IssuedAt });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = lease.ExpiresAt });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = lease.MaxExpiresAt });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)lease.ClientRef ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Ends the <c>creating</c> step of a generate.</summary>
    public async Task CompleteCreationAsync(string id, LeaseState state, string? error, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE scaivault.leases SET state = $2, last_error = $3 WHERE id = $1 AND state = 'creating'");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = state.ToText() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Lease?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM scaivault.leases WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Locks the lease row; null when there is no such lease or, with <paramref name="skipLocked"/>,
    /// when someone else holds it (the sweeper then leaves it for the next round).
    /// </summary>
    public async Task<LeaseLock?> LockAsync(string id, bool skipLocked, CancellationToken cancellationToken)
    {
        var connection = await db.OpenConnectionAsync(cancellationToken);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                $"SELECT {Columns} FROM scaivault.leases WHERE id = $1 FOR UPDATE{(skipLocked ? " SKIP LOCKED" : "")}",
                connection,
                transaction);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            Lease? lease;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                lease = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
            }

            if (lease is not null)
            {
                return new LeaseLock(connection, transaction, lease);
            }
        }
        catch
        {
            await DisposeAsync(connection, transaction);
            throw;
        }

        await DisposeAsync(connection, transaction);
        return null;
    }

    /// <summary>Leases matching every given filter exactly (null or empty: no filter), oldest first; never those still <c>creating</c>.</summary>
    public async Task<IReadOnlyList<Lease>> ListAsync(
        string? identityId, string? engine, string? role, string? clientRef, bool liveOnly, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM scaivault.leases WHERE state <> 'creating'");
        await using var command = db.CreateCommand();
        void Filter(string column, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
                sql.Append(" AND ").Append(column).Append(" = $").Append(command.Parameters.Count);
            }
        }

        Filter("identity_id", identityId);
        Filter("engine", engine);
        Filter("role", role);
        Filter("client_ref", clientRef);
        if (liveOnly)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            sql.Append(" AND state = 'active' AND expires_at > $").Append(command.Parameters.Count);
        }

        command.CommandText = sql.Append(" ORDER BY issued_at, id").ToString();
        var leases = new List<Lease>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add(Read(reader));
        }

        return leases;
    }

    /// <summary>Leases the sweeper should revoke now: expired, revocation retry due, or abandoned mid-generate.</summary>
    public async Task<IReadOnlyList<string>> FindDueAsync(DateTimeOffset now, DateTimeOffset abandonedBefore, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            """
            SELECT id FROM scaivault.leases
            WHERE (state = 'active' AND expires_at <= $1)
               OR (state = 'revoke_pending' AND next_revoke_at <= $1)
               OR (state = 'creating' AND issued_at <= $2)
            ORDER BY expires_at
            LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = abandonedBefore });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public async Task<LeaseMetrics> GetMetricsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var batch = db.CreateBatch();
        var perEngine = new NpgsqlBatchCommand(
            """
            SELECT e.name,
                   count(l.id) FILTER (WHERE l.state = 'active' AND l.expires_at > $1),
                   count(l.id) FILTER (WHERE l.state = 'revoke_pending')
            FROM scaivault.engines e LEFT JOIN scaivault.leases l ON l.engine = e.name
            GROUP BY e.name ORDER BY e.name
            """);
        perEngine.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        batch.BatchCommands.Add(perEngine);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            SELECT r.engine, r.name, count(l.id) FILTER (WHERE l.state NOT IN ('creating', 'failed'))
            FROM scaivault.roles r LEFT JOIN scaivault.leases l ON l.engine = r.engine AND l.role = r.name
            GROUP BY r.engine, r.name ORDER BY r.engine, r.name
            """));

        var engines = new List<EngineLeaseCount>();
        var roles = new List<RoleLeaseCount>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            engines.Add(new EngineLeaseCount(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            roles.Add(new RoleLeaseCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return new LeaseMetrics(engines, roles);
    }

    private static Lease Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        LeaseStateNames.Parse(reader.GetString(5)),
        reader.GetFieldValue<DateTimeOffset>(6),
        reader.GetFieldValue<DateTimeOffset>(7),
        reader.GetFieldValue<DateTimeOffset>(8),
        reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
        reader.IsDBNull(10) ? null : LeaseStateNames.Parse(reader.GetString(10)),
        reader.GetInt32(11),
        reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
        reader.IsDBNull(13) ? null : reader.GetString(13),
        reader.IsDBNull(14) ? null : reader.GetString(14));

    private static async Task DisposeAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        if (transaction is not null)
        {
            await transaction.DisposeAsync();
        }

        await connection.DisposeAsync();
    }
}
