using LeaseAgent.Testing;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// What every figure shares in one harness run: the options, the binaries, the emulator (rate limits off: they
/// are not what figures 1–6 measure), its two roles, a workload token, and a scratch directory.
/// </summary>
public sealed class Bench : IAsyncDisposable
{
    private readonly DirectoryInfo _scratch;
    private readonly string? _requireAuth;
    private int _directories;

    private Bench(BenchOptions options, Binaries binaries, ScaiVaultEmulator emulator, DirectoryInfo scratch, string? requireAuth)
    {
        Options = options;
        Binaries = binaries;
        Emulator = emulator;
        _scratch = scratch;
        _requireAuth = requireAuth;
        TokenFile = Path.Combine(scratch.FullName, "token");
    }

    public BenchOptions Options { get; }

    public Binaries Binaries { get; }

    public ScaiVaultEmulator Emulator { get; }

    /// <summary>A role whose leases need no renewal while measured: default TTL 10 min, max TTL 1 h.</summary>
    public EmulatorRole LongRole { get; private set; } = null!;

    /// <summary>A role that rotates every few seconds: default TTL 2 s, max TTL 6 s.</summary>
    public EmulatorRole ShortRole { get; private set; } = null!;

    /// <summary>A role that rotates about every 2.7 s, for the soak (figure 10): default TTL 2 s, max TTL 4 s.</summary>
    public EmulatorRole SoakRole { get; private set; } = null!;

    /// <summary>
    /// A role whose leases show renewals and rotations at a glance, for the time-left plot (figure 10d): default TTL
    /// 10 s, max TTL 30 s (renewed about every 6.7 s, rotated about every 20 s).
    /// </summary>
    public EmulatorRole TimelineRole { get; private set; } = null!;

    public string TokenFile { get; }

    public static async Task<Bench> StartAsync(BenchOptions options, Binaries binaries)
    {
        var emulator = await EmulatorMetrics.Builder(generationsPerMinute: 0).StartAsync();
        var requireAuth = await TestPostgres.AgentRequireAuthAsync(emulator.Engine.Database);
        var bench = new Bench(options, binaries, emulator, Directory.CreateTempSubdirectory("lease-agent-bench-"), requireAuth);
        bench.LongRole = await emulator.CreateRoleAsync(emulator.Engine, "10m", "1h");
        bench.ShortRole = await emulator.CreateRoleAsync(emulator.Engine, "2s", "6s");
        bench.SoakRole = await emulator.CreateRoleAsync(emulator.Engine, "2s", "4s");
        bench.TimelineRole = await emulator.CreateRoleAsync(emulator.Engine, "10s", "30s");
        await emulator.WriteTokenFileAsync(bench.TokenFile, ttl: "2h");
        return bench;
    }

    /// <summary>A new empty directory for one process's files.</summary>
    public string NewDirectory(string name) =>
        Directory.CreateDirectory(Path.Combine(_scratch.FullName, $"{name}-{Interlocked.Increment(ref _directories):000}")).FullName;

    /// <summary>
    /// The agent's environment in its default configuration (only the required keys; <c>DB_SSLMODE=disable</c>
    /// because the local server has no TLS). The bare client reads the same keys.
    /// </summary>
    public Dictionary<string, string> AgentEnvironment(EmulatorRole role, string outputFile) =>
        Testing.AgentEnvironment.Required(Emulator.BaseAddress, TokenFile, role, outputFile, _requireAuth);

    /// <summary>
    /// <see cref="AgentEnvironment"/> plus the experiment's <c>--agent-env</c> variables: the environment of the agents of
    /// figures 1, 2 (without the health endpoint), 3, 10 and 11.
    /// </summary>
    public Dictionary<string, string> ExperimentEnvironment(EmulatorRole role, string outputFile)
    {
        var environment = AgentEnvironment(role, outputFile);
        foreach (var (key, value) in Options.AgentEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        _scratch.Delete(recursive: true);
    }
}
