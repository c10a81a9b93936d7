using LeaseAgent.ChaosTests.Harness;
using LeaseAgent.ChaosTests.Scenarios;
using Xunit.Abstractions;

namespace LeaseAgent.ChaosTests;

/// <summary>
/// The chaos run: the real Native AOT binary killed, terminated and starved of ScaiVault and Postgres at random
/// moments over <c>CHAOS_ITERATIONS</c> seeded iterations per scenario (docs/chaos.md). The scenarios run in
/// order in this one class, sharing <see cref="ChaosRun"/>; the last test prints the summary line and fails if any
/// count after <c>kills=</c> is not zero.
/// </summary>
[TestCaseOrderer(ScenarioOrderer.TypeName, ScenarioOrderer.AssemblyName)]
public sealed class ChaosSuite(ChaosRun run, ITestOutputHelper output) : IClassFixture<ChaosRun>
{
    [Fact]
    [Scenario(1)]
    public Task Scenario1_SigkillAtRandom_ThenRestartOnTheSameVolume_ConvergesToOneUser() =>
        Runner(KillAndRestartScenario.Number, KillAndRestartScenario.Name).RunAsync(KillAndRestartScenario.Lanes, SharedServerEmulator, KillAndRestartScenario.RunAsync);

    [Fact]
    [Scenario(2)]
    public Task Scenario2_SigkillAtRandom_WithoutRestart_EveryUserGoesAtExpiry() =>
        Runner(KillWithoutRestartScenario.Number, KillWithoutRestartScenario.Name).RunAsync(KillWithoutRestartScenario.Lanes, SharedServerEmulator, KillWithoutRestartScenario.RunAsync);

    [Fact]
    [Scenario(3)]
    public Task Scenario3_SigtermAtRandom_ExitsZero_LeavingNothing() =>
        Runner(TerminateScenario.Number, TerminateScenario.Name).RunAsync(TerminateScenario.Lanes, SharedServerEmulator, TerminateScenario.RunAsync);

    [Fact]
    [Scenario(4)]
    public Task Scenario4_EmulatorFaultsAndRestart_CredentialWorksWhileItsLeaseLives() =>
        Runner(EmulatorFaultScenario.Number, EmulatorFaultScenario.Name).RunAsync(EmulatorFaultScenario.Lanes, SharedServerEmulator, EmulatorFaultScenario.RunAsync);

    [Fact]
    [Scenario(5)]
    public Task Scenario5_PostgresRestartMidLease_NothingUnprobedIsPublished_AndTheAgentRecovers() =>
        Runner(PostgresRestartScenario.Number, PostgresRestartScenario.Name).RunAsync(PostgresRestartScenario.Lanes, () => ChaosLane.StartOnThrowawayServerAsync(run.Ledger), PostgresRestartScenario.RunAsync);

    [Fact]
    [Scenario(6)]
    public Task Scenario6_RotationsUnderAReaderAndAnApp_NoPartialReadNoFailedQuery() =>
        Runner(RotationReadersScenario.Number, RotationReadersScenario.Name).RunAsync(RotationReadersScenario.Lanes, SharedServerEmulator, RotationReadersScenario.RunAsync);

    [Fact]
    [Scenario(7)]
    public async Task Scenario7_NoSecretInAnyAgentLogOfTheRun()
    {
        SecretsInLogsScenario.AssertScannerFindsACanary(run.Ledger);
        await Runner(SecretsInLogsScenario.Number, SecretsInLogsScenario.Name).RunAsync(1, SharedServerEmulator, SecretsInLogsScenario.RunAsync, iterations: 1);

        var kinds = run.Ledger.CountByKind();
        output.WriteLine($"scanned {run.Ledger.LinesScanned} agent log lines for {run.Ledger.Count} secrets ({string.Join(", ", kinds.Select(k => $"{k.Key}: {k.Value}"))})");
        foreach (var kind in new[] { "lease password", "access_token", "workload token", "root password" })
        {
            Assert.True(kinds.GetValueOrDefault(kind) > 0, $"no {kind} was recorded: the ledger would miss its leaks");
        }

        Assert.True(run.Ledger.LinesScanned > 0, "no agent log line was scanned");
        Assert.True(run.Counters.SecretsInLogs == 0, $"{run.Counters.SecretsInLogs} agent log line(s) hold a secret:\n{string.Join('\n', run.Counters.Findings.Where(f => f.StartsWith("secrets_in_logs", StringComparison.Ordinal)))}");
    }

    [Fact]
    [Scenario(8)]
    public Task Scenario8_SeveralCredentials_RotateIndependently_AndSurviveSigkillAndSigterm() =>
        Runner(SeveralCredentialsScenario.Number, SeveralCredentialsScenario.Name).RunAsync(SeveralCredentialsScenario.Lanes, SharedServerEmulator, SeveralCredentialsScenario.RunAsync);

    [Fact]
    [Scenario(99)]
    public void Summary_EveryCountAfterKillsIsZero()
    {
        var line = run.PrintSummary(output);
        Assert.True(run.Counters.AllZero, $"{line}\n{string.Join('\n', run.Counters.Findings)}");
    }

    private ScenarioRunner Runner(int number, string name) => new(run, output, number, name);

    private Task<ChaosLane> SharedServerEmulator() => ChaosLane.StartAsync(run.Ledger);
}
