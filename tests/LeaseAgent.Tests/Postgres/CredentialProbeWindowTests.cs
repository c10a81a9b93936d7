using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LeaseAgent.Configuration;
using LeaseAgent.Postgres;
using LeaseAgent.ScaiVault;
using LeaseAgent.Testing;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace LeaseAgent.Tests.Postgres;

/// <summary>
/// The probe's retry window: failed logins and unreachable servers are retried 100 ms, 200 ms, … doubling to 2 s,
/// as long as the next attempt still starts within <c>DB_PROBE_WINDOW</c>; a failure that cannot pass is final.
/// The waits run on a <see cref="JumpingClock"/>, so the schedule is exact and the tests take no waiting time.
/// </summary>
public sealed class CredentialProbeWindowTests
{
    private static readonly DatabaseCredential Minted = new("v_reporting_readonly_x1", "S3cret-minted-password");

    [Theory]
    [InlineData("0s", 1, new double[0])]
    [InlineData("1s", 4, new double[] { 100, 200, 400 })]
    [InlineData("10s", 9, new double[] { 100, 200, 400, 800, 1_600, 2_000, 2_000, 2_000 })]
    public async Task Probe_UnreachableServer_RetriesOnTheDoublingSchedule_WhileTheNextAttemptFitsTheWindow(string window, int attempts, double[] waitsMs)
    {
        var clock = new JumpingClock();
        var probe = new CredentialProbe(Database(ClosedPort(), ("DB_PROBE_WINDOW", window)), clock);

        var result = await probe.ProbeAsync(Minted, CancellationToken.None);

        Assert.Equal((ProbeFailure.Unreachable, attempts), (result.Failure, result.Attempts));
        Assert.Equal(waitsMs.Select(TimeSpan.FromMilliseconds), clock.Waits);
    }

    [Fact]
    public async Task Probe_AnExplicitRetryWindow_OverridesTheConfiguredOne()
    {
        var clock = new JumpingClock();
        var probe = new CredentialProbe(Database(ClosedPort(), ("DB_PROBE_WINDOW", "10s")), clock);

        var result = await probe.ProbeAsync(Minted, CancellationToken.None, retryWindow: TimeSpan.Zero);

        Assert.Equal(1, result.Attempts);
        Assert.Empty(clock.Waits);
    }

    [Fact]
    public async Task Probe_AWorkingLogin_PassesAtTheFirstAttempt()
    {
        var (database, credential) = await RealDatabaseAsync(probeQuery: "SELECT 1");
        var clock = new JumpingClock();

        var result = await new CredentialProbe(database, clock).ProbeAsync(credential, CancellationToken.None);

        Assert.Equal((ProbeFailure.None, 1, (string?)null), (result.Failure, result.Attempts, result.Error));
        Assert.Empty(clock.Waits);
    }

    /// <summary>
    /// The probe's data source is Npgsql's slim one (<see cref="CredentialConnection"/>), which maps few types; a probe
    /// query only has to run, so what it returns, of any type, never fails it.
    /// </summary>
    [Fact]
    public async Task Probe_AQueryReturningTypesTheSlimDataSourceDoesNotMap_Passes()
    {
        var (database, credential) = await RealDatabaseAsync(
            probeQuery: "SELECT '{\"a\": 1}'::jsonb, ARRAY[1, 2], int4range(1, 3), '1 day'::interval, 'a'::tsvector, now()");

        var result = await new CredentialProbe(database, new JumpingClock()).ProbeAsync(credential, CancellationToken.None);

        Assert.Equal((ProbeFailure.None, (string?)null), (result.Failure, result.Error));
    }

    [Fact]
    public async Task Probe_AFailingProbeQuery_IsFinal_NotRetried()
    {
        var (database, credential) = await RealDatabaseAsync(probeQuery: "SELECT 1/0");
        var clock = new JumpingClock();

        var result = await new CredentialProbe(database, clock).ProbeAsync(credential, CancellationToken.None);

        Assert.Equal((ProbeFailure.QueryFailed, 1), (result.Failure, result.Attempts));
        Assert.StartsWith("DB_PROBE_QUERY failed: SQLSTATE 22012", result.Error, StringComparison.Ordinal);
        Assert.Empty(clock.Waits);
    }

    [Fact]
    public async Task Probe_Cancelled_Throws_InsteadOfReportingAFailure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var probe = new CredentialProbe(Database(ClosedPort(), ("DB_PROBE_WINDOW", "10s")), new JumpingClock());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => probe.ProbeAsync(Minted, cancelled.Token));
    }

    /// <summary>A port nothing listens on: connecting is refused at once.</summary>
    internal static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(DatabaseOptions Database, DatabaseCredential Credential)> RealDatabaseAsync(string probeQuery)
    {
        var admin = new NpgsqlConnectionStringBuilder(await TestPostgres.GetAdminConnectionStringAsync());
        var requireAuth = await TestPostgres.AgentRequireAuthAsync(admin.ConnectionString);
        var overrides = new List<(string, string)>
        {
            ("DB_HOST", admin.Host!),
            ("DB_NAME", admin.Database!),
            ("DB_SSLMODE", "prefer"),
            ("DB_PROBE_QUERY", probeQuery),
            ("DB_PROBE_WINDOW", "10s"),
        };
        if (requireAuth is not null)
        {
            overrides.Add(("DB_REQUIRE_AUTH", requireAuth));
        }

        return (Database(admin.Port, [.. overrides]), new DatabaseCredential(admin.Username!, admin.Password!));
    }

    /// <summary>The agent's database options for a server on 127.0.0.1:<paramref name="port"/>, TLS off.</summary>
    internal static DatabaseOptions Database(int port, params (string Key, string Value)[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["SCAIVAULT_URL"] = "https://scaivault.example",
            ["LEASE_ENGINE"] = "reporting-db",
            ["LEASE_ROLE"] = "readonly",
            ["DB_HOST"] = "127.0.0.1",
            ["DB_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["DB_NAME"] = "reporting",
            ["DB_SSLMODE"] = "disable",
        };
        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }

        return AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build()).Database!;
    }
}
