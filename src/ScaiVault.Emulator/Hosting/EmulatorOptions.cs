namespace ScaiVault.Emulator.Hosting;

/// <summary>The emulator's settings, from the command line (see <see cref="EmulatorArguments"/>).</summary>
internal sealed record EmulatorOptions
{
    /// <summary><c>--urls</c>; default <c>http://127.0.0.1:8200</c>.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:8200"];

    /// <summary><c>--postgres</c>: where the state schema lives; required.</summary>
    public required string PostgresConnectionString { get; init; }

    /// <summary><c>--admin-token</c>, <c>--admin-token-file</c> or <c>SCAIVAULT_EMULATOR_ADMIN_TOKEN</c>: the bearer token with every scope; required.</summary>
    public required string AdminToken { get; init; }

    /// <summary><c>--trust-issuer iss=file</c>, repeatable.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> TrustedIssuerFiles { get; init; } = [];

    /// <summary><c>--dev</c>: a built-in issuer, <c>POST /_emulator/tokens</c>, and no admin token on <c>/_emulator/*</c>.</summary>
    public bool Dev { get; init; }

    /// <summary><c>--dev-allow-remote</c>: <c>--dev</c> on a non-loopback address (refused otherwise).</summary>
    public bool DevAllowRemote { get; init; }

    /// <summary><c>--metrics-require-admin</c>: <c>/v1/metrics</c> needs the <c>admin</c> scope; default off (no token needed).</summary>
    public bool MetricsRequireAdmin { get; init; }

    /// <summary><c>--client id=secret</c> or <c>id=@file</c>, repeatable: clients of the <c>/oauth/token</c> endpoint.</summary>
    public IReadOnlyDictionary<string, string> Clients { get; init; } = new Dictionary<string, string>();

    /// <summary><c>--token-ttl</c>; default 1h.</summary>
    public TimeSpan TokenTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary><c>--sweep-interval</c>; default 1s.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>--rate-limit-generate</c> per identity per minute; default 100; 0 turns it off.</summary>
    public int RateLimitGenerate { get; init; } = 100;

    /// <summary><c>--rate-limit-lease-ops</c> (renew + revoke) per identity per minute; default 100; 0 turns it off.</summary>
    public int RateLimitLeaseOperations { get; init; } = 100;

    /// <summary><c>--rate-limit-reads</c> (secret reads) per identity per minute; default 1000; 0 turns it off.</summary>
    public int RateLimitReads { get; init; } = 1000;

    /// <summary><c>--rate-limit-polls</c> (subscription polls) per identity per minute; default 240; 0 turns it off.</summary>
    public int RateLimitPolls { get; init; } = 240;

    /// <summary>
    /// <c>--rate-limit-subscription-ops</c> (subscription create, get, delete and ack) per identity per minute; default 20
    /// (RATE's "Subscription operations"); 0 turns it off.
    /// </summary>
    public int RateLimitSubscriptionOperations { get; init; } = 20;

    /// <summary>
    /// <c>--rate-limit-other</c>: every other route (health, metrics, token exchange, lease lookup and list, engine admin,
    /// unknown routes …) per identity, or per client address when unauthenticated, per minute; default 10000; 0 turns it off.
    /// </summary>
    public int RateLimitOther { get; init; } = 10000;

    /// <summary><c>--subscription-redelivery</c>: how long a polled event stays hidden before an un-acked one is delivered again; default 30s.</summary>
    public TimeSpan SubscriptionRedelivery { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>--log-level</c>; default Information.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
}
