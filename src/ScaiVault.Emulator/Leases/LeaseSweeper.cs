using ScaiVault.Emulator.Hosting;

namespace ScaiVault.Emulator.Leases;

/// <summary>Revokes leases at the source when they expire and retries failed revocations, every <c>--sweep-interval</c>.</summary>
internal sealed partial class LeaseSweeper(LeaseService leases, EmulatorOptions options, TimeProvider time, ILogger<LeaseSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval, time);
        do
        {
            try
            {
                var revoked = await leases.SweepAsync(stoppingToken);
                if (revoked > 0)
                {
                    LogSwept(logger, revoked);
                }
            }
#pragma warning disable CA1031 // An unhandled exception would stop the host; the sweeper tries again next round instead.
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                LogSweepFailed(logger, e.GetType().Name, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "Sweeper revoked {Count} lease(s)")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(EventId = 511, Level = LogLevel.Warning, Message = "Sweep failed ({ExceptionType}): {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string exceptionType, string reason);
}
