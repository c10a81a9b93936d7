using System.Globalization;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// What every figure shares in one harness run: the options, the binaries, the emulator (rate limits off: they
/// are not what figures 1–6 measure), its two roles, a workload token, and a scratch directory.
/// </summary>
public sealed class Bench : IAsyncDisposable
{
    private readonly DirectoryInfo _scratch;
    private int _directories;

    private Bench(BenchOptions options, Binaries binaries, BenchEmulator emulator, DirectoryInfo scratch)
    {
        Options = options;
        Binaries = binaries;
        Emulator = emulator;
        _scratch = scratch;
        TokenFile = Path.Combine(scratch.FullName, "token");
    }

    public BenchOptions Options { get; }

    public Binaries Binaries { get; }

    public BenchEmulator Emulator { get; }

    /// <summary>A role whose leases need no renewal while measured: default TTL 10 min, max TTL 1 h.</summary>
    public string LongRole { get; private set; } = string.Empty;

    /// <summary>A role that rotates every few seconds: default TTL 2 s, max TTL 6 s.</summary>
    public string ShortRole { get; private set; } = string.Empty;

    public string TokenFile { get; }

    public static async Task<Bench> StartAsync(BenchOptions options, Binaries binaries)
    {
        var emulator = await BenchEmulator.StartAsync(rateLimitGenerate: 0, rateLimitLeaseOperations: 0);
        var bench = new Bench(options, binaries, emulator, Directory.CreateTempSubdirectory("lease-agent-bench-"));
        bench.LongRole = await emulator.CreateRoleAsync("10m", "1h");
        bench.ShortRole = await emulator.CreateRoleAsync("2s", "6s");
        await emulator.WriteTokenFileAsync(bench.TokenFile, "system:serviceaccount:reporting:reporting-service");
        return bench;
    }

    /// <summary>A new empty directory for one process's files.</summary>
    public string NewDirectory(string name) =>
        Directory.CreateDirectory(Path.Combine(_scratch.FullName, $"{name}-{Interlocked.Increment(ref _directories):000}")).FullName;

    /// <summary>
    /// The agent's environment in its default configuration (only the required keys; <c>DB_SSLMODE=disable</c>
    /// because the local server has no TLS). The bare client reads the same keys.
    /// </summary>
    public Dictionary<string, string> AgentEnvironment(string role, string outputFile) =>
        AgentEnvironment(Emulator, role, TokenFile, outputFile, Emulator.BaseAddress);

    public static Dictionary<string, string> AgentEnvironment(BenchEmulator emulator, string role, string tokenFile, string outputFile, Uri scaiVault)
    {
        var db = emulator.Database;
        var environment = new Dictionary<string, string>
        {
            ["SCAIVAULT_URL"] = scaiVault.ToString(),
            ["SCAIVAULT_TOKEN_FILE"] = tokenFile,
            ["LEASE_ENGINE"] = BenchEmulator.EngineName,
            ["LEASE_ROLE"] = role,
            ["DB_HOST"] = db.Host!,
            ["DB_PORT"] = db.Port.ToString(CultureInfo.InvariantCulture),
            ["DB_NAME"] = db.Database!,
            ["DB_SSLMODE"] = "disable",
            ["OUTPUT_FILE"] = outputFile,
        };
        if (emulator.RequireAuth is not null)
        {
            environment["DB_REQUIRE_AUTH"] = emulator.RequireAuth;
        }

        return environment;
    }

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        _scratch.Delete(recursive: true);
    }
}
