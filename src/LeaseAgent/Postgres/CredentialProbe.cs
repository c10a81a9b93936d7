using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using Npgsql;

namespace LeaseAgent.Postgres;

/// <summary>Logs in with a credential to the app's own database endpoint before anything is published.</summary>
public interface ICredentialProbe
{
    /// <param name="retryWindow">How long failed logins are retried; null for <c>DB_PROBE_WINDOW</c>. An existing credential needs no propagation window.</param>
    Task<ProbeResult> ProbeAsync(DatabaseCredential credential, CancellationToken cancellationToken, TimeSpan? retryWindow = null);
}

/// <summary>
/// Opens one unpooled connection as the new user, checks <c>current_user</c> and runs the optional
/// <c>DB_PROBE_QUERY</c>. Failed logins and unreachable servers are retried within
/// <see cref="DatabaseOptions.ProbeWindow"/>, because a freshly created role can take a moment to reach a
/// replica or a pooler; a wrong user or a failing probe query are final.
/// </summary>
public sealed class CredentialProbe(DatabaseOptions database, TimeProvider time) : ICredentialProbe
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    public async Task<ProbeResult> ProbeAsync(DatabaseCredential credential, CancellationToken cancellationToken, TimeSpan? retryWindow = null)
    {
        var window = retryWindow ?? database.ProbeWindow;
        var started = time.GetTimestamp();
        var delay = FirstRetryDelay;
        var attempts = 0;
        while (true)
        {
            attempts++;
            var (failure, error) = await AttemptAsync(credential, cancellationToken);
            var retryable = failure is ProbeFailure.AuthenticationFailed or ProbeFailure.Unreachable;
            if (failure == ProbeFailure.None || !retryable || time.GetElapsedTime(started) + delay > window)
            {
                return new ProbeResult(failure, attempts, error);
            }

            await Task.Delay(delay, time, cancellationToken);
            delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
        }
    }

    /// <summary>
    /// The connection string the probe and the app use; it holds the password, so it is never logged. The agent's
    /// own connections accept only <c>DB_REQUIRE_AUTH</c>; the app's keeps its driver's default, because Npgsql
    /// before 8 refuses the keyword, and the app has its own driver settings for that.
    /// </summary>
    public static string ConnectionString(DatabaseOptions database, DatabaseCredential credential, bool forProbe) =>
        new NpgsqlConnectionStringBuilder
        {
            RequireAuth = forProbe ? database.NpgsqlRequireAuth : null,
            Host = database.Host,
            Port = database.Port,
            Database = database.Name,
            Username = credential.Username,
            Password = credential.Password,
            SslMode = database.NpgsqlSslMode,
            Pooling = !forProbe,
            ApplicationName = forProbe ? "lease-agent" : null,
            Timeout = forProbe ? 5 : 15,
        }.ConnectionString;

    private async Task<(ProbeFailure Failure, string? Error)> AttemptAsync(DatabaseCredential credential, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString(database, credential, forProbe: true));
            await connection.OpenAsync(cancellationToken);

            await using (var whoAmI = new NpgsqlCommand("SELECT current_user", connection))
            {
                var user = (string?)await whoAmI.ExecuteScalarAsync(cancellationToken);
                if (!string.Equals(user, credential.Username, StringComparison.Ordinal))
                {
                    return (ProbeFailure.WrongUser, $"logged in as '{user}', expected '{credential.Username}'");
                }
            }

            if (database.ProbeQuery is { } query)
            {
                try
                {
                    await using var probeQuery = new NpgsqlCommand(query, connection) { CommandTimeout = 10 };
                    await probeQuery.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException e)
                {
                    return (ProbeFailure.QueryFailed, $"DB_PROBE_QUERY failed: SQLSTATE {e.SqlState} {e.MessageText}");
                }
            }

            return (ProbeFailure.None, null);
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("28", StringComparison.Ordinal))
        {
            return (ProbeFailure.AuthenticationFailed, $"login refused: SQLSTATE {e.SqlState}");
        }
        catch (PostgresException e)
        {
            // 57P03 (cannot connect now), 53300 (too many connections) and friends: the server is not serving.
            return (ProbeFailure.Unreachable, $"SQLSTATE {e.SqlState} {e.MessageText}");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            return (ProbeFailure.Unreachable, $"{e.GetType().Name}: {e.Message}");
        }
    }
}
