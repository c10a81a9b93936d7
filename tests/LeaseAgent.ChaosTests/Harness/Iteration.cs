using System.Globalization;
using LeaseAgent.Testing;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// One iteration of a scenario: its seeded randomness, its lane's emulator, and what it created (roles, pods),
/// which <see cref="ScenarioRunner"/> cleans up after it — scanning every agent log for secrets, counting lease
/// users left behind, and writing the logs of a failing iteration to disk.
/// </summary>
public sealed class Iteration(ChaosRun run, ScenarioRunner scenario, int index, ChaosLane lane, Random random)
{
    private readonly List<ChaosPod> _pods = [];
    private readonly List<ChaosRole> _roles = [];

    public ChaosRun Run { get; } = run;

    public ChaosCounters Counters => Run.Counters;

    public int Index { get; } = index;

    public ScaiVaultEmulator Emulator => lane.Emulator;

    /// <summary>The server of the lease users when the lane owns it (the Postgres-restart scenario).</summary>
    public ThrowawayPostgres? ThrowawayServer => lane.ThrowawayServer;

    public Random Random { get; } = random;

    public string Label { get; } = string.Create(CultureInfo.InvariantCulture, $"{scenario.Name} #{index}");

    public void Log(string message) => scenario.Log($"[{Label}] {message}");

    /// <summary>Adds one to a named tally of the scenario (phases hit, faults injected, …), printed at its end.</summary>
    public void Tally(string what) => scenario.Tally(what);

    public double Uniform(double min, double max) => min + (Random.NextDouble() * (max - min));

    public TimeSpan Between(double minSeconds, double maxSeconds) => TimeSpan.FromSeconds(Uniform(minSeconds, maxSeconds));

    public bool Chance(double probability) => Random.NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> choices) => choices[Random.Next(choices.Count)];

    public async Task<ChaosRole> CreateRoleAsync(string defaultTtl, string maxTtl)
    {
        var role = new ChaosRole(Emulator, await Emulator.CreateRoleAsync(Emulator.Engine, defaultTtl, maxTtl));
        _roles.Add(role);
        return role;
    }

    /// <summary>A pod whose agent keeps a credential of each role (<c>CREDENTIALS</c> when there are several).</summary>
    public async Task<ChaosPod> CreatePodAsync(params ChaosRole[] roles)
    {
        var pod = await ChaosPod.CreateAsync(this, roles);
        _pods.Add(pod);
        return pod;
    }

    internal async Task CleanUpAsync(bool succeeded, bool dumpLogs)
    {
        var dump = !dumpLogs ? null : Directory.CreateDirectory(Path.Combine(Run.LogDirectory, Label.Replace(' ', '-').Replace("#", "", StringComparison.Ordinal)));
        for (var i = 0; i < _pods.Count; i++)
        {
            await _pods[i].DisposeAsync(dump);
        }

        await Emulator.ClearFaultsAsync();
        foreach (var role in _roles)
        {
            if (dump is not null)
            {
                await File.WriteAllLinesAsync(Path.Combine(dump.FullName, $"leases-{role.Name}.txt"), await Emulator.DescribeLeasesAsync(role.Name));
            }

            var leftovers = await role.DropAsync();
            if (succeeded && leftovers > 0)
            {
                Counters.LeakedUsersFound(leftovers, $"{Label}: {leftovers} lease user(s) of role {role.Name} still existed after the iteration's checks");
            }
        }

        if (dump is not null)
        {
            await File.WriteAllLinesAsync(Path.Combine(dump.FullName, "emulator-errors.txt"), Emulator.Log.Select(entry => Run.Ledger.Redact(entry.ToString())));
            Log($"logs of this iteration (secrets redacted): {dump.FullName}");
        }
    }
}
