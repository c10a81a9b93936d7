using System.Globalization;

namespace LeaseAgent.Benchmarks;

/// <summary>The command line of a harness run; quick mode (CI) shortens every figure, full mode is the default.</summary>
public sealed record BenchOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project tests/LeaseAgent.Benchmarks -- [options]
               dotnet run -c Release --project tests/LeaseAgent.Benchmarks -- micro [BenchmarkDotNet options]

          --quick               short figures for CI (about 4 minutes): 1 run, 10 rotations, 20 agents vs 10/min, a 12-rotation soak
          --runs N              repeat figures 1-4 and 6 N times and report medians (default 3; quick: 1)
          --write FILE          write the report (markdown) to FILE, e.g. docs/benchmarks.md, and the plots (PNG) to
                                docs/images/ (without it they go to artifacts/bench/)
          --only 1,2,7          measure only these figures
          --fleet N             fleet size (default 200; quick: 20)
          --fleet-limit N       the emulator's generations per minute for the fleet (default 100; quick: 10)
          --rotations N         rotations under the query loop, figure 5 (default 100; quick: 10)
          --csi-pods N          concurrent Mounts of distinct pods, figure 9 (default 50; quick: 10)
          --csi-mounts N        Mounts before the provider's memory is read, figure 9 (default 1000; quick: 200)
          --soak-rotations N    rotations of the soak, figure 10 (default 1000; quick: 12)
          --agent-env KEY=VALUE an extra environment variable for the agents of figures 1–3, 10 and 11 (repeatable), for
                                experiments such as DOTNET_GCgen0size=0x100000; figures 4-9 never get it
          --no-publish          reuse the binaries in artifacts/bench instead of publishing them
        LEASEAGENT_BINARY (SCAIVAULT_CSI_PROVIDER_BINARY) names an agent (CSI provider) binary to measure instead of publishing one.
        Exit code 1 means the harness failed (e.g. an agent never published); missed goals never fail it.
        """;

    public bool Quick { get; init; }

    public int Runs { get; init; } = 3;

    public string? WritePath { get; init; }

    public bool Publish { get; init; } = true;

    public IReadOnlySet<int> Only { get; init; } = new HashSet<int>();

    /// <summary>Cold starts of the agent (and of the bare client) per run, for figure 1.</summary>
    public int StartsPerRun { get; init; } = 3;

    /// <summary>How long after its publish an agent's memory is read (figure 2).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The window over which idle CPU is measured (figure 3).</summary>
    public TimeSpan IdleWindow { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Rotations timed per run (figure 4).</summary>
    public int RotationsPerRun { get; init; } = 5;

    /// <summary>Rotations under the app's query loop (figure 5).</summary>
    public int QueryLoopRotations { get; init; } = 100;

    public int FleetSize { get; init; } = 200;

    public int FleetLimit { get; init; } = 100;

    /// <summary>Mounts of distinct pods sent to the CSI provider at once (figure 9).</summary>
    public int CsiPods { get; init; } = 50;

    /// <summary>Mounts the CSI provider has answered when its memory is read again (figure 9).</summary>
    public int CsiMounts { get; init; } = 1000;

    /// <summary>Rotations of the soak (figure 10).</summary>
    public int SoakRotations { get; init; } = 1000;

    /// <summary>Extra environment variables for the agents of figures 1–3, 10 and 11 (<c>--agent-env</c>), for experiments.</summary>
    public IReadOnlyDictionary<string, string> AgentEnvironment { get; init; } = new Dictionary<string, string>();

    public string Mode => Quick ? "quick" : "full";

    public bool Measures(int figure) => Only.Count == 0 || Only.Contains(figure);

    /// <exception cref="ArgumentException">An unknown option or a bad value.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var quick = args.Contains("--quick");
        var options = quick
            ? new BenchOptions { Quick = true, Runs = 1, IdleWindow = TimeSpan.FromSeconds(10), RotationsPerRun = 3, QueryLoopRotations = 10, FleetSize = 20, FleetLimit = 10, CsiPods = 10, CsiMounts = 200, SoakRotations = 12 }
            : new BenchOptions();

        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Number() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"{args[i - 1]} needs a positive whole number");

            options = args[i] switch
            {
                "--quick" => options,
                "--runs" => options with { Runs = Number() },
                "--write" => options with { WritePath = Value() },
                "--only" => options with { Only = Value().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToHashSet() },
                "--fleet" => options with { FleetSize = Number() },
                "--fleet-limit" => options with { FleetLimit = Number() },
                "--rotations" => options with { QueryLoopRotations = Number() },
                "--csi-pods" => options with { CsiPods = Number() },
                "--csi-mounts" => options with { CsiMounts = Number() },
                "--soak-rotations" => options with { SoakRotations = Number() },
                "--agent-env" => options with { AgentEnvironment = WithVariable(options.AgentEnvironment, Value()) },
                "--no-publish" => options with { Publish = false },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }

        return options;
    }

    private static Dictionary<string, string> WithVariable(IReadOnlyDictionary<string, string> variables, string assignment)
    {
        var equals = assignment.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new ArgumentException($"--agent-env needs KEY=VALUE, not '{assignment}'");
        }

        return new Dictionary<string, string>(variables) { [assignment[..equals]] = assignment[(equals + 1)..] };
    }
}
