using System.Security.Cryptography;
using LeaseAgent.Testing;
using Npgsql;
using Testcontainers.PostgreSql;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// A Postgres of the chaos run's own, which the Postgres-restart scenario may stop and start: the shared server
/// of <c>LEASEAGENT_TEST_POSTGRES</c> is used by other test projects at the same time and is never touched.
/// With local server binaries it is a <see cref="LocalPostgresServer"/> (the fixture's throwaway server); without
/// them, a Testcontainers container on a fixed host port, stopped and started. Its superuser's random password is
/// recorded as a secret of the run.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly LocalPostgresServer? _local;
    private readonly PostgreSqlContainer? _container;

    private ThrowawayPostgres(string adminConnectionString, LocalPostgresServer? local, PostgreSqlContainer? container)
    {
        AdminConnectionString = adminConnectionString;
        _local = local;
        _container = container;
    }

    /// <summary>Superuser connection string to the maintenance database.</summary>
    public string AdminConnectionString { get; }

    public static async Task<ThrowawayPostgres> StartAsync(SecretLedger ledger)
    {
        if (await LocalPostgresServer.BinariesAvailableAsync())
        {
            var local = await LocalPostgresServer.StartAsync();
            ledger.Add(local.Password, "root password");
            return new ThrowawayPostgres(local.AdminConnectionString, local, null);
        }

        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        ledger.Add(password, "root password");
        var container = new PostgreSqlBuilder("postgres:15-alpine").WithPassword(password).WithPortBinding(LoopbackPort.Free(), PostgreSqlBuilder.PostgreSqlPort).Build();
        await container.StartAsync();
        return new ThrowawayPostgres(new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Pooling = false }.ConnectionString, null, container);
    }

    /// <summary>Fast shutdown: sessions are ended, the server refuses connections until <see cref="StartServerAsync"/>.</summary>
    public Task StopServerAsync() => _local is not null ? _local.StopServerAsync() : _container!.StopAsync();

    public Task StartServerAsync() => _local is not null ? _local.ResumeAsync() : _container!.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_local is not null)
        {
            await _local.DisposeAsync();
            return;
        }

        await _container!.DisposeAsync();
    }
}
