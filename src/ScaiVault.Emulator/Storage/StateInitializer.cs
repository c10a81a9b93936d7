using System.Net.Sockets;
using Npgsql;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Hosting;

namespace ScaiVault.Emulator.Storage;

/// <summary>
/// Creates the state schema (and, with <c>--dev</c>, loads the signing key) before the server
/// listens. Waits a while for a Postgres that is still starting, as in a compose file.
/// </summary>
internal sealed partial class StateInitializer(
    NpgsqlDataSource db, DevSigningKey devKey, EmulatorOptions options, ILogger<StateInitializer> logger) : IHostedService
{
    private static readonly TimeSpan StartupPatience = TimeSpan.FromSeconds(30);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await CreateSchemaAsync(cancellationToken);
        if (options.Dev)
        {
            await devKey.LoadOrCreateAsync(cancellationToken);
        }

        LogReady(logger, options.Dev);
        if (options.DevAllowRemote)
        {
            LogDevReachable(logger, string.Join(';', options.Urls));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + StartupPatience;
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

                // Two emulators starting on one database would race on CREATE … IF NOT EXISTS.
                await using (var lockSchema = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7265723331)", connection, transaction))
                {
                    await lockSchema.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var create = new NpgsqlCommand(StateSchema.Ddl, connection, transaction))
                {
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (IsTransient(e) && DateTimeOffset.UtcNow < deadline)
            {
                LogWaiting(logger, e.Message);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    // Wrong passwords and missing databases will not fix themselves; refused connections might.
    private static bool IsTransient(Exception e) =>
        e is NpgsqlException { IsTransient: true } or SocketException or TimeoutException
        || e is PostgresException { SqlState: "57P03" };

    [LoggerMessage(EventId = 700, Level = LogLevel.Warning, Message = "Waiting for the state database: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "State schema ready (dev mode: {Dev})")]
    private static partial void LogReady(ILogger logger, bool dev);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "--dev-allow-remote: anyone who reaches {Urls} can mint workload tokens and change faults without a token")]
    private static partial void LogDevReachable(ILogger logger, string urls);
}
