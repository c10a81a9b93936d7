using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Leasing;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.Reload;
using LeaseAgent.ScaiVault;
using LeaseAgent.Status;
using LeaseAgent.Testing;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ScaiVault.Client;

namespace LeaseAgent.Tests.Leasing;

/// <summary>
/// The supervisor's lifecycle decisions with ScaiVault and Postgres replaced by in-memory fakes and time
/// driven by <see cref="FakeTimeProvider"/>: exact timings, no network, no sleeping.
/// </summary>
public sealed class LeaseSupervisorTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeScaiVault _vault;
    private readonly FakeProbe _probe;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("supervisor-");
    private readonly LeaseSupervisor _supervisor;
    private readonly AgentOptions _options;

    public LeaseSupervisorTests()
    {
        _vault = new FakeScaiVault(_time, duration: TimeSpan.FromSeconds(60), maxTtl: TimeSpan.FromSeconds(180));
        _probe = new FakeProbe(_time);
        var output = Path.Combine(_directory.FullName, "db.json");
        _options = new AgentOptions(
            new ScaiVaultOptions { BaseUrl = new Uri("http://scaivault.test"), TokenFile = "/dev/null", Paths = ScaiVaultPaths.Default },
            new LeaseOptions { Engine = "e", Role = "r", RotateBefore = TimeSpan.FromSeconds(30), DrainTimeout = TimeSpan.FromSeconds(5) },
            new DatabaseOptions { Host = "db", Name = "reporting" },
            new OutputOptions { File = output, StateDirectory = Path.Combine(_directory.FullName, ".lease-agent") },
            new ShutdownOptions { Timeout = TimeSpan.FromSeconds(5) },
            new LoggingOptions());
        _supervisor = NewSupervisor();
    }

    /// <summary>A supervisor for the same credential on the same volume: what the next agent process starts.</summary>
    private LeaseSupervisor NewSupervisor()
    {
        var publisher = new CredentialPublisher(_options.Output);
        publisher.Prepare();
        var status = new StatusReporter(StatusOptions.For(_options), _time, NullLogger<StatusReporter>.Instance);
        return new LeaseSupervisor(_options, _options.Credentials[0], _vault, _probe, new FakeSessions(), new LeaseJournal(_options.Output.StateDirectory, _options.Credentials[0].Name, _time).Section(_options.Credentials[0].Name), new AppReloader(new ReloadOptions(), NullLogger<AppReloader>.Instance), publisher, _time, NullLogger<LeaseSupervisor>.Instance, new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance), status, new LeaseMetrics(status, _time).For(_options.Credentials[0].Name));
    }

    public async ValueTask DisposeAsync()
    {
        await _supervisor.StopAsync(CancellationToken.None);
        _supervisor.Dispose();
        _directory.Delete(recursive: true);
    }

    private string OutputFile => _options.Output.File;

    private JsonObject? Published() => File.Exists(OutputFile) ? JsonNode.Parse(File.ReadAllText(OutputFile))!.AsObject() : null;

    private JsonObject Status() => JsonNode.Parse(File.ReadAllText(Path.Combine(_options.Output.StateDirectory, "status.json")))!.AsObject();

    /// <summary>
    /// Waits until the status file reports the generation: it is written after the loop has handled the
    /// whole event (timers set, old lease retired), unlike the credential file, which comes first.
    /// </summary>
    private async Task<JsonObject?> WaitForGenerationAsync(int generation)
    {
        var status = Path.Combine(_options.Output.StateDirectory, "status.json");
        await Eventually.TrueAsync(
            () =>
            {
                try
                {
                    return File.Exists(status) && JsonNode.Parse(File.ReadAllText(status))!["generation"]!.GetValue<int>() == generation;
                }
                catch (IOException)
                {
                    return false;
                }
            },
            Wait,
            $"generation {generation} published");
        return Published();
    }

    [Fact]
    public async Task Start_PublishesProbedCredential_AndReportsReady()
    {
        await _supervisor.StartAsync(CancellationToken.None);

        var document = await WaitForGenerationAsync(1);

        Assert.Equal("v_r_1", document!["username"]!.GetValue<string>());
        Assert.Equal(["v_r_1"], _probe.Probed);
        var status = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_options.Output.StateDirectory, "status.json")))!;
        Assert.True(status["ready"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ProbeFails_NothingPublished_LeaseRevoked_AndRetried()
    {
        _probe.FailNext = 1;
        await _supervisor.StartAsync(CancellationToken.None);

        await Eventually.TrueAsync(() => _vault.Revoked.Contains("lease-1"), Wait, "the unprobed lease revoked");
        Assert.Null(Published());

        _time.Advance(TimeSpan.FromSeconds(31)); // past the longest backoff
        var document = await WaitForGenerationAsync(2);
        Assert.Equal("lease-2", document!["lease_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task GenerateRateLimited_NextAttemptNeverBeforeRetryAfter_ThenWithinItsSpread()
    {
        _vault.GenerateRetryAfter = TimeSpan.FromSeconds(60);
        await _supervisor.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => _vault.GenerateAttempts == 1, Wait, "the first generate refused");
        // The status is written once the refusal is handled and the retry scheduled: advancing the clock before
        // that would schedule the retry from the advanced time.
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(_options.Output.StateDirectory, "status.json")) && Status()["last_error"] is not null, Wait, "the refusal handled");

        _vault.GenerateRetryAfter = null;
        _time.Advance(TimeSpan.FromSeconds(59.9));
        await _supervisor.CatchUpAsync();
        Assert.Equal(1, _vault.GenerateAttempts);

        _time.Advance(TimeSpan.FromSeconds(10.2)); // Retry-After + the first refusal's spread (10 s)
        var document = await WaitForGenerationAsync(2);
        Assert.Equal(2, _vault.GenerateAttempts);
        Assert.Equal("lease-1", document!["lease_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RenewDue_AtTwoThirdsWithJitter_RenewsWithoutRepublishing()
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);

        _time.Advance(TimeSpan.FromSeconds(35)); // earliest renewal: 60 s · 2/3 · 0.9 = 36 s
        await _supervisor.CatchUpAsync();
        Assert.Equal(0, _vault.RenewAttempts);

        _time.Advance(TimeSpan.FromSeconds(10)); // latest renewal: 60 s · 2/3 · 1.1 = 44 s
        await Eventually.TrueAsync(() => _vault.Renewals.Count == 1, Wait, "one renewal");
        Assert.Equal(1, Published()!["generation"]!.GetValue<int>());
    }

    [Fact]
    public async Task HardEndNear_RotatesMakeBeforeBreak_ThenRevokesOldAfterDrain()
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);

        // Renewals extend the lease until one reaches the 180 s hard end (capped), or the 30 s lead before it
        // begins: either starts the rotation, and neither can happen before the second renewal (≥ 72 s).
        var elapsed = 0;
        while (Published()!["generation"]!.GetValue<int>() == 1 && elapsed < 151)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            elapsed++;
            await _supervisor.CatchUpAsync();
        }

        var second = await WaitForGenerationAsync(2);
        Assert.InRange(elapsed, 72, 151);
        Assert.Equal("v_r_2", second!["username"]!.GetValue<string>());
        Assert.True(_vault.Renewals.Count >= 3, "the first lease was renewed until the rotation");
        Assert.DoesNotContain("lease-1", _vault.Revoked); // still draining

        // The file is renamed into place just before the old lease's drain timers are set, on the loop's
        // thread: advance in steps so no timer is set after the clock has already moved past it.
        var drained = TimeSpan.Zero;
        while (!_vault.Revoked.Contains("lease-1") && drained < TimeSpan.FromSeconds(5))
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
            drained += TimeSpan.FromMilliseconds(500);
            await _supervisor.CatchUpAsync();
        }

        await Eventually.TrueAsync(() => _vault.Revoked.Contains("lease-1"), Wait, "the old lease revoked after draining");
        Assert.InRange(drained, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)); // the first drain check, at 2 s, found no session
        Assert.Equal(2, Published()!["generation"]!.GetValue<int>());
    }

    [Fact]
    public async Task RenewSaysNotFound_RemovesFile_AndPublishesNewLease()
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);
        _vault.Forget("lease-1");

        _time.Advance(TimeSpan.FromSeconds(45));

        var document = await WaitForGenerationAsync(2);
        Assert.Equal("lease-2", document!["lease_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RenewFailsTransiently_KeepsCredential_AndRetriesBeforeExpiry()
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);
        _vault.RenewFailures = 2;

        _time.Advance(TimeSpan.FromSeconds(45));
        await Eventually.TrueAsync(() => _vault.RenewAttempts == 1, Wait, "the first renewal attempt");
        for (var i = 0; i < 10 && _vault.Renewals.IsEmpty; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await _supervisor.CatchUpAsync();
        }

        await Eventually.TrueAsync(() => _vault.Renewals.Count == 1, Wait, "a successful retry");
        Assert.Equal(1, Published()!["generation"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExpiryWithARenewalInFlight_WaitsForItsAnswer(bool renewalSucceeds)
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _vault.RenewGate = gate;

        _time.Advance(TimeSpan.FromSeconds(45)); // past the latest renewal (44 s): sent, and held on its way
        await Eventually.TrueAsync(() => _vault.RenewAttempts == 1, Wait, "the renewal sent");
        var expiresBefore = Status()["expires_at"]!.GetValue<DateTimeOffset>();
        _time.Advance(TimeSpan.FromSeconds(16)); // past the lease's local expiry (60 s) while it is in flight
        await _supervisor.CatchUpAsync();
        Assert.NotNull(Published());
        Assert.DoesNotContain("lease-1", _vault.Revoked);

        _vault.RenewFailures = renewalSucceeds ? 0 : 1;
        _vault.RenewGate = null;
        gate.SetResult();
        if (renewalSucceeds)
        {
            await Eventually.TrueAsync(() => Status()["expires_at"]?.GetValue<DateTimeOffset>() > expiresBefore, Wait, "the renewal's answer handled");
            await _supervisor.CatchUpAsync();
            Assert.Equal("lease-1", Published()!["lease_id"]!.GetValue<string>());
            Assert.DoesNotContain("lease-1", _vault.Revoked);
        }
        else
        {
            await Eventually.TrueAsync(() => _vault.Revoked.Contains("lease-1"), Wait, "the lease lost once its renewal failed");
            Assert.Equal("lease-2", (await WaitForGenerationAsync(2))!["lease_id"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Stop_RevokesEverything_RemovesFile_ExitsZero()
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);

        await _supervisor.StopAsync(CancellationToken.None);

        Assert.Contains("lease-1", _vault.Revoked);
        Assert.False(File.Exists(OutputFile));
        Assert.Equal(0, _supervisor.ExitCode);
    }

    /// <summary>
    /// docs/chaos.md finding 8: a SIGTERM during the host's start cancels the token <c>StartAsync</c> gets (the host links
    /// it to ApplicationStopping). A <see cref="Microsoft.Extensions.Hosting.BackgroundService"/> then never runs
    /// <c>ExecuteAsync</c> at all (.NET 10 starts it with <c>Task.Run(…, stoppingToken)</c>): the journal was never read,
    /// what it named was never revoked, and the exit code said 0. Here the previous agent's lease is in the journal.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StopBeforeTheLoopRan_StillReadsTheJournal_AndRevokesWhatItNames(bool startCancelled)
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1); // lease-1 journalled; this supervisor is now "killed" (left as it is)
        using var successor = NewSupervisor();
        using var stopping = new CancellationTokenSource();
        if (startCancelled)
        {
            await stopping.CancelAsync();
        }

        await successor.StartAsync(stopping.Token);
        await successor.StopAsync(CancellationToken.None); // at once: the loop has had no chance to start

        Assert.Contains("lease-1", _vault.Revoked);
        Assert.DoesNotContain("lease-1", _vault.Active);
        Assert.Equal(0, successor.ExitCode);
        Assert.False(File.Exists(Path.Combine(_options.Output.StateDirectory, "journal.json")), "every journalled lease revoked: no journal left");
    }

    /// <summary>The host stops every service it has, also one whose start it never reached (its start aborted).</summary>
    [Fact]
    public async Task StopWithoutStart_StillReadsTheJournal_AndRevokesWhatItNames()
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);
        using var successor = NewSupervisor();

        await successor.StopAsync(CancellationToken.None);

        Assert.Contains("lease-1", _vault.Revoked);
        Assert.Equal(0, successor.ExitCode);
    }

    [Fact]
    public async Task Stop_AlsoRevokesATwinLeaseMintedUnderTheSameReference()
    {
        _vault.MintTwins = true;
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);

        await _supervisor.StopAsync(CancellationToken.None);

        Assert.Contains("lease-1", _vault.Revoked);
        Assert.Contains("twin-1", _vault.Revoked);
        Assert.Equal(0, _supervisor.ExitCode);
    }

    [Fact]
    public async Task Stop_WhenRevokeFails_ExitsOne()
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);
        _vault.RevokeFails = true;

        await _supervisor.StopAsync(CancellationToken.None);

        Assert.Equal(1, _supervisor.ExitCode);
        Assert.False(File.Exists(OutputFile));
    }

    [Fact]
    public async Task Stop_WhenARevocationNeverAnswers_EndsAtTheShutdownBudget_LeavingTheLeaseJournalled_ExitsOne()
    {
        await _supervisor.StartAsync(CancellationToken.None);
        await WaitForGenerationAsync(1);
        _vault.RevokeHangs = true;

        var stop = _supervisor.StopAsync(CancellationToken.None);

        // SHUTDOWN_TIMEOUT (5 s here) is counted on the machine's clock, as the kubelet counts the grace period.
        Assert.Same(stop, await Task.WhenAny(stop, Task.Delay(Wait)));
        Assert.Contains("revoke:lease-1", _vault.Calls);
        Assert.Empty(_vault.Revoked);
        Assert.Equal(1, _supervisor.ExitCode);
        Assert.False(File.Exists(OutputFile));
        Assert.Contains("lease-1", await File.ReadAllTextAsync(Path.Combine(_options.Output.StateDirectory, "journal.json")));
    }

    [Fact]
    public async Task GenerateAnswer2xxWithoutPassword_RevokesTheLeaseItNamed_ThenPublishesAnother()
    {
        _vault.GenerateBody = """{"lease_id": "lease-unusable", "lease_duration": 60, "data": {"username": "v_r_x"}}""";
        await _supervisor.StartAsync(CancellationToken.None);

        await Eventually.TrueAsync(() => _vault.Revoked.Contains("lease-unusable"), Wait, "the lease named by the unusable answer revoked");
        Assert.Null(Published());

        _time.Advance(TimeSpan.FromSeconds(1.1)); // past the first backoff
        var document = await WaitForGenerationAsync(2);
        Assert.Equal("lease-1", document!["lease_id"]!.GetValue<string>());
        Assert.True(_vault.Calls.ToList().IndexOf("revoke:lease-unusable") < _vault.Calls.ToList().FindLastIndex(c => c.StartsWith("generate:", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("""{"lease_id": "lease-unusable", "lease_duration": 3e11, "data": {"username": "v_r_x", "password": "pw"}}""")]
    [InlineData("""{"lease_id": "lease-unusable", "lease_duration": 60, "data": {"username": "v_r_x", "password": "pw\nPGHOST=evil"}}""")]
    public async Task GenerateAnswerWithAbsurdDurationOrInjectedLine_IsNeverPublished_AndItsLeaseRevoked(string body)
    {
        _vault.GenerateBody = body;
        await _supervisor.StartAsync(CancellationToken.None);

        await Eventually.TrueAsync(() => _vault.Revoked.Contains("lease-unusable"), Wait, "the lease named by the unusable answer revoked");
        await _supervisor.CatchUpAsync(); // the status is written once the event is handled
        Assert.Null(Published());
        Assert.Equal("malformed_response", Status()["last_error"]!.GetValue<string>());
    }

    [Fact]
    public async Task GrantWithALineBreakInItsPassword_ThatNoParserStopped_IsRevoked_NeverWritten()
    {
        _vault.NextPassword = "pw\nPGHOST=evil";
        await _supervisor.StartAsync(CancellationToken.None);

        await Eventually.TrueAsync(() => _vault.Revoked.Contains("lease-1"), Wait, "the lease whose credential cannot be written revoked");
        await _supervisor.CatchUpAsync(); // the status is written once the event is handled
        Assert.Null(Published());
        Assert.Equal("publish_failed", Status()["last_error"]!.GetValue<string>());
    }

    [Fact]
    public async Task GenerateTimesOut_ItsReferenceIsLookedUpAndItsLeaseRevoked_BeforeTheNextGenerate()
    {
        _vault.GenerateTimeouts = 1;
        await _supervisor.StartAsync(CancellationToken.None);

        await Eventually.TrueAsync(() => _vault.Revoked.Contains("lease-1"), Wait, "the lease minted by the timed-out generate revoked");
        _time.Advance(TimeSpan.FromSeconds(1.1)); // past the first backoff
        var document = await WaitForGenerationAsync(2);

        var calls = _vault.Calls.ToList();
        var firstRef = calls[0]["generate:".Length..];
        Assert.Equal([$"generate:{firstRef}", $"find:{firstRef}", "revoke:lease-1"], calls.Take(3));
        Assert.StartsWith("generate:", calls[3], StringComparison.Ordinal);
        Assert.Equal("lease-2", document!["lease_id"]!.GetValue<string>());
        Assert.Equal(["lease-2"], _vault.Active);
    }

    [Fact]
    public async Task GenerateTimesOut_LeaseStoredOnlyLater_IsRevokedAtShutdown()
    {
        _vault.GenerateTimeouts = 1;
        _vault.MintsLate = true;
        await _supervisor.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => _vault.Calls.Any(c => c.StartsWith("find:", StringComparison.Ordinal)), Wait, "the first look-up");
        await _supervisor.CatchUpAsync();
        _time.Advance(TimeSpan.FromSeconds(1.1));
        await WaitForGenerationAsync(2);
        Assert.Equal(2, _vault.Active.Count); // the timed-out generate's lease appeared after its first look-up

        await _supervisor.StopAsync(CancellationToken.None);

        Assert.Empty(_vault.Active);
        Assert.Equal(0, _supervisor.ExitCode);
    }

    [Fact]
    public async Task GenerateTimesOut_LeaseStoredOnlyLater_IsRevokedAtTheSecondLookUp()
    {
        _vault.GenerateTimeouts = 1;
        _vault.MintsLate = true;
        await _supervisor.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => _vault.Calls.Any(c => c.StartsWith("find:", StringComparison.Ordinal)), Wait, "the first look-up");
        await _supervisor.CatchUpAsync();
        _time.Advance(TimeSpan.FromSeconds(1.1));
        var document = await WaitForGenerationAsync(2);
        var published = document!["lease_id"]!.GetValue<string>();
        Assert.Equal(2, _vault.Active.Count);

        for (var i = 0; i < 61 && _vault.Active.Count > 1; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await _supervisor.CatchUpAsync();
        }

        await Eventually.TrueAsync(() => _vault.Active.Count == 1, Wait, "the late lease revoked a minute after the first look-up");
        Assert.Equal([published], _vault.Active);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task GrantsShorterThanGenerateAndProbe_BackOff_InsteadOfLooping(int seconds)
    {
        _vault.Duration = TimeSpan.FromSeconds(seconds);
        _probe.Takes = TimeSpan.FromSeconds(1.5); // the lease has expired by the time its login is proven
        var start = _time.GetUtcNow();
        await _supervisor.StartAsync(CancellationToken.None);

        for (var second = 0; second < 600 && _time.GetUtcNow() - start < TimeSpan.FromMinutes(10); second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await _supervisor.CatchUpAsync();
        }

        // Full-jitter backoff up to 30 s: about 4 a minute once it is capped (40 ± 4 in ten minutes), where a loop
        // makes one per generate and probe (24 a minute here, and as many as the server allows in real time).
        var perMinute = _vault.GenerateTimes
            .Where(t => t - start < TimeSpan.FromMinutes(10))
            .GroupBy(t => (int)(t - start).TotalMinutes)
            .Select(g => g.Count())
            .ToList();
        Assert.True(perMinute.Sum() <= 80 && perMinute.Max() <= 20, $"generates per simulated minute: {string.Join(", ", perMinute)}");
        Assert.Null(Published());
    }

    /// <summary>No sessions: a superseded lease drains at the first check.</summary>
    private sealed class FakeSessions : IDatabaseSessions
    {
        public Task<int?> CountAsync(DatabaseCredential connectAs, string username, CancellationToken cancellationToken) => Task.FromResult<int?>(0);
    }

    private sealed class FakeProbe(FakeTimeProvider time) : ICredentialProbe
    {
        public ConcurrentQueue<string> Probed { get; } = new();

        public int FailNext { get; set; }

        /// <summary>How far the fake clock moves while a login is tried (a slow Postgres, a loaded pod).</summary>
        public TimeSpan Takes { get; set; }

        public Task<ProbeResult> ProbeAsync(DatabaseCredential credential, CancellationToken cancellationToken, TimeSpan? retryWindow = null)
        {
            Probed.Enqueue(credential.Username);
            if (Takes > TimeSpan.Zero)
            {
                time.Advance(Takes);
            }

            if (FailNext > 0)
            {
                FailNext--;
                return Task.FromResult(new ProbeResult(ProbeFailure.AuthenticationFailed, 3, "login refused"));
            }

            return Task.FromResult(new ProbeResult(ProbeFailure.None, 1, null));
        }
    }

    /// <summary>Leases with a duration and a hard end, renewals capped at it, on the fake clock.</summary>
    private sealed class FakeScaiVault(FakeTimeProvider time, TimeSpan duration, TimeSpan maxTtl) : IScaiVaultClient
    {
        private readonly ConcurrentDictionary<string, DateTimeOffset> _hardEnds = new();
        private readonly ConcurrentDictionary<string, bool> _mintOnLookup = new();
        private int _next;
        private string? _generateBody;
        private string? _nextPassword;

        /// <summary>The next generate's password, handed over as is (no parser in between).</summary>
        public string? NextPassword { set => _nextPassword = value; }

        /// <summary>Every call in order: <c>generate:{client_ref}</c>, <c>find:{client_ref}</c>, <c>revoke:{lease_id}</c>.</summary>
        public ConcurrentQueue<string> Calls { get; } = new();

        /// <summary>The duration every generate grants.</summary>
        public TimeSpan Duration { get; set; } = duration;

        /// <summary>Leases minted and not revoked (nor forgotten).</summary>
        public ICollection<string> Active => _hardEnds.Keys;

        /// <summary>The next generate mints a lease, then times out at the client (as a slow server can make it).</summary>
        public int GenerateTimeouts { get; set; }

        /// <summary>A timed-out generate's lease appears only after the first look-up of its reference: a server still busy.</summary>
        public bool MintsLate { get; set; }

        /// <summary>The next generate's answer is this body, read by the real parser: a 2xx the agent may be unable to use.</summary>
        public string? GenerateBody { set => _generateBody = value; }

        public ConcurrentQueue<string> Renewals { get; } = new();

        public ConcurrentBag<string> Revoked { get; } = [];

        public int RenewFailures { get; set; }

        /// <summary>Generate answers 429 <c>rate_limited</c> with this <c>Retry-After</c> while it is set.</summary>
        public TimeSpan? GenerateRetryAfter { get; set; }

        public int GenerateAttempts;

        public int RenewAttempts;

        public bool RevokeFails { get; set; }

        /// <summary>While set, revocations never answer (until cancelled).</summary>
        public bool RevokeHangs { get; set; }

        public void Forget(string leaseId) => _hardEnds.TryRemove(leaseId, out _);

        /// <summary>Every generate also mints a twin lease under the same reference, as a timed-out first attempt can.</summary>
        public bool MintTwins { get; set; }

        private readonly ConcurrentDictionary<string, List<string>> _byClientRef = new();

        public Task<IReadOnlyList<string>> FindByClientRefAsync(string clientRef, Deadline deadline, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"find:{clientRef}");
            IReadOnlyList<string> found = _byClientRef.TryGetValue(clientRef, out var ids) ? [.. ids.Where(id => !Revoked.Contains(id))] : [];
            if (_mintOnLookup.TryRemove(clientRef, out _))
            {
                Mint(clientRef);
            }

            return Task.FromResult(found);
        }

        /// <summary>When each generate came, on the fake clock.</summary>
        public ConcurrentQueue<DateTimeOffset> GenerateTimes { get; } = new();

        public Task<LeaseGrant> GenerateAsync(TimeSpan? ttl, string? clientRef, Deadline deadline, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref GenerateAttempts);
            GenerateTimes.Enqueue(time.GetUtcNow());
            Calls.Enqueue($"generate:{clientRef}");
            if (GenerateRetryAfter is { } retryAfter)
            {
                throw new ScaiVaultException(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited, "slow down", retryAfter: retryAfter);
            }

            if (Interlocked.Exchange(ref _generateBody, null) is { } body)
            {
                return Task.FromResult(LeaseResponseParser.Parse(System.Text.Encoding.UTF8.GetBytes(body), time.GetUtcNow(), expectCredential: true));
            }

            if (GenerateTimeouts > 0)
            {
                GenerateTimeouts--;
                if (MintsLate)
                {
                    _mintOnLookup[clientRef!] = true;
                }
                else
                {
                    Mint(clientRef);
                }

                throw new ScaiVaultException(null, ErrorCodes.Timeout, "ScaiVault did not answer in time") { MayHaveTakenEffect = true };
            }

            var n = Mint(clientRef);
            var now = time.GetUtcNow();
            return Task.FromResult(new LeaseGrant
            {
                LeaseId = $"lease-{n}",
                Duration = Duration,
                TimeToHardEnd = maxTtl,
                IssuedAt = now,
                ExpiresAt = now + Duration,
                Credential = new DatabaseCredential($"v_r_{n}", Interlocked.Exchange(ref _nextPassword, null) ?? $"password-{n}"),
            });
        }

        private int Mint(string? clientRef)
        {
            var n = Interlocked.Increment(ref _next);
            _hardEnds[$"lease-{n}"] = time.GetUtcNow() + maxTtl;
            if (clientRef is not null)
            {
                _byClientRef[clientRef] = MintTwins ? [$"twin-{n}", $"lease-{n}"] : [$"lease-{n}"];
            }

            return n;
        }

        /// <summary>What an adopting agent asks first about a journalled lease.</summary>
        public Task<LeaseGrant> LookupAsync(string leaseId, Deadline deadline, CancellationToken cancellationToken)
        {
            var now = time.GetUtcNow();
            if (!_hardEnds.TryGetValue(leaseId, out var hardEnd) || hardEnd <= now)
            {
                throw new ScaiVaultException(HttpStatusCode.NotFound, ErrorCodes.LeaseNotFound, "gone");
            }

            return Task.FromResult(new LeaseGrant { LeaseId = leaseId, Duration = Duration, TimeToHardEnd = hardEnd - now, ExpiresAt = now + Duration });
        }

        public Task<SecretValue> GetSecretAsync(string path, Deadline deadline, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        /// <summary>While set, renewals wait for it: a renewal still on its way.</summary>
        public TaskCompletionSource? RenewGate { get; set; }

        public async Task<LeaseGrant> RenewAsync(string leaseId, TimeSpan increment, Deadline deadline, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref RenewAttempts);
            if (RenewGate is { } gate)
            {
                await gate.Task;
            }

            if (RenewFailures > 0)
            {
                RenewFailures--;
                throw new ScaiVaultException(HttpStatusCode.ServiceUnavailable, ErrorCodes.ServiceUnavailable, "down");
            }

            var now = time.GetUtcNow();
            if (!_hardEnds.TryGetValue(leaseId, out var hardEnd) || hardEnd <= now)
            {
                throw new ScaiVaultException(HttpStatusCode.NotFound, ErrorCodes.LeaseNotFound, "gone");
            }

            var granted = hardEnd - now < increment ? hardEnd - now : increment;
            Renewals.Enqueue(leaseId);
            return new LeaseGrant { LeaseId = leaseId, Duration = granted, TimeToHardEnd = hardEnd - now, ExpiresAt = now + granted };
        }

        public async Task RevokeAsync(string leaseId, Deadline deadline, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"revoke:{leaseId}");
            if (RevokeHangs)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }

            if (RevokeFails)
            {
                throw new ScaiVaultException(HttpStatusCode.ServiceUnavailable, ErrorCodes.ServiceUnavailable, "down");
            }

            Revoked.Add(leaseId);
            _hardEnds.TryRemove(leaseId, out _);
        }
    }
}
