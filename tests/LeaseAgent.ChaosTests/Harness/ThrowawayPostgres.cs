using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using LeaseAgent.Testing;
using Npgsql;
using Testcontainers.PostgreSql;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// A Postgres of the chaos run's own, which the Postgres-restart scenario may stop and start: the shared server
/// of <c>LEASEAGENT_TEST_POSTGRES</c> is used by other test projects at the same time and is never touched.
/// With local server binaries it is a fresh cluster in a temp directory on a free loopback port, started by
/// <c>.ci/postgres.sh</c> (as the <c>postgres</c> OS user when running as root) and restarted with
/// <c>pg_ctl</c>; without them, a Testcontainers container on a fixed host port, stopped and started.
/// Its superuser gets a random password, recorded as a secret of the run.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string? _binaries;
    private readonly string? _directory;
    private readonly PostgreSqlContainer? _container;

    private ThrowawayPostgres(string adminConnectionString, string? binaries, string? directory, PostgreSqlContainer? container)
    {
        AdminConnectionString = adminConnectionString;
        _binaries = binaries;
        _directory = directory;
        _container = container;
    }

    /// <summary>Superuser connection string to the maintenance database.</summary>
    public string AdminConnectionString { get; }

    public static async Task<ThrowawayPostgres> StartAsync(SecretLedger ledger)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        ledger.Add(password, "root password");
        var binaries = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        var port = LoopbackPort.Free();
        if (binaries is null)
        {
            var container = new PostgreSqlBuilder("postgres:15-alpine").WithPassword(password).WithPortBinding(port, PostgreSqlBuilder.PostgreSqlPort).Build();
            await container.StartAsync();
            return new ThrowawayPostgres(new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Pooling = false }.ConnectionString, null, null, container);
        }

        var directory = Path.Combine(Path.GetTempPath(), "leaseagent-chaos-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var script = Path.Combine(RepositoryRoot.Path, ".ci", "postgres.sh");
        var initial = (await RunAsync(script, "start", directory, port.ToString(CultureInfo.InvariantCulture))).Trim();
        await Databases.ExecuteAsync(initial, $"ALTER USER postgres PASSWORD '{password}'");
        var admin = new NpgsqlConnectionStringBuilder(initial) { Password = password, Pooling = false }.ConnectionString;
        return new ThrowawayPostgres(admin, binaries, directory, null);
    }

    /// <summary>Fast shutdown: sessions are ended, the server refuses connections until <see cref="StartServerAsync"/>.</summary>
    public async Task StopServerAsync()
    {
        if (_container is not null)
        {
            await _container.StopAsync();
            return;
        }

        await PgCtlAsync("-D", Path.Combine(_directory!, "data"), "-m", "fast", "-w", "stop");
    }

    public async Task StartServerAsync()
    {
        if (_container is not null)
        {
            await _container.StartAsync();
            return;
        }

        await PgCtlAsync("-D", Path.Combine(_directory!, "data"), "-l", Path.Combine(_directory!, "server.log"), "-w", "-t", "60", "start");
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
            return;
        }

        await RunAsync(Path.Combine(RepositoryRoot.Path, ".ci", "postgres.sh"), "stop", _directory!);
        Directory.Delete(_directory!, recursive: true);
    }

    private Task<string> PgCtlAsync(params string[] args)
    {
        var pgCtl = Path.Combine(_binaries!, "pg_ctl");
        return Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", pgCtl, .. args]) : RunAsync(pgCtl, args);
    }

    private static async Task<string> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed with {process.ExitCode}: {await stderr}");
    }
}
