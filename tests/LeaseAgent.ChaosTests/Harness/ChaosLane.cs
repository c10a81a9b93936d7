using LeaseAgent.Testing;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// What one lane of a scenario runs its iterations against: an emulator on a fixed loopback port (so it can be
/// restarted where the agents expect it) with the tutorial's engine, and, for the Postgres-restart scenario, the
/// throwaway server its lease users live on, which the lane may stop and start. The emulator logs errors only (the
/// faults it is made to inject would flood the output with warnings) and keeps them for the report of a failing
/// iteration; every secret it hands out goes into the run's ledger.
/// </summary>
public sealed class ChaosLane : IAsyncDisposable
{
    private const int LogLines = 4000;

    private ChaosLane(ScaiVaultEmulator emulator, ThrowawayPostgres? throwawayServer)
    {
        Emulator = emulator;
        ThrowawayServer = throwawayServer;
    }

    public ScaiVaultEmulator Emulator { get; }

    /// <summary>The server of the lease users when the lane owns it (<see cref="StartOnThrowawayServerAsync"/>).</summary>
    public ThrowawayPostgres? ThrowawayServer { get; }

    /// <summary>A lane whose lease users live on the test Postgres.</summary>
    public static async Task<ChaosLane> StartAsync(SecretLedger ledger) => new(await StartEmulatorAsync(ledger, targetServer: null), null);

    /// <summary>A lane whose lease users live on a throwaway Postgres of its own; the server goes with the lane.</summary>
    public static async Task<ChaosLane> StartOnThrowawayServerAsync(SecretLedger ledger)
    {
        var server = await ThrowawayPostgres.StartAsync(ledger);
        try
        {
            return new(await StartEmulatorAsync(ledger, server.AdminConnectionString), server);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        if (ThrowawayServer is not null)
        {
            await ThrowawayServer.DisposeAsync();
        }
    }

    private static async Task<ScaiVaultEmulator> StartEmulatorAsync(SecretLedger ledger, string? targetServer)
    {
        var builder = new ScaiVaultEmulatorBuilder()
            .WithFixedPort()
            .WithDevEndpoints()
            .WithSweepInterval("500ms")
            .WithLogLevel(LogLevel.Error)
            .WithLogCapture(LogLines)
            .WithMiddleware(app => EmulatorSecretTap.Use(app, ledger))
            .WithEngine(ScaiVaultEmulatorBuilder.TutorialEngine, defaultTtl: "4s", maxTtl: "1h");
        var emulator = await (targetServer is null ? builder : builder.WithTargetServer(targetServer)).StartAsync();
        ledger.Add(emulator.Engine.Connection.Password, "root password");
        return emulator;
    }
}
