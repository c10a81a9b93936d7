using System.Globalization;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// <c>CHAOS_ITERATIONS</c> (iterations per scenario), <c>CHAOS_SEED</c> (random when unset), <c>CHAOS_LANES</c> and
/// the replay settings. Every random choice of iteration <c>i</c> of scenario <c>n</c> comes from its own generator
/// seeded from (seed, n, i), so a failing iteration replays with the same choices when run alone
/// (<c>CHAOS_ITERATION=i</c> and <c>--filter</c>), on any number of lanes; only the timing of the machine differs.
/// </summary>
public sealed class ChaosSettings
{
    public const int DefaultIterations = 2;

    private ChaosSettings(int iterations, int seed, bool keepLogs, int? onlyIteration, int? lanes)
    {
        Iterations = iterations;
        Lanes = lanes;
        Seed = seed;
        KeepLogs = keepLogs;
        OnlyIteration = onlyIteration;
    }

    public int Iterations { get; }

    public int Seed { get; }

    /// <summary>
    /// <c>CHAOS_LANES=n</c>: run every scenario on n lanes instead of its own default (1–2), to shorten a long run.
    /// Lanes are independent pods with their own emulator, so more of them only add load to the machine.
    /// </summary>
    public int? Lanes { get; }

    /// <summary><c>CHAOS_KEEP_LOGS=1</c>: write the logs of every iteration, not only of failing ones.</summary>
    public bool KeepLogs { get; }

    /// <summary><c>CHAOS_ITERATION=i</c>: run only iteration <c>i</c> of each scenario (to replay a failure).</summary>
    public int? OnlyIteration { get; }

    public static ChaosSettings FromEnvironment()
    {
        var iterations = Parse("CHAOS_ITERATIONS") ?? DefaultIterations;
        if (iterations < 1)
        {
            throw new InvalidOperationException($"CHAOS_ITERATIONS must be at least 1, not {iterations}");
        }

        var lanes = Parse("CHAOS_LANES");
        if (lanes is < 1)
        {
            throw new InvalidOperationException($"CHAOS_LANES must be at least 1, not {lanes}");
        }

        return new ChaosSettings(iterations, Parse("CHAOS_SEED") ?? Random.Shared.Next(), Parse("CHAOS_KEEP_LOGS") is > 0, Parse("CHAOS_ITERATION"), lanes);
    }

    /// <summary>The generator of one iteration of one scenario (stable across runs and filters).</summary>
    public Random RandomFor(int scenario, int iteration) =>
        new(unchecked((((Seed * 1_000_003) + scenario) * 7_919) + iteration));

    private static int? Parse(string variable)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidOperationException($"{variable}='{text}' is not an integer");
    }
}
