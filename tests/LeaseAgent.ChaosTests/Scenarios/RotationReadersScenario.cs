using System.Globalization;
using LeaseAgent.ChaosTests.Harness;

namespace LeaseAgent.ChaosTests.Scenarios;

/// <summary>
/// Scenario 6: many rotations (TTL 3 s, max TTL 12 s: a new user every ~8 s, published 4 s before the old one's
/// hard end, room for a loaded CI machine's slow generate) under two readers. A separate reader
/// process hammers the credential file and must never see anything but a complete, valid document with mode
/// 0600 (I3, partial_reads). A well-written app reloads on a directory watch, runs <c>SELECT count(*) FROM report</c>
/// every ~20 ms on two workers and closes its old pool once its queries are done: none of its queries may fail
/// across the rotations (failed_queries), and with it gone the agent revokes the old users (drain), leaving no
/// session of a revoked user (I2).
/// </summary>
public static class RotationReadersScenario
{
    public const int Number = 6;
    public const string Name = "6 rotation-readers";
    public const int Lanes = 1;
    private const int Rotations = 3;
    private const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task RunAsync(Iteration iteration)
    {
        var role = await iteration.CreateRoleAsync("3s", "12s");
        var pod = await iteration.CreatePodAsync(role);
        var drain = iteration.Pick(["1s", "3s", "10s"]);
        pod.Environment["LEASE_DRAIN_TIMEOUT"] = drain;

        await using var reader = ReaderProcess.Start(pod.OutputFile, Mode);
        var app = await LeaseAgent.Testing.WellBehavedApp.StartAsync(pod.OutputFile);
        ReaderReport report;
        var agent = pod.StartAgent();
        try
        {
            await Checks.WaitForGenerationAsync(iteration, pod, agent, Rotations + 1, TimeSpan.FromSeconds(60));

            // The last rotation's old user drains and is revoked while the app keeps querying.
            await Checks.ServingOneUserAsync(iteration, pod, agent, TimeSpan.FromSeconds(30), "the last superseded user revoked");
            Checks.StillRunning(iteration, agent);
        }
        finally
        {
            await app.DisposeAsync();
            report = await reader.StopAsync();
        }

        var users = app.Users.Distinct().Count();
        iteration.Log(string.Create(CultureInfo.InvariantCulture, $"drain {drain}: reader {report.Reads} reads ({report.Absent} absent), generations {string.Join(",", report.Generations)}; app {app.Queries} queries as {users} users, {app.Failures.Count} failed"));
        iteration.Counters.PartialReadsFound(report.Invalid + report.ModeViolations, $"{iteration.Label}: {string.Join(" | ", report.Problems)}");
        iteration.Counters.FailedQueriesFound(app.Failures.Count, $"{iteration.Label}: {string.Join(" | ", app.Failures.Take(3))}");
        iteration.Tally(agent.Logged("no session of user") ? "old user revoked once drained" : "old user revoked at the drain deadline or its hard end");

        Assert.True(report.Invalid == 0 && report.ModeViolations == 0, "the reader saw something other than a complete document with mode 0600:\n" + string.Join('\n', report.Problems));
        if (app.FirstFailureAt is { } firstFailure)
        {
            Assert.Fail(
                "app queries failed during rotations:\n" + string.Join('\n', app.Failures.Take(20)) + "\nthe agent from 10 s before the first failure:\n"
                + Checks.Between(iteration, agent, firstFailure - TimeSpan.FromSeconds(10), firstFailure + TimeSpan.FromSeconds(1)));
        }

        Assert.True(report.Reads >= 1000, $"the reader only managed {report.Reads} reads");
        Assert.True(report.Generations.Length > Rotations, $"the reader saw generations {string.Join(",", report.Generations)} only");
        Assert.True(users > Rotations && app.Queries >= 200, $"the app ran {app.Queries} queries as {users} users only");
        await LeaseAgent.Testing.Eventually.ReturnsAsync(role.SessionsOfRevokedUsersAsync, s => s.Count == 0, TimeSpan.FromSeconds(5), "no session of a revoked user (I2)");

        await Checks.TerminateCleanlyAsync(iteration, pod, agent);

        // ADR 0006: a superseded lease is renewed while it drains; only its max TTL may end it before the drain does.
        var expiredMidDrain = (await role.Emulator.LeaseRecordsAsync(role.Name))
            .Where(l => agent.Logged($"({l.Id}): Retiring -> Lost") && l.ExpiresAt < l.MaxExpiresAt - TimeSpan.FromSeconds(1))
            .ToList();
        iteration.Tally(expiredMidDrain.Count > 0 ? "superseded lease expired mid-drain" : "superseded leases lived until drained");
        Assert.True(
            expiredMidDrain.Count == 0,
            $"superseded lease(s) expired while draining, {string.Join(", ", expiredMidDrain.Select(l => $"{l.Id} at {l.ExpiresAt:HH:mm:ss.fff} (max TTL ends {l.MaxExpiresAt:HH:mm:ss.fff})"))}, with LEASE_DRAIN_TIMEOUT={drain}: it was not renewed while draining\n{Checks.Tail(iteration, agent, 60)}");
    }
}
