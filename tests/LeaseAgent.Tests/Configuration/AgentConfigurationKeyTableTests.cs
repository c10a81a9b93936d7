using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Configuration;
using ScaiVault.Hosting.Configuration;
using ScaiVault.Client;

namespace LeaseAgent.Tests.Configuration;

/// <summary>
/// Every key of <see cref="AgentConfiguration.Keys"/>, fed ordinary values and extremes: each value either loads
/// into options the runtime can use, or is refused with one line naming the key (exit 2). Nothing may escape as
/// another exception: in the AOT binary that is SIGABRT, exit 134, maybe a core dump, and nothing revoked.
/// A new key fails <see cref="Table_HasRowsForEveryKey"/> until it gets rows here.
/// </summary>
public sealed class AgentConfigurationKeyTableTests
{
    private const bool Accepted = true;
    private const bool Refused = false;

    /// <summary>A file that exists, for the keys that must name one.</summary>
    private static readonly string ExistingFile = typeof(AgentConfigurationKeyTableTests).Assembly.Location;

    private static IReadOnlyDictionary<string, string?> Valid => AgentConfigurationTests.Valid;

    /// <summary>Keys that only mean something together with others: those are set too, so the row tests its own key.</summary>
    private static readonly Dictionary<string, Dictionary<string, string?>> Context = new()
    {
        ["SCAIVAULT_CLIENT_ID"] = new() { ["SCAIVAULT_CLIENT_SECRET_FILE"] = ExistingFile, ["SCAIKEY_TOKEN_URL"] = "https://scaikey.example/oauth/token" },
        ["SCAIVAULT_CLIENT_SECRET_FILE"] = new() { ["SCAIVAULT_CLIENT_ID"] = "reporting", ["SCAIKEY_TOKEN_URL"] = "https://scaikey.example/oauth/token" },
        ["SCAIKEY_TOKEN_URL"] = new() { ["SCAIVAULT_CLIENT_ID"] = "reporting", ["SCAIVAULT_CLIENT_SECRET_FILE"] = ExistingFile },
        ["CREDENTIALS"] = new() { ["LEASE_ENGINE"] = null, ["LEASE_ROLE"] = null }, // instead of the single-credential keys
        ["SECRETS"] = new() { ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1" }, // for secret: targets
        ["KUBERNETES_SERVICE_HOST"] = new() { ["SECRETS"] = "apps/config -> secret:app-config" },
        ["KUBERNETES_SERVICE_PORT"] = new() { ["SECRETS"] = "apps/config -> secret:app-config", ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1" },
        ["KUBERNETES_SERVICE_ACCOUNT_DIR"] = new() { ["SECRETS"] = "apps/config -> secret:app-config", ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1" },
    };

    /// <summary>What every key is also fed: numbers at and past every limit, units past a day, blanks and junk.</summary>
    private static readonly string[] Extremes =
    [
        "0", "-1", "1", "100000000000000000000", "99999999999999999", "9223372036854775807", "60d", "7h", "25h",
        "106751991d", "0ms", "", " ", "garbage", "-> ->", "\u0001", "a\0b", "/", "[::1:80",
    ];

    /// <summary>Key, value, and whether it is accepted. Every key has at least one row.</summary>
    private static readonly (string Key, string Value, bool Accepted)[] Table =
    [
        ("SCAIVAULT_URL", "https://scaivault.example:8443/", Accepted),
        ("SCAIVAULT_URL", "", Refused),
        ("SCAIVAULT_URL", "scaivault.example", Refused),
        ("SCAIVAULT_URL", "http://127.0.0.1:8200", Accepted),
        ("SCAIVAULT_URL", "http://10.0.0.1:8200", Refused), // plain http off loopback
        ("SCAIVAULT_ALLOW_INSECURE_HTTP", "true", Accepted),
        ("SCAIVAULT_ALLOW_INSECURE_HTTP", "maybe", Refused),
        ("SCAIVAULT_TOKEN_FILE", "/var/run/secrets/other/token", Accepted),
        ("SCAIVAULT_TOKEN", "dev-token", Accepted),
        ("SCAIVAULT_TIMEOUT", "100ms", Accepted),
        ("SCAIVAULT_TIMEOUT", "5m", Accepted),
        ("SCAIVAULT_TIMEOUT", "99ms", Refused),
        ("SCAIVAULT_TIMEOUT", "301s", Refused),
        ("SCAIVAULT_TIMEOUT", "7h", Refused), // Polly refused it at start: exit 134
        ("SCAIVAULT_TIMEOUT", "99999999999999999", Refused),
        ("SCAIVAULT_CA_FILE", ExistingFile, Accepted),
        ("SCAIVAULT_CA_FILE", "/nonexistent/ca.pem", Refused),
        ("SCAIVAULT_CLIENT_ID", "reporting", Accepted),
        ("SCAIVAULT_CLIENT_ID", "", Refused),
        ("SCAIVAULT_CLIENT_SECRET_FILE", ExistingFile, Accepted),
        ("SCAIVAULT_CLIENT_SECRET_FILE", "/nonexistent/secret", Refused),
        ("SCAIKEY_TOKEN_URL", "https://scaikey.example/oauth/token", Accepted),
        ("SCAIKEY_TOKEN_URL", "ftp://scaikey.example", Refused),
        ("SCAIVAULT_PATH_EXCHANGE", "/v2/auth/exchange", Accepted),
        ("SCAIVAULT_PATH_EXCHANGE", "v2/auth/exchange", Refused),
        ("SCAIVAULT_PATH_GENERATE", "/v2/{engine}/creds/{role}", Accepted),
        ("SCAIVAULT_PATH_GENERATE", "creds", Refused),
        ("SCAIVAULT_PATH_LOOKUP", "/v2/leases/{lease_id}", Accepted),
        ("SCAIVAULT_PATH_LOOKUP", "leases", Refused),
        ("SCAIVAULT_PATH_RENEW", "/v2/leases/{lease_id}/renew", Accepted),
        ("SCAIVAULT_PATH_RENEW", "renew", Refused),
        ("SCAIVAULT_PATH_REVOKE", "/v2/leases/{lease_id}/revoke", Accepted),
        ("SCAIVAULT_PATH_REVOKE", "revoke", Refused),
        ("SCAIVAULT_PATH_LIST", "/v2/leases", Accepted),
        ("SCAIVAULT_PATH_LIST", "leases", Refused),
        ("LEASE_ENGINE", "other-db", Accepted),
        ("LEASE_ENGINE", "", Refused),
        ("LEASE_ROLE", "writer", Accepted),
        ("LEASE_ROLE", " ", Refused),
        ("LEASE_TTL", "1s", Accepted),
        ("LEASE_TTL", "365d", Accepted),
        ("LEASE_TTL", "0s", Refused),
        ("LEASE_TTL", "366d", Refused),
        ("LEASE_TTL", "99999999999999999", Refused), // TimeSpan.FromSeconds threw: exit 134
        ("LEASE_TTL", "100000000000000000000", Refused),
        ("LEASE_ROTATE_BEFORE", "0", Accepted),
        ("LEASE_ROTATE_BEFORE", "365d", Accepted),
        ("LEASE_ROTATE_BEFORE", "366d", Refused),
        ("LEASE_DRAIN_TIMEOUT", "0", Accepted),
        ("LEASE_DRAIN_TIMEOUT", "24h", Accepted),
        ("LEASE_DRAIN_TIMEOUT", "25h", Refused),
        ("CREDENTIALS", "reporting-db/readonly -> /run/secrets/db.json\nbilling-db/readwrite -> /run/secrets/billing.json database=billing ttl=1h", Accepted),
        ("CREDENTIALS", "reporting-db/readonly -> /run/secrets/db.json port=0", Refused),
        ("CREDENTIALS", "reporting-db/readonly /run/secrets/db.json", Refused),
        ("CREDENTIALS", "e/r -> /run/secrets/a.json\ne/r -> /run/secrets/b.json", Refused), // one name twice
        ("FAIL_OPEN", "on", Accepted),
        ("FAIL_OPEN", "2", Refused),
        ("DB_HOST", "10.0.0.5", Accepted),
        ("DB_HOST", "", Refused),
        ("DB_PORT", "65535", Accepted),
        ("DB_PORT", "0", Refused),
        ("DB_PORT", "99999999999999999", Refused),
        ("DB_NAME", "app", Accepted),
        ("DB_NAME", "", Refused),
        ("DB_SSLMODE", "verify-full", Accepted),
        ("DB_SSLMODE", "on", Refused),
        ("DB_REQUIRE_AUTH", "scram-sha-256", Accepted),
        ("DB_REQUIRE_AUTH", "scram-sha-256,none", Accepted),
        ("DB_REQUIRE_AUTH", "!md5", Refused),
        ("DB_REQUIRE_AUTH", "kerberos", Refused),
        ("DB_PROBE_QUERY", "select 1", Accepted),
        ("DB_PROBE_WINDOW", "0", Accepted),
        ("DB_PROBE_WINDOW", "24h", Accepted),
        ("DB_PROBE_WINDOW", "60d", Refused),
        ("OUTPUT_FILE", "/tmp/app/db.json", Accepted),
        ("OUTPUT_FILE", "relative/db.json", Accepted),
        ("OUTPUT_FILE", "/", Refused), // ArgumentNullException: exit 134
        ("OUTPUT_FILE", "/tmp/a\0b", Refused),
        ("OUTPUT_FORMAT", "pgpass", Accepted),
        ("OUTPUT_FORMAT", "xml", Refused),
        ("OUTPUT_MODE", "0640", Accepted),
        ("OUTPUT_MODE", "99999999999", Refused),
        ("OUTPUT_MODE", "-1", Refused),
        ("STATE_DIR", "/tmp/app/state", Accepted),
        ("STATE_DIR", "/", Accepted),
        ("STATE_DIR", "/tmp/a\0b", Refused),
        ("SHUTDOWN_TIMEOUT", "1s", Accepted),
        ("SHUTDOWN_TIMEOUT", "24h", Accepted),
        ("SHUTDOWN_TIMEOUT", "25h", Refused),
        ("SHUTDOWN_TIMEOUT", "60d", Refused), // accepted, then CancelAfter threw at SIGTERM: nothing revoked
        ("SHUTDOWN_TIMEOUT", "99999999999999999", Refused),
        ("REVOKE_ON_SHUTDOWN", "false", Accepted),
        ("REVOKE_ON_SHUTDOWN", "nope", Refused),
        ("REVOKE_DELAY", "5s", Accepted),
        ("REVOKE_DELAY", "20s", Refused),
        ("REVOKE_DELAY", "60d", Refused),
        ("HEALTH_ADDRESS", "127.0.0.1:8099", Accepted),
        ("HEALTH_ADDRESS", "[::1]:8099", Accepted),
        ("HEALTH_ADDRESS", "[::]:8099", Accepted),
        ("HEALTH_ADDRESS", "localhost:8099", Accepted),
        ("HEALTH_ADDRESS", "*:8099", Accepted),
        ("HEALTH_ADDRESS", "[::1:80", Refused),
        ("HEALTH_ADDRESS", "::1:80", Refused),
        ("HEALTH_ADDRESS", "[127.0.0.1]:80", Refused),
        ("HEALTH_ADDRESS", "[::1]x:80", Refused),
        ("HEALTH_ADDRESS", "bad host:80", Refused),
        ("HEALTH_ADDRESS", ":8099", Refused),
        ("HEALTH_ADDRESS", "127.0.0.1:0", Refused),
        ("HEALTH_ADDRESS", "127.0.0.1:99999999999999999", Refused),
        ("LOG_FORMAT", "text", Accepted),
        ("LOG_FORMAT", "xml", Refused),
        ("LOG_LEVEL", "warn", Accepted),
        ("LOG_LEVEL", "loud", Refused),
        ("RELOAD_SIGNAL", "SIGUSR1", Accepted),
        ("RELOAD_SIGNAL", "KILL", Refused),
        ("RELOAD_PID_FILE", "/run/app/app.pid", Accepted),
        ("RELOAD_PROCESS_NAME", "java", Accepted),
        ("SECRETS", "apps/config -> /etc/app/config.json", Accepted),
        ("SECRETS", "apps/../../v1/dynamic/leases -> /etc/app/x", Refused),
        ("SECRETS", "apps/config -> /etc/app/../../etc/passwd", Refused),
        ("SECRETS", "apps/config -> /run/secrets/db.json", Refused),
        ("SECRETS", "apps/config -> /run/secrets/.lease-agent/journal.json", Refused),
        ("REFRESH_INTERVAL", "1s", Accepted),
        ("REFRESH_INTERVAL", "7d", Accepted),
        ("REFRESH_INTERVAL", "0", Refused),
        ("REFRESH_INTERVAL", "60d", Refused),
        ("SUBSCRIBE", "yes", Accepted),
        ("SUBSCRIBE", "sometimes", Refused),
        ("INIT_TIMEOUT", "1s", Accepted),
        ("INIT_TIMEOUT", "24h", Accepted),
        ("INIT_TIMEOUT", "25h", Refused),
        ("INIT_TIMEOUT", "99999999999999999", Refused),
        ("SECRETS", "apps/config -> secret:app-config", Accepted),
        ("SECRETS", "apps/config#api_key -> secret:app-config/api-key", Accepted),
        ("SECRETS", "apps/config -> secret:App_Config", Refused),
        ("SECRETS", "apps/config -> secret:other-ns/app-config/key", Refused),
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1", Accepted),
        ("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", Accepted),
        ("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc", Accepted),
        ("KUBERNETES_SERVICE_HOST", "", Refused), // with a secret: target: init must run in a pod
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1/api", Refused),
        ("KUBERNETES_SERVICE_PORT", "6443", Accepted),
        ("KUBERNETES_SERVICE_PORT", "0", Refused),
        ("KUBERNETES_SERVICE_PORT", "https", Refused),
        ("KUBERNETES_SERVICE_ACCOUNT_DIR", "/var/run/secrets/kube-api", Accepted),
        ("KUBERNETES_SERVICE_ACCOUNT_DIR", "/var/run/\u0001", Refused),
    ];

    public static TheoryData<string, string, bool> Rows()
    {
        var rows = new TheoryData<string, string, bool>();
        foreach (var (key, value, accepted) in Table)
        {
            rows.Add(key, value, accepted);
        }

        return rows;
    }

    public static TheoryData<string, string> EveryKeyWithEveryExtreme()
    {
        var rows = new TheoryData<string, string>();
        foreach (var key in AgentConfiguration.Keys)
        {
            foreach (var value in Extremes)
            {
                rows.Add(key, value);
            }
        }

        return rows;
    }

    [Fact]
    public void Table_HasRowsForEveryKey()
    {
        var withoutRows = AgentConfiguration.Keys.Except(Table.Select(r => r.Key)).ToList();

        Assert.True(withoutRows.Count == 0, $"add rows for {string.Join(", ", withoutRows)} to the table");
        Assert.Empty(Table.Select(r => r.Key).Except(AgentConfiguration.Keys));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Load_TableRow_AcceptedAndUsable_OrRefusedNamingTheKey(string key, string value, bool accepted)
    {
        var outcome = Outcome(key, value);

        if (accepted)
        {
            Assert.True(outcome is null, $"{key}={value} was refused: {outcome?.Message}");
        }
        else
        {
            Assert.True(outcome is not null, $"{key}={value} was accepted");
            Assert.True(outcome.Key == key || outcome.Message.Contains(key, StringComparison.Ordinal), outcome.Message);
        }
    }

    [Theory]
    [MemberData(nameof(EveryKeyWithEveryExtreme))]
    public void Load_ExtremeValue_IsUsable_OrRefusedNamingTheKey(string key, string value)
    {
        var refused = Outcome(key, value);

        if (refused is not null)
        {
            Assert.True(refused.Key == key || refused.Message.Contains(key, StringComparison.Ordinal), refused.Message);
        }
    }

    /// <summary>
    /// Null when the value loaded and the options pass what the runtime will do with them; the refusal otherwise.
    /// Any other exception fails the test: in the agent it would be an unhandled crash.
    /// </summary>
    private static ConfigurationException? Outcome(string key, string value)
    {
        var values = new Dictionary<string, string?>(Valid);
        foreach (var (contextKey, contextValue) in Context.GetValueOrDefault(key) ?? [])
        {
            values[contextKey] = contextValue;
        }

        values[key] = value;
        AgentOptions options;
        try
        {
            options = AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        }
        catch (ConfigurationException e)
        {
            Assert.StartsWith(e.Key + ": ", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
            return e;
        }

        AssertUsableAtRuntime(options);
        return null;
    }

    /// <summary>What the agent does with the durations: Polly's timeouts (at most a day) and timers (at most 2^32-2 ms).</summary>
    private static void AssertUsableAtRuntime(AgentOptions options)
    {
        ScaiVaultResilience.Create(options.ScaiVault.RequestTimeout, options.ScaiVault.RequestTimeout * 4, maxRetries: 3, TimeProvider.System);
        using var timer = new CancellationTokenSource();
        timer.CancelAfter(options.Shutdown.Timeout + TimeSpan.FromSeconds(5)); // HostOptions.ShutdownTimeout
        timer.CancelAfter(options.Shutdown.RevokeDelay);
        timer.CancelAfter(options.Secrets.InitTimeout);
        timer.CancelAfter(options.Secrets.RefreshInterval * 1.1); // the refresh jitter
        foreach (var (_, lease, database, _) in options.Credentials)
        {
            timer.CancelAfter(lease.DrainTimeout);
            timer.CancelAfter(database.ProbeWindow);
            Assert.NotEmpty(Duration.ToScaiVault(lease.Ttl ?? TimeSpan.Zero));
        }

        Assert.True(Path.IsPathFullyQualified(options.Output.StateDirectory));
    }
}
