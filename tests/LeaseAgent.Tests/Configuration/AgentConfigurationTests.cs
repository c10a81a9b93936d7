using LeaseAgent.Configuration;
using Microsoft.Extensions.Configuration;

namespace LeaseAgent.Tests.Configuration;

public sealed class AgentConfigurationTests
{
    /// <summary>The smallest configuration that loads; other tests add the key they are about.</summary>
    internal static readonly IReadOnlyDictionary<string, string?> Valid = new Dictionary<string, string?>
    {
        ["SCAIVAULT_URL"] = "https://scaivault.example",
        ["LEASE_ENGINE"] = "reporting-db",
        ["LEASE_ROLE"] = "readonly",
        ["DB_HOST"] = "db.internal",
        ["DB_NAME"] = "reporting",
    };

    private static AgentOptions Load(params (string Key, string? Value)[] overrides)
    {
        var values = new Dictionary<string, string?>(Valid);
        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }

        return AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    [Fact]
    public void Load_Minimal_AppliesDocumentedDefaults()
    {
        var options = Load();

        Assert.Equal("/var/run/secrets/scaivault/token", options.ScaiVault.TokenFile);
        Assert.NotNull(options.Lease);
        Assert.NotNull(options.Database);
        Assert.Null(options.Lease.Ttl);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Lease.RotateBefore);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Lease.DrainTimeout);
        Assert.Equal(5432, options.Database.Port);
        Assert.Equal("require", options.Database.SslMode);
        Assert.Equal(["scram-sha-256"], options.Database.RequireAuth);
        Assert.False(options.ScaiVault.AllowInsecureHttp);
        Assert.Equal("/run/secrets/db.json", options.Output.File);
        Assert.Equal("/run/secrets/.lease-agent", options.Output.StateDirectory);
        Assert.Equal(OutputFormat.Json, options.Output.Format);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, options.Output.Mode);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Shutdown.Timeout);
        Assert.True(options.Logging.Json);
    }

    [Fact]
    public void Load_AllValuesSet_ParsesEach()
    {
        var options = Load(
            ("LEASE_TTL", "90s"),
            ("LEASE_ROTATE_BEFORE", "30s"),
            ("LEASE_DRAIN_TIMEOUT", "5s"),
            ("DB_PORT", "6432"),
            ("DB_SSLMODE", "VERIFY-FULL"),
            ("OUTPUT_FILE", "/tmp/x/creds.env"),
            ("OUTPUT_FORMAT", "env"),
            ("OUTPUT_MODE", "0640"),
            ("SHUTDOWN_TIMEOUT", "15s"),
            ("LOG_FORMAT", "text"),
            ("LOG_LEVEL", "debug"));

        Assert.NotNull(options.Lease);
        Assert.NotNull(options.Database);
        Assert.Equal(TimeSpan.FromSeconds(90), options.Lease.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Lease.RotateBefore);
        Assert.Equal(6432, options.Database.Port);
        Assert.Equal("verify-full", options.Database.SslMode);
        Assert.Equal(OutputFormat.Env, options.Output.Format);
        Assert.Equal("/tmp/x/.lease-agent", options.Output.StateDirectory);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, options.Output.Mode);
        Assert.False(options.Logging.Json);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, options.Logging.Level);
    }

    [Theory]
    [InlineData("SCAIVAULT_URL", null)]
    [InlineData("SCAIVAULT_URL", "not a url")]
    [InlineData("SCAIVAULT_URL", "ftp://x")]
    [InlineData("LEASE_ENGINE", null)]
    [InlineData("LEASE_ROLE", "")]
    [InlineData("LEASE_TTL", "abc")]
    [InlineData("LEASE_TTL", "0s")]
    [InlineData("LEASE_ROTATE_BEFORE", "soon")]
    [InlineData("LEASE_DRAIN_TIMEOUT", "-1s")]
    [InlineData("DB_HOST", null)]
    [InlineData("DB_NAME", " ")]
    [InlineData("DB_PORT", "0")]
    [InlineData("DB_PORT", "70000")]
    [InlineData("DB_PORT", "54x")]
    [InlineData("DB_SSLMODE", "always")]
    [InlineData("DB_REQUIRE_AUTH", "kerberos")]
    [InlineData("DB_REQUIRE_AUTH", "!md5")]
    [InlineData("DB_REQUIRE_AUTH", ",")]
    [InlineData("SCAIVAULT_URL", "http://10.0.0.1")]
    [InlineData("SCAIVAULT_URL", "http://scaivault.internal:8200/")]
    [InlineData("SCAIVAULT_URL", "http://127.0.0.1.nip.io")]
    [InlineData("SCAIVAULT_ALLOW_INSECURE_HTTP", "maybe")]
    [InlineData("OUTPUT_FORMAT", "yaml")]
    [InlineData("OUTPUT_FORMAT", "1")]
    [InlineData("OUTPUT_MODE", "rw")]
    [InlineData("OUTPUT_MODE", "0777")]
    [InlineData("OUTPUT_MODE", "0200")]
    [InlineData("SHUTDOWN_TIMEOUT", "0s")]
    [InlineData("LOG_FORMAT", "xml")]
    [InlineData("LOG_LEVEL", "loud")]
    [InlineData("SCAIVAULT_PATH_RENEW", "v1/renew")]
    [InlineData("SECRETS", "apps/config /etc/config")]
    [InlineData("REFRESH_INTERVAL", "0s")]
    [InlineData("SUBSCRIBE", "maybe")]
    [InlineData("INIT_TIMEOUT", "forever")]
    [InlineData("FAIL_OPEN", "yes please")]
    public void Load_BadValue_ThrowsOneLineNamingTheKey(string key, string? value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load((key, value)));

        Assert.Equal(key, error.Key);
        Assert.StartsWith(key + ": ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("scram-sha-256", new[] { "scram-sha-256" }, "ScramSHA256")]
    [InlineData(" SCRAM-SHA-256 , md5,password ", new[] { "scram-sha-256", "md5", "password" }, "ScramSHA256,MD5,Password")]
    [InlineData("scram-sha-256,none,gss,sspi", new[] { "scram-sha-256", "none", "gss", "sspi" }, "ScramSHA256,None,GSS,SSPI")]
    public void Load_RequireAuth_AcceptsLibpqNamesAsACommaList(string value, string[] methods, string npgsql)
    {
        var database = Load(("DB_REQUIRE_AUTH", value)).Database!;

        Assert.Equal(methods, database.RequireAuth);
        Assert.Equal(npgsql, database.NpgsqlRequireAuth);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8200")]
    [InlineData("http://127.10.0.3/")]
    [InlineData("http://[::1]:8200")]
    [InlineData("http://localhost:8200")]
    [InlineData("http://LOCALHOST")]
    [InlineData("https://scaivault.internal")]
    public void Load_HttpOnlyToLoopback_IsAccepted(string url) =>
        Assert.Equal(new Uri(url), Load(("SCAIVAULT_URL", url)).ScaiVault.BaseUrl);

    [Fact]
    public void Load_HttpTokenUrlOffLoopback_IsRefused_UnlessExplicitlyAllowed()
    {
        var secretFile = Path.GetTempFileName();
        try
        {
            (string, string?)[] clientCredentials = [("SCAIVAULT_CLIENT_ID", "agent"), ("SCAIVAULT_CLIENT_SECRET_FILE", secretFile), ("SCAIKEY_TOKEN_URL", "http://scaikey.internal/oauth/token")];

            var error = Assert.Throws<ConfigurationException>(() => Load(clientCredentials));
            Assert.Equal("SCAIKEY_TOKEN_URL", error.Key);
            Assert.Contains("SCAIVAULT_ALLOW_INSECURE_HTTP", error.Message, StringComparison.Ordinal);

            var allowed = Load([.. clientCredentials, ("SCAIVAULT_ALLOW_INSECURE_HTTP", "true")]);
            Assert.Equal(new Uri("http://scaikey.internal/oauth/token"), allowed.ScaiVault.ClientCredentials!.TokenUrl);
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    [Fact]
    public void Load_HttpOffLoopback_WithTheExplicitOptIn_IsAccepted()
    {
        var options = Load(("SCAIVAULT_URL", "http://scaivault-emulator:8200"), ("SCAIVAULT_ALLOW_INSECURE_HTTP", "true"));

        Assert.Equal(new Uri("http://scaivault-emulator:8200"), options.ScaiVault.BaseUrl);
        Assert.True(options.ScaiVault.AllowInsecureHttp);
    }

    [Fact]
    public void Load_SecretsAlone_NeedNoLeaseOrDatabase()
    {
        var options = Load(("LEASE_ENGINE", null), ("LEASE_ROLE", null), ("DB_HOST", null), ("DB_NAME", null), ("SECRETS", "apps/config -> /etc/app/config.json\napps/db#password -> /etc/app/db-password"));

        Assert.Null(options.Lease);
        Assert.Null(options.Database);
        Assert.Equal("/etc/app/.lease-agent", options.Output.StateDirectory); // beside the first secret file
        Assert.Equal(["apps/config -> /etc/app/config.json", "apps/db#password -> /etc/app/db-password"], options.Secrets.Mappings.Select(m => m.ToString()));
        Assert.Equal(TimeSpan.FromMinutes(5), options.Secrets.RefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Secrets.InitTimeout);
        Assert.False(options.FailOpen);
    }

    [Fact]
    public void Load_NeitherLeaseNorSecrets_AsksForOne()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(("LEASE_ENGINE", null), ("LEASE_ROLE", null)));

        Assert.Equal("LEASE_ENGINE", error.Key);
        Assert.Contains("or only SECRETS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_FlagsOverrideEnvironment()
    {
        var config = AgentConfiguration.Build(["--lease-ttl", "2m", "--db-host", "flag-host"]);

        Assert.Equal("2m", config["LEASE_TTL"]);
        Assert.Equal("flag-host", config["DB_HOST"]);
    }

    [Fact]
    public void Build_MissingConfigFile_ThrowsNamingTheKey()
    {
        var error = Assert.Throws<ConfigurationException>(() => AgentConfiguration.Build(["--lease-agent-config", "/nonexistent/agent.json"]));

        Assert.Equal(AgentConfiguration.ConfigFileKey, error.Key);
    }
}
