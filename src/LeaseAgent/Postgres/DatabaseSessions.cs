using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using Npgsql;

namespace LeaseAgent.Postgres;

/// <summary>Counts a user's sessions, to know when a superseded credential has drained.</summary>
public interface IDatabaseSessions
{
    /// <summary>The number of sessions of <paramref name="username"/>, seen while logged in as <paramref name="connectAs"/>; null when it could not be told.</summary>
    Task<int?> CountAsync(DatabaseCredential connectAs, string username, CancellationToken cancellationToken);
}

/// <summary>
/// Queries <c>pg_stat_activity</c> with the <em>new</em> credential: any user may see which users hold
/// sessions, and the old credential may already be on its way out.
/// </summary>
public sealed class DatabaseSessions(DatabaseOptions database) : IDatabaseSessions
{
    public async Task<int?> CountAsync(DatabaseCredential connectAs, string username, CancellationToken cancellationToken)
    {
        try
        {
            await using var session = await CredentialConnection.OpenAsync(database, connectAs, cancellationToken);
            await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", session.Connection);
            command.Parameters.Add(new NpgsqlParameter { Value = username });
            return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidCastException)
        {
            return null;
        }
    }
}
