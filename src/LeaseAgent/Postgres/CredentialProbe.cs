using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using Npgsql;
using Polly;
using Polly.Retry;
using ScaiVault.Client;

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
/// <see cref="DatabaseOptions.ProbeWindow"/> (<see cref="Backoff.ProbeLogin"/>, a retry only if it starts within the
/// window), because a freshly created role can take a moment to reach a replica or a pooler; a wrong user or a
/// failing probe query are final.
/// </summary>
public sealed class CredentialProbe : ICredentialProbe
{
    private readonly DatabaseOptions _database;
    private readonly TimeProvider _time;

    /// <summary>Retries a failed login while the next attempt starts before the window's end (the context's <see cref="ScaiVaultResilience.Deadline"/>).</summary>
    private readonly ResiliencePipeline<ProbeResult> _withinWindow;

    public CredentialProbe(DatabaseOptions database, TimeProvider time)
    {
        _database = database;
        _time = time;
        _withinWindow = new ResiliencePipelineBuilder<ProbeResult> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<ProbeResult>
            {
                MaxRetryAttempts = int.MaxValue, // bounded by the window
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result is { Failure: ProbeFailure.AuthenticationFailed or ProbeFailure.Unreachable }
                    && Backoff.ProbeLogin.Ceiling(args.AttemptNumber) <= ScaiVaultResilience.TimeLeft(args.Context, time)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Backoff.ProbeLogin.Ceiling(args.AttemptNumber)),
            })
            .Build();
    }

    public async Task<ProbeResult> ProbeAsync(DatabaseCredential credential, CancellationToken cancellationToken, TimeSpan? retryWindow = null)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ScaiVaultResilience.Deadline, Deadline.From(_time, retryWindow ?? _database.ProbeWindow));
        var attempts = 0;
        try
        {
            return await _withinWindow.ExecuteAsync(
                async ctx =>
                {
                    var (failure, error) = await AttemptAsync(credential, ctx.CancellationToken);
                    return new ProbeResult(failure, ++attempts, error);
                },
                context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
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
            await using var session = await CredentialConnection.OpenAsync(_database, credential, cancellationToken);
            var connection = session.Connection;

            await using (var whoAmI = new NpgsqlCommand("SELECT current_user", connection))
            {
                var user = (string?)await whoAmI.ExecuteScalarAsync(cancellationToken);
                if (!string.Equals(user, credential.Username, StringComparison.Ordinal))
                {
                    return (ProbeFailure.WrongUser, $"logged in as '{user}', expected '{credential.Username}'");
                }
            }

            if (_database.ProbeQuery is { } query)
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
