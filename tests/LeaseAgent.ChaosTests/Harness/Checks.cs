using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Npgsql;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>The invariants an iteration waits for or asserts, counting what breaks them.</summary>
public static class Checks
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Waits for the steady state of one live agent (I1, I5), for every credential of the pod: exactly one lease
    /// user of its role in Postgres, exactly one active lease in the emulator, and its published document naming
    /// both and logging in. Lease users still there beyond one per role at the deadline are counted as leaked.
    /// </summary>
    /// <param name="agent">The agent that should be serving: the wait ends at once if it exits.</param>
    /// <returns>The first credential's document.</returns>
    public static async Task<JsonObject> ServingOneUserAsync(Iteration iteration, ChaosPod pod, AgentProcess agent, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            StillRunning(iteration, agent);
            var states = new List<(PodCredential Credential, IReadOnlyList<string> Users, IReadOnlyList<JsonObject> Leases, JsonObject? Document, bool Serving)>();
            foreach (var credential in pod.Credentials)
            {
                var users = await credential.Role.UsersAsync();
                var leases = await credential.Role.ActiveLeasesAsync();
                var document = pod.TryReadDocument(credential.File);
                var serving = users.Count == 1 && leases.Count == 1 && document is not null
                    && document["lease_id"]?.GetValue<string>() == leases[0]["lease_id"]?.GetValue<string>()
                    && document["username"]?.GetValue<string>() == users[0]
                    && await LogsInAsync(document);
                states.Add((credential, users, leases, document, serving));
            }

            if (states.TrueForAll(s => s.Serving))
            {
                return states[0].Document!;
            }

            if (clock.Elapsed > timeout)
            {
                foreach (var (credential, users, leases, document, _) in states.Where(s => !s.Serving))
                {
                    iteration.Counters.LeakedUsersFound(users.Count - 1, $"{iteration.Label}: {users.Count} lease users of {credential.Role.Name} for one agent {timeout.TotalSeconds:0} s into {what}: {string.Join(", ", users)}");
                }

                var problems = states.Where(s => !s.Serving).Select(s => string.Create(CultureInfo.InvariantCulture, $"role {s.Credential.Role.Name}: {s.Users.Count} lease user(s), {s.Leases.Count} active lease(s), and the published document is {Describe(s.Document)}"));
                throw new TimeoutException($"{what}: after {timeout.TotalSeconds:0} s, {string.Join("; ", problems)}");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>Waits until the agent has published at least generation <paramref name="generation"/>; ends at once if it exits.</summary>
    /// <param name="file">The credential's file; by default the pod's first.</param>
    public static async Task WaitForGenerationAsync(Iteration iteration, ChaosPod pod, AgentProcess agent, int generation, TimeSpan timeout, string? file = null)
    {
        var clock = Stopwatch.StartNew();
        while (pod.TryReadDocument(file)?["generation"]?.GetValue<int>() is not { } published || published < generation)
        {
            StillRunning(iteration, agent);
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"generation {generation} was not published to {file ?? pod.OutputFile} within {timeout.TotalSeconds:0} s\n{Tail(iteration, agent)}");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>Waits until no lease user and no active lease of the role is left (I1, I5); what is left at the deadline leaked.</summary>
    public static async Task<TimeSpan> GoneAsync(Iteration iteration, ChaosRole role, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var users = await role.UsersAsync();
            var leases = await role.ActiveLeasesAsync();
            if (users.Count == 0 && leases.Count == 0)
            {
                return clock.Elapsed;
            }

            if (clock.Elapsed > timeout)
            {
                iteration.Counters.LeakedUsersFound(Math.Max(users.Count, leases.Count), $"{iteration.Label}: {users.Count} lease user(s) and {leases.Count} active lease(s) left {timeout.TotalSeconds:0} s into {what}: {string.Join(", ", users)}");
                throw new TimeoutException($"{what}: {users.Count} lease user(s) ({string.Join(", ", users)}) and {leases.Count} active lease(s) still there after {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>
    /// SIGTERM, and at once: exit code 0, no credential file, no journal, no lease user, no active lease, no session
    /// of a revoked user (I2). What is left in Postgres or the emulator counts as unrevoked after SIGTERM.
    /// </summary>
    public static async Task TerminateCleanlyAsync(Iteration iteration, ChaosPod pod, AgentProcess agent, bool atRandomMoment = false)
    {
        var clock = Stopwatch.StartNew();
        var exitCode = await pod.TerminateAsync(agent, TimeSpan.FromSeconds(30), atRandomMoment);
        var elapsed = clock.Elapsed;
        var users = new List<string>();
        var leases = new List<JsonObject>();
        foreach (var role in pod.Credentials.Select(c => c.Role))
        {
            users.AddRange(await role.UsersAsync());
            leases.AddRange(await role.ActiveLeasesAsync());
        }

        var left = Math.Max(users.Count, leases.Count);
        iteration.Counters.UnrevokedAfterSigtermFound(left, $"{iteration.Label}: exit {exitCode} after SIGTERM left {users.Count} lease user(s) ({string.Join(", ", users)}) and {leases.Count} active lease(s)");
        Assert.True(left == 0, $"after SIGTERM (exit {exitCode}): {users.Count} lease user(s), {leases.Count} active lease(s) left\n{Tail(iteration, agent)}");
        // A SIGTERM in the first milliseconds, before the .NET runtime installs its signal handling, gets the
        // kernel's default action (143): the agent cannot help that, and it had done nothing yet (docs/chaos.md, finding 5).
        var beforeTheRuntime = exitCode == 143 && agent.Lines.Count == 0;
        if (beforeTheRuntime)
        {
            iteration.Tally("SIGTERM before the runtime's signal handling (143, nothing logged)");
        }

        Assert.True(exitCode == 0 || beforeTheRuntime, $"exit code {exitCode} after SIGTERM\n{Tail(iteration, agent)}");
        Assert.All(pod.Credentials, c => Assert.False(File.Exists(c.File), $"the credential file {c.File} is still there after SIGTERM"));
        Assert.False(File.Exists(pod.JournalFile), "the journal is still there after a clean shutdown");
        Assert.True(elapsed < TimeSpan.FromSeconds(12), $"shutdown took {elapsed.TotalSeconds:0.0} s, beyond SHUTDOWN_TIMEOUT (10 s)");
        foreach (var role in pod.Credentials.Select(c => c.Role))
        {
            var sessions = await role.SessionsOfRevokedUsersAsync();
            Assert.True(sessions.Count == 0, $"sessions of revoked users of {role.Name} are still open (I2): {string.Join(", ", sessions)}");
        }
    }

    /// <summary>Logs in with a published document's connection string (no pooling) and reads the tutorial's table.</summary>
    public static async Task<bool> LogsInAsync(JsonObject document)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(document["connection_string"]!.GetValue<string>()) { Pooling = false, Timeout = 5 };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM report", connection);
            return (long)(await command.ExecuteScalarAsync())! == 10;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The last lines of an agent's log, secrets redacted, for an assertion message.</summary>
    public static string Tail(Iteration iteration, AgentProcess agent, int lines = 25) =>
        string.Join('\n', agent.Lines.TakeLast(lines).Select(iteration.Run.Ledger.Redact));

    /// <summary>
    /// The agent's log lines (secrets redacted) stamped between <paramref name="from"/> and <paramref name="to"/>:
    /// what the agent was doing when something went wrong, which the tail of a long iteration no longer shows.
    /// </summary>
    public static string Between(Iteration iteration, AgentProcess agent, DateTime from, DateTime to) =>
        string.Join('\n', agent.Lines.Where(line => StampedBetween(line, from, to)).Select(iteration.Run.Ledger.Redact));

    /// <summary>Fails the iteration if the agent died on its own.</summary>
    public static void StillRunning(Iteration iteration, AgentProcess agent) =>
        Assert.False(agent.HasExited, $"{agent.Name} exited on its own with code {(agent.HasExited ? agent.ExitCode : 0)}\n{Tail(iteration, agent)}");

    private static bool StampedBetween(string line, DateTime from, DateTime to)
    {
        try
        {
            var stamp = JsonNode.Parse(line)?["Timestamp"]?.GetValue<DateTime>().ToUniversalTime();
            return stamp >= from && stamp <= to;
        }
        catch (JsonException)
        {
            return false; // not a JSON log line (LOG_FORMAT=text): no timestamp to place it by
        }
    }

    private static string Describe(JsonObject? document) =>
        document is null ? "absent" : $"generation {document["generation"]}, lease {document["lease_id"]}, user {document["username"]}";
}
