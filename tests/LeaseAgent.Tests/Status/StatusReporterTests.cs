using System.Text.Json.Nodes;
using LeaseAgent.Leasing;
using LeaseAgent.Publishing;
using LeaseAgent.Status;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Status;

/// <summary>
/// The one owner of the status: readiness from the parts, the file it alone writes, the heartbeat that advances only
/// while the reporting loop answers, and the subscription that replaced the callback, the publisher's task and polling.
/// </summary>
public sealed class StatusReporterTests : IDisposable
{
    private const string Credential = "reporting-db/readonly";
    private const string Billing = "billing-db/readwrite";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("status-reporter-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void StatusFile_IsMode0600_AsTheReadmeSays()
    {
        using var reporter = Reporter([Credential]);

        reporter.Report(Lease(AgentState.Active, inService: true));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(reporter.FilePath));
        Assert.Equal("Active", Written()["state"]!.GetValue<string>());
    }

    [Fact]
    public void StatusFile_WritesEveryStateAsItsName_AndReadsOnlyNamesBack()
    {
        var path = StatusFile.In(_directory.FullName);
        foreach (var state in Enum.GetValues<AgentState>())
        {
            StatusFile.Write(path, new AgentStatus { State = state, Ready = false, UpdatedAt = _time.GetUtcNow() });
            Assert.Equal(state.ToString(), Written()["state"]!.GetValue<string>());
            Assert.Equal(state, StatusFile.Read(path)!.State);
        }

        foreach (var state in new[] { "\"Sleeping\"", "\"active\"", "5", "\"99\"" })
        {
            System.IO.File.WriteAllText(path, $"{{\"state\": {state}, \"ready\": true, \"updated_at\": \"2026-12-02T08:00:00Z\"}}");
            Assert.Throws<System.Text.Json.JsonException>(() => StatusFile.Read(path));
        }
    }

    [Fact]
    public void Ready_OnlyWhenTheCredentialIsInService_AndTheSecretsAreWritten()
    {
        using var reporter = Reporter([Credential], secrets: true);

        reporter.Report(Lease(AgentState.Active, inService: true));
        Assert.False(Written()["ready"]!.GetValue<bool>());
        Assert.Equal("Active", Written()["state"]!.GetValue<string>());

        reporter.Report(new SecretsStatus(Written: false, Failures: 1, LastError: "unavailable"));
        Assert.False(reporter.Current!.Status.Ready);

        reporter.Report(new SecretsStatus(Written: true, Failures: 0, LastError: null));
        Assert.True(Written()["ready"]!.GetValue<bool>());

        reporter.Report(new SecretsStatus(Written: true, Failures: 1, LastError: "unavailable"));
        Assert.True(reporter.Current!.Status.Ready);
        Assert.Null(reporter.Current.Status.LastError); // the credential's part speaks for an agent that has one

        reporter.Report(Lease(AgentState.Stopping, inService: false));
        Assert.False(Written()["ready"]!.GetValue<bool>());
        Assert.Equal("Stopping", Written()["state"]!.GetValue<string>());
    }

    [Fact]
    public void Ready_WithSeveralCredentials_OnlyOnceEveryOneIsInService()
    {
        using var reporter = Reporter([Credential, "billing-db/readwrite"]);

        reporter.Report(Lease(AgentState.Active, inService: true));
        Assert.False(reporter.Current!.Status.Ready);

        reporter.Report(Lease(AgentState.Active, inService: true) with { Credential = "billing-db/readwrite" });
        Assert.True(reporter.Current!.Status.Ready);
        Assert.Equal(2, reporter.Current.Leases.Count);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void FailOpen_ReadyWithoutACredential_OnlyWhileNoneCanBeHad(bool failOpen, bool ready)
    {
        using var reporter = Reporter([Credential], failOpen: failOpen);

        reporter.Report(Lease(AgentState.Generating, inService: false));
        Assert.False(reporter.Current!.Status.Ready);

        reporter.Report(Lease(AgentState.Generating, inService: false) with { Unavailable = true, LastError = "unavailable" });
        Assert.Equal(ready, reporter.Current!.Status.Ready);
    }

    [Fact]
    public void SecretsOnly_StateSecretsOnceWritten_DegradedAfterAFailedRefresh_FailOpenWhileUnreadable()
    {
        using var reporter = Reporter([], secrets: true, failOpen: true);

        reporter.Report(new SecretsStatus(Written: false, Failures: 0, LastError: null));
        Assert.Equal(("Pending", false), (Written()["state"]!.GetValue<string>(), Written()["ready"]!.GetValue<bool>()));

        reporter.Report(new SecretsStatus(Written: false, Failures: 1, LastError: "unavailable"));
        Assert.Equal(("Pending", true), (Written()["state"]!.GetValue<string>(), Written()["ready"]!.GetValue<bool>()));

        reporter.Report(new SecretsStatus(Written: true, Failures: 0, LastError: null));
        Assert.Equal(("Secrets", true, false), (Written()["state"]!.GetValue<string>(), Written()["ready"]!.GetValue<bool>(), Written()["degraded"]!.GetValue<bool>()));

        reporter.Report(new SecretsStatus(Written: true, Failures: 1, LastError: "rate_limited"));
        Assert.Equal((true, "rate_limited"), (Written()["degraded"]!.GetValue<bool>(), Written()["last_error"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Heartbeat_AdvancesOnlyOnceTheCredentialsLoopAnswers_NotForTheRefresher()
    {
        using var reporter = Reporter([Credential], secrets: true);
        var due = 0;
        using var subscription = reporter.Subscribe(e => due += e is HeartbeatDue ? 1 : 0);
        await reporter.StartAsync(CancellationToken.None);
        reporter.Report(Lease(AgentState.Active, inService: true));
        var written = UpdatedAt();

        _time.Advance(StatusReporter.HeartbeatInterval);
        Assert.Equal(1, due);
        reporter.Report(new SecretsStatus(Written: true, Failures: 0, LastError: null)); // a change: written
        var afterChange = UpdatedAt();
        Assert.True(afterChange > written);

        // A hung supervisor loop answers no heartbeat: the refresher's reports keep nothing fresh.
        _time.Advance(StatusReporter.HeartbeatInterval);
        reporter.Report(new SecretsStatus(Written: true, Failures: 0, LastError: null));
        _time.Advance(StatusReporter.HeartbeatInterval * 2);
        Assert.Equal(afterChange, UpdatedAt());
        Assert.Equal(4, due);

        // The loop answers: the same part again is the heartbeat.
        reporter.Report(Lease(AgentState.Active, inService: true));
        Assert.Equal(_time.GetUtcNow(), UpdatedAt());

        // Without a heartbeat due, an unchanged part writes nothing.
        _time.Advance(TimeSpan.FromSeconds(1));
        reporter.Report(Lease(AgentState.Active, inService: true));
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(1), UpdatedAt());
        await reporter.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Heartbeat_SecretsOnly_IsTheRefreshersReport()
    {
        using var reporter = Reporter([], secrets: true);
        await reporter.StartAsync(CancellationToken.None);
        reporter.Report(new SecretsStatus(Written: true, Failures: 0, LastError: null));
        var written = UpdatedAt();

        _time.Advance(StatusReporter.HeartbeatInterval);
        Assert.Equal(written, UpdatedAt()); // not reported since the last write

        _time.Advance(TimeSpan.FromSeconds(3));
        reporter.Report(new SecretsStatus(Written: true, Failures: 0, LastError: null));
        var answered = UpdatedAt();
        Assert.Equal(_time.GetUtcNow(), answered);

        reporter.Report(new SecretsStatus(Written: true, Failures: 0, LastError: null)); // reported, not yet due
        _time.Advance(StatusReporter.HeartbeatInterval);
        Assert.True(UpdatedAt() > answered, "due, and reported since the last write: written at the tick");
        await reporter.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void Subscribe_ReplaysTheCredentialInService_ThenTellsEachNewGenerationAndStoppingOnce()
    {
        using var reporter = Reporter([Credential]);
        reporter.Report(Lease(AgentState.Active, inService: true));
        var events = new List<StatusEvent>();

        using (reporter.Subscribe(events.Add))
        {
            reporter.Report(Lease(AgentState.Renewing, inService: true)); // same generation: nothing new
            reporter.Report(Lease(AgentState.Active, inService: true) with { Generation = 2 });
            reporter.Report(Lease(AgentState.Stopping, inService: false) with { Generation = 2 });
            reporter.Report(Lease(AgentState.Stopping, inService: false) with { Generation = 2, LastError = "revoke_failed" });
        }

        reporter.Report(Lease(AgentState.Active, inService: true) with { Generation = 3 }); // unsubscribed
        Assert.Collection(
            events,
            e => Assert.Equal(1, Assert.IsType<CredentialPublished>(e).Lease.Generation),
            e => Assert.Equal(2, Assert.IsType<CredentialPublished>(e).Lease.Generation),
            e => Assert.IsType<StoppingStarted>(e));
    }

    [Fact]
    public async Task FirstPublishedAsync_CompletesWithTheDocument_WhenTheFirstCredentialIsInService()
    {
        using var reporter = Reporter([Credential]);
        reporter.Report(Lease(AgentState.Probing, inService: false));

        var first = reporter.FirstPublishedAsync(CancellationToken.None);
        Assert.False(first.IsCompleted);
        reporter.Report(Lease(AgentState.Active, inService: true));

        var lease = await first.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("v_readonly_1", lease.Published!.Document.Username);
        Assert.Equal(lease, await reporter.FirstPublishedAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10))); // late: replayed
    }

    [Fact]
    public void StatusFile_WithSeveralCredentials_HasAnEntryPerCredential_AndTheFirstOnesFieldsAtTheTop()
    {
        using var reporter = Reporter([Credential, Billing]);

        reporter.Report(Lease(AgentState.Active, inService: true));
        reporter.Report(new LeaseStatus(Billing, AgentState.Generating) { LastError = "unavailable", Unavailable = true });

        var written = Written();
        Assert.Equal(("Active", false, 1, "unavailable"), (written["state"]!.GetValue<string>(), written["ready"]!.GetValue<bool>(), written["generation"]!.GetValue<int>(), Entry(written, Billing)["last_error"]!.GetValue<string>()));
        var reporting = Entry(written, Credential);
        Assert.Equal(("Active", true, 1, "dyn_1", "v_readonly_1", false), (reporting["state"]!.GetValue<string>(), reporting["ready"]!.GetValue<bool>(), reporting["generation"]!.GetValue<int>(), reporting["lease_id"]!.GetValue<string>(), reporting["username"]!.GetValue<string>(), reporting["degraded"]!.GetValue<bool>()));
        var billing = Entry(written, Billing);
        Assert.Equal(("Generating", false, 0), (billing["state"]!.GetValue<string>(), billing["ready"]!.GetValue<bool>(), billing["generation"]!.GetValue<int>()));

        reporter.Report(Lease(AgentState.Active, inService: true) with { Credential = Billing, LeaseId = "dyn_2" });
        Assert.True(Entry(Written(), Billing)["ready"]!.GetValue<bool>());
        Assert.True(Written()["ready"]!.GetValue<bool>());
    }

    [Fact]
    public void StatusFile_CredentialNotReportedYet_IsPendingAndNotReady()
    {
        using var reporter = Reporter([Credential, Billing]);

        reporter.Report(Lease(AgentState.Active, inService: true));

        var billing = Entry(Written(), Billing);
        Assert.Equal(("Pending", false), (billing["state"]!.GetValue<string>(), billing["ready"]!.GetValue<bool>()));
    }

    [Fact]
    public void StatusFile_SecretsOnly_HasNoCredentials()
    {
        using var reporter = Reporter([], secrets: true);

        reporter.Report(new SecretsStatus(Written: true, Failures: 0, LastError: null));

        Assert.Null(Written()["credentials"]);
    }

    [Fact]
    public async Task EveryPublishedAsync_CompletesOnlyOnceEachCredentialIsInService_InTheirOrder()
    {
        using var reporter = Reporter([Credential, Billing]);
        reporter.Report(Lease(AgentState.Active, inService: true) with { Credential = Billing, LeaseId = "dyn_2" });

        var every = reporter.EveryPublishedAsync([Credential, Billing], CancellationToken.None);
        Assert.False(every.IsCompleted);
        reporter.Report(Lease(AgentState.Active, inService: true));

        var published = await every.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([Credential, Billing], published.Select(l => l.Credential));
        Assert.Equal("dyn_1", published[0].LeaseId);
    }

    [Fact]
    public void AFailingSubscriber_DoesNotStopTheReport_NorTheOtherSubscribers()
    {
        using var reporter = Reporter([Credential]);
        using var failing = reporter.Subscribe(_ => throw new InvalidOperationException("a bug"));
        var told = 0;
        using var other = reporter.Subscribe(_ => told++);

        reporter.Report(Lease(AgentState.Active, inService: true));

        Assert.Equal(1, told);
        Assert.True(Written()["ready"]!.GetValue<bool>());
    }

    [Fact]
    public void EveryLeaseState_CastsToTheAgentStateOfTheSameName()
    {
        foreach (var state in Enum.GetValues<LeaseState>())
        {
            Assert.Equal(state.ToString(), ((AgentState)state).ToString());
        }
    }

    private StatusReporter Reporter(string[] credentials, bool secrets = false, bool failOpen = false) =>
        new(new StatusOptions(_directory.FullName, credentials, secrets, failOpen), _time, NullLogger<StatusReporter>.Instance);

    private JsonObject Written() => JsonNode.Parse(System.IO.File.ReadAllText(StatusFile.In(_directory.FullName)))!.AsObject();

    private static JsonNode Entry(JsonObject status, string credential) =>
        status["credentials"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == credential)!;

    private DateTimeOffset UpdatedAt() => Written()["updated_at"]!.GetValue<DateTimeOffset>();

    private LeaseStatus Lease(AgentState state, bool inService) => new(Credential, state)
    {
        Generation = 1,
        LeaseId = "dyn_1",
        Username = "v_readonly_1",
        Published = inService ? new PublishedCredential(Document, _time.GetTimestamp() + _time.TimestampFrequency * 60, long.MaxValue) : null,
    };

    private static readonly CredentialDocument Document = TestDocument("v_readonly_1", "dyn_1");

    /// <summary>A published document for tests of what carries one; only the username and lease id matter.</summary>
    internal static CredentialDocument TestDocument(string username, string leaseId) => new()
    {
        Username = username,
        Password = "s3cr3t",
        Host = "db",
        Port = 5432,
        Database = "reporting",
        SslMode = "require",
        ConnectionString = "",
        Uri = "",
        LeaseId = leaseId,
        LeaseDurationSeconds = 60,
        Renewable = true,
        IssuedAt = DateTimeOffset.UnixEpoch,
        ExpiresAt = DateTimeOffset.UnixEpoch,
        Generation = 1,
    };
}
