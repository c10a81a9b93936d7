using System.Globalization;
using LeaseAgent.Testing;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>What the figures read from the emulator beyond the shared harness: its metrics and lease ids.</summary>
public static class EmulatorMetrics
{
    /// <summary>
    /// The emulator as the figures run it: dev endpoints, the tutorial engine, no limit on renewals, revocations, secret
    /// reads (figure 9's Mounts of one service account read one secret faster than 1,000 times a minute) or
    /// unauthenticated requests (its exchanges, limited per address, come faster than 10,000 a minute).
    /// </summary>
    /// <param name="generationsPerMinute">Generations per identity per minute; 0 turns the limit off.</param>
    public static ScaiVaultEmulatorBuilder Builder(int generationsPerMinute) => new ScaiVaultEmulatorBuilder()
        .WithDevEndpoints()
        .WithRateLimits(generate: generationsPerMinute, leaseOperations: 0, reads: 0, other: 0)
        .WithEngine(ScaiVaultEmulatorBuilder.TutorialEngine);

    /// <summary>The ids of the role's active leases.</summary>
    public static async Task<IReadOnlyList<string>> ActiveLeaseIdsAsync(this ScaiVaultEmulator emulator, EmulatorRole role) =>
        [.. (await emulator.ActiveLeasesAsync(role)).Select(l => l["lease_id"]!.GetValue<string>())];

    /// <summary><c>scaivault_leases_generated_total</c> of the role, from <c>/v1/metrics</c>.</summary>
    public static async Task<long> GeneratedTotalAsync(this ScaiVaultEmulator emulator, EmulatorRole role)
    {
        var text = await emulator.Admin.GetStringAsync(new Uri("/v1/metrics", UriKind.Relative));
        var prefix = $"scaivault_leases_generated_total{{engine=\"{role.Engine.Name}\",role=\"{role.Name}\"}}";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : (long)double.Parse(line[prefix.Length..].Trim(), CultureInfo.InvariantCulture);
    }
}
