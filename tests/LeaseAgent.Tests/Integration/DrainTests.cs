using LeaseAgent.Testing;
using Npgsql;

namespace LeaseAgent.Tests.Integration;

/// <summary>Rotation drain: the old user goes as soon as its sessions are gone, or at the drain deadline with a warning.</summary>
public sealed class DrainTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task NoSessionsLeft_OldUserRevokedLongBeforeTheDrainTimeout()
    {
        // 24 s max TTL with an 8 s lead: the old lease would live 8 s after the rotation, so only the drain
        // check can explain an earlier end.
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "4s", maxTtl: "24s");
        scenario.Environment["LEASE_ROTATE_BEFORE"] = "8s";
        scenario.Environment["LEASE_DRAIN_TIMEOUT"] = "60s";
        var (agent, _) = await scenario.StartAgentAsync();
        var first = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");
        await scenario.WaitForCredentialAsync(d => d["generation"]!.GetValue<int>() == 2, Generous, "a rotation");
        await Eventually.ReturnsAsync(scenario.Emulator.LeaseUsersAsync, users => !users.Contains(first["username"]!.GetValue<string>()), Generous, "the old user revoked");

        var drained = DrainTime(agent, "no session of user");
        Assert.True(drained < TimeSpan.FromSeconds(7), $"the old user was revoked {drained.TotalSeconds:0.0} s after the rotation");
        output.WriteLine($"no sessions: old user revoked {drained.TotalMilliseconds:0} ms after the rotation (drain timeout 60 s)");
    }

    [Fact]
    public async Task AppStillConnected_OldUserKeptUntilTheDeadline_ThenRevokedWithAWarning()
    {
        // The old lease must outlive the drain: 24 s max TTL and an 8 s lead leave it 8 s after the rotation,
        // while its 4 s TTL forces the agent to keep renewing it as it drains.
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "4s", maxTtl: "24s");
        scenario.Environment["LEASE_ROTATE_BEFORE"] = "8s";
        scenario.Environment["LEASE_DRAIN_TIMEOUT"] = "6s";
        var (agent, _) = await scenario.StartAgentAsync();
        var first = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");
        var oldUser = first["username"]!.GetValue<string>();

        // An app that never reloads: it keeps a session open as the first user.
        await using var appSession = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(first["connection_string"]!.GetValue<string>()) { Pooling = false }.ConnectionString);
        await appSession.OpenAsync();

        await scenario.WaitForCredentialAsync(d => d["generation"]!.GetValue<int>() == 2, Generous, "a rotation");
        await Eventually.ReturnsAsync(scenario.Emulator.LeaseUsersAsync, users => !users.Contains(oldUser), Generous, "the old user revoked at the deadline");

        var drained = DrainTime(agent, "still had 1 session(s)");
        Assert.True(drained >= TimeSpan.FromSeconds(5.9), $"the old user was revoked {drained.TotalSeconds:0.0} s after the rotation, before the 6 s drain deadline");
        output.WriteLine($"app still connected: old user revoked {drained.TotalMilliseconds:0} ms after the rotation (drain timeout 6 s)");

        // I2: the revocation ended the session it found.
        await Eventually.ReturnsAsync(
            () => TestPostgres.ScalarAsync<long>(scenario.Emulator.Role.Engine.Database, $"SELECT count(*) FROM pg_stat_activity WHERE usename = '{oldUser}'"),
            count => count == 0,
            Generous,
            "no session of the revoked user");
    }

    /// <summary>
    /// From the second generation's publish to the agent's decision to revoke the first, by the agent's own log:
    /// how late the test looks at the file or at pg_roles cannot make the drain seem shorter or longer.
    /// </summary>
    private static TimeSpan DrainTime(AgentProcess agent, string revocationLine)
    {
        var published = agent.LoggedAt("Published generation 2") ?? throw new Xunit.Sdk.XunitException($"the agent never logged the second publish:\n{agent.Output}");
        var revoked = agent.LoggedAt(revocationLine) ?? throw new Xunit.Sdk.XunitException($"the agent never logged '{revocationLine}':\n{agent.Output}");
        return revoked - published;
    }
}
