using System.Net;
using LeaseAgent.Configuration;
using LeaseAgent.Init;
using LeaseAgent.Postgres;
using LeaseAgent.ScaiVault;
using LeaseAgent.Tests.ScaiVault;
using Microsoft.Extensions.Configuration;
using ScaiVault.Client;

namespace LeaseAgent.Tests.Init;

/// <summary>
/// <c>init</c>'s two retry loops, on a <see cref="JumpingClock"/> (waits are exact and instant): transient ScaiVault
/// failures are retried with backoff, a failed probe revokes its credential and generates another, and nothing is
/// waited past <c>INIT_TIMEOUT</c>; then init gives up with the last failure, writing nothing.
/// </summary>
public sealed class InitCommandTests : IDisposable
{
    private static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("init-command-").FullName;
    private readonly JumpingClock _clock = new();
    private readonly ScriptedVault _vault = new();
    private readonly ScriptedProbe _probe = new();
    private readonly CapturingLogger<InitCommand> _logger = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Init_TransientReadFailures_AreRetriedWithBackoff_ThenTheFileIsWritten()
    {
        _vault.Reads.Enqueue(Unavailable());
        _vault.Reads.Enqueue(new ScaiVaultException(null, ErrorCodes.Timeout, "ScaiVault did not answer in time"));

        var exit = await RunAsync(withLease: false);

        Assert.Equal(Program.ExitOk, exit);
        Assert.Equal(3, _vault.ReadCalls);
        Assert.Equal(
            ["init: secret apps/x failed (service_unavailable); retrying in", "init: secret apps/x failed (timeout); retrying in"],
            Logged(701).Select(m => m[..m.IndexOf(" in ", StringComparison.Ordinal)] + " in"));
        Assert.Equal(2, _clock.Waits.Count);
        Assert.All(_clock.Waits, w => Assert.InRange(w, TimeSpan.Zero, TimeSpan.FromSeconds(2))); // attempts 0 and 1 of ScaiVaultOperation
        Assert.True(File.Exists(SecretFile));
    }

    [Fact]
    public async Task Init_ALongRetryAfter_IsWaitedOut_BeforeTheNextRead()
    {
        _vault.Reads.Enqueue(new ScaiVaultException(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited, "slow down", retryAfter: TimeSpan.FromSeconds(20)));

        var exit = await RunAsync(withLease: false);

        Assert.Equal(Program.ExitOk, exit);
        var wait = Assert.Single(_clock.Waits);
        Assert.InRange(wait, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30)); // Retry-After plus RateLimitSpread attempt 0
    }

    [Fact]
    public async Task Init_WhenScaiVaultStaysDown_RetriesUntilInitTimeout_NeverWaitingPastIt_ThenFailsWithTheLastError()
    {
        _vault.ReadsAlwaysFail = Unavailable();

        var exit = await RunAsync(withLease: false);

        Assert.Equal(Program.ExitFailure, exit);
        Assert.True(_vault.ReadCalls > 2, $"only {_vault.ReadCalls} reads");
        Assert.Equal(_vault.ReadCalls, Logged(701).Count); // the last backoff drawn is logged too, then found not to fit
        Assert.True(_clock.Elapsed < InitTimeout, $"waited {_clock.Elapsed} of an INIT_TIMEOUT of {InitTimeout}");
        Assert.Contains("service_unavailable: ScaiVault is down", Assert.Single(Logged(702)), StringComparison.Ordinal);
        Assert.False(File.Exists(SecretFile));
    }

    [Fact]
    public async Task Init_ANonTransientFailure_IsNotRetried()
    {
        _vault.Reads.Enqueue(new ScaiVaultException(HttpStatusCode.Forbidden, "access_denied", "no policy allows reading apps/x"));

        var exit = await RunAsync(withLease: false);

        Assert.Equal(Program.ExitFailure, exit);
        Assert.Equal(1, _vault.ReadCalls);
        Assert.Empty(Logged(701));
        Assert.Empty(_clock.Waits);
        Assert.Contains("access_denied", Assert.Single(Logged(702)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_AFailedProbe_RevokesThatCredential_AndPublishesTheNextOne()
    {
        _probe.Results.Enqueue(new ProbeResult(ProbeFailure.AuthenticationFailed, 3, "login refused: SQLSTATE 28P01"));

        var exit = await RunAsync(withLease: true);

        Assert.Equal(Program.ExitOk, exit);
        Assert.Equal(["lease-1"], _vault.Revoked);
        Assert.Contains("v_user_2", File.ReadAllText(CredentialFile), StringComparison.Ordinal);
        var wait = Assert.Single(_clock.Waits);
        Assert.InRange(wait, TimeSpan.Zero, TimeSpan.FromSeconds(1)); // ScaiVaultOperation attempt 0
    }

    [Fact]
    public async Task Init_WhenEveryProbeFails_RevokesEveryCredential_UntilInitTimeout_ThenFailsClosed()
    {
        _probe.AlwaysFails = new ProbeResult(ProbeFailure.AuthenticationFailed, 3, "login refused: SQLSTATE 28P01");

        var exit = await RunAsync(withLease: true);

        Assert.Equal(Program.ExitFailure, exit);
        Assert.True(_vault.Generated.Count > 2, $"only {_vault.Generated.Count} credentials");
        Assert.Equal(_vault.Generated, _vault.Revoked);
        Assert.True(_clock.Elapsed < InitTimeout, $"waited {_clock.Elapsed} of an INIT_TIMEOUT of {InitTimeout}");
        Assert.Contains($"the new credential of v_user_{_vault.Generated.Count} failed its probe (AuthenticationFailed: login refused: SQLSTATE 28P01)", Assert.Single(Logged(702)), StringComparison.Ordinal);
        Assert.False(File.Exists(CredentialFile));
        Assert.False(File.Exists(SecretFile));
    }

    [Fact]
    public async Task Init_FailOpen_ExitsZero_WithoutTheFiles()
    {
        _vault.ReadsAlwaysFail = Unavailable();

        var exit = await RunAsync(withLease: false, ("FAIL_OPEN", "true"));

        Assert.Equal(Program.ExitOk, exit);
        Assert.Single(Logged(703));
        Assert.False(File.Exists(SecretFile));
    }

    private string SecretFile => Path.Combine(_directory, "x.json");

    private string CredentialFile => Path.Combine(_directory, "db.json");

    private static ScaiVaultException Unavailable() => new(HttpStatusCode.ServiceUnavailable, ErrorCodes.ServiceUnavailable, "ScaiVault is down");

    private List<string> Logged(int eventId) => [.. _logger.Entries.Where(e => e.Id.Id == eventId).Select(e => e.Message)];

    private Task<int> RunAsync(bool withLease, params (string Key, string Value)[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["SCAIVAULT_URL"] = "https://scaivault.example",
            ["SECRETS"] = $"apps/x -> {SecretFile}",
            ["INIT_TIMEOUT"] = "60s",
            ["OUTPUT_FILE"] = CredentialFile,
            ["STATE_DIR"] = Path.Combine(_directory, "state"),
        };
        if (withLease)
        {
            values["LEASE_ENGINE"] = "reporting-db";
            values["LEASE_ROLE"] = "readonly";
            values["DB_HOST"] = "127.0.0.1";
            values["DB_NAME"] = "reporting";
        }

        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }

        var options = AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        return new InitCommand(options, _vault, _probe, _clock, _logger).RunAsync(CancellationToken.None);
    }

    /// <summary>Answers reads and generates from a script; what it was asked is kept.</summary>
    private sealed class ScriptedVault : IScaiVaultClient
    {
        private int _generated;

        public Queue<Exception> Reads { get; } = new();

        public Exception? ReadsAlwaysFail { get; set; }

        public int ReadCalls { get; private set; }

        public List<string> Generated { get; } = [];

        public List<string> Revoked { get; } = [];

        public Task<SecretValue> GetSecretAsync(string path, Deadline deadline, CancellationToken cancellationToken)
        {
            ReadCalls++;
            if ((ReadsAlwaysFail ?? (Reads.TryDequeue(out var next) ? next : null)) is { } failure)
            {
                return Task.FromException<SecretValue>(failure);
            }

            return Task.FromResult(new SecretValue(path, 1, """{"password": "pw"}"""u8.ToArray()));
        }

        public Task<LeaseGrant> GenerateAsync(TimeSpan? ttl, string? clientRef, Deadline deadline, CancellationToken cancellationToken)
        {
            var n = ++_generated;
            Generated.Add($"lease-{n}");
            return Task.FromResult(new LeaseGrant
            {
                LeaseId = $"lease-{n}",
                Duration = TimeSpan.FromHours(1),
                Credential = new DatabaseCredential($"v_user_{n}", $"password-{n}"),
            });
        }

        public Task RevokeAsync(string leaseId, Deadline deadline, CancellationToken cancellationToken)
        {
            Revoked.Add(leaseId);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<string>> FindByClientRefAsync(string clientRef, Deadline deadline, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<LeaseGrant> LookupAsync(string leaseId, Deadline deadline, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<LeaseGrant> RenewAsync(string leaseId, TimeSpan increment, Deadline deadline, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>Fails the scripted probes, then passes.</summary>
    private sealed class ScriptedProbe : ICredentialProbe
    {
        public Queue<ProbeResult> Results { get; } = new();

        public ProbeResult? AlwaysFails { get; set; }

        public Task<ProbeResult> ProbeAsync(DatabaseCredential credential, CancellationToken cancellationToken, TimeSpan? retryWindow = null) =>
            Task.FromResult(AlwaysFails ?? (Results.TryDequeue(out var next) ? next : new ProbeResult(ProbeFailure.None, 1, null)));
    }
}
