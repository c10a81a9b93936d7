using LeaseAgent.ChaosTests.Harness;

namespace LeaseAgent.ChaosTests.Scenarios;

/// <summary>
/// Scenario 7 (I4): every line of every agent process of the run is scanned, when the process is done, for every
/// secret minted in the run (all lease passwords the emulator handed out, published or not, the access tokens,
/// the workload JWTs, the root passwords). This scenario adds one agent at <c>LOG_LEVEL=trace</c> through a
/// publish, renewals, a rotation and a SIGTERM, so the scan has the most verbose log there is even when run alone.
/// </summary>
public static class SecretsInLogsScenario
{
    public const int Number = 7;
    public const string Name = "7 secrets-in-logs";

    public static async Task RunAsync(Iteration iteration)
    {
        var role = await iteration.CreateRoleAsync("3s", "9s");
        var pod = await iteration.CreatePodAsync(role);
        pod.Environment["LOG_LEVEL"] = "trace";
        var agent = pod.StartAgent();
        await Checks.WaitForGenerationAsync(iteration, pod, agent, 2, TimeSpan.FromSeconds(40));
        await Checks.TerminateCleanlyAsync(iteration, pod, agent);
    }

    /// <summary>The scanner itself must find a secret it knows, or a zero would prove nothing.</summary>
    public static void AssertScannerFindsACanary(SecretLedger ledger)
    {
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        ledger.Add(canary, "canary");
        Assert.Equal(["canary"], ledger.FindIn($"{{\"Message\":\"connecting with Password={canary};\"}}"));
        Assert.DoesNotContain(canary, ledger.Redact($"x {canary} y"), StringComparison.Ordinal);
    }
}
