using ScaiVault.CsiProvider.Configuration;
using ScaiVault.Hosting.Configuration;

namespace ScaiVault.CsiProvider.Tests.Configuration;

public class ProviderConfigurationTests
{
    private static readonly string[] Required = ["--scaivault-url", "https://scaivault.scailabs.ai"];

    private static ProviderOptions Load(string[] args, Dictionary<string, string>? environment = null) =>
        ProviderConfiguration.Load(args, key => environment?.GetValueOrDefault(key));

    [Fact]
    public void Load_OnlyTheUrl_GivesTheDocumentedDefaults()
    {
        var options = Load(Required);

        Assert.Equal("/provider/scaivault.sock", options.Endpoint);
        Assert.Equal(new Uri("https://scaivault.scailabs.ai"), options.ScaiVaultUrl);
        Assert.Empty(options.AllowedUrls);
        Assert.Equal("scaivault", options.DefaultAudience);
        Assert.Equal(16, options.MaxConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(45), options.RequestTimeout);
        Assert.True(options.JsonLogs);
        Assert.Null(options.CaFile);
        Assert.Equal(1000, options.TokenCacheSize);
        Assert.Equal(4194304, options.MaxResponseBytes);
    }

    [Fact]
    public void Load_TheReadFlags_AreRead()
    {
        var caFile = typeof(ProviderConfigurationTests).Assembly.Location; // any existing file: its content is checked at start

        var options = Load([.. Required, "--ca-file", caFile, "--token-cache-size", "5", "--max-response-bytes", "8388608"]);
        var fromEnvironment = Load(Required, new() { ["CA_FILE"] = caFile, ["TOKEN_CACHE_SIZE"] = "7", ["MAX_RESPONSE_BYTES"] = "1024" });

        Assert.Equal((caFile, 5, 8388608), (options.CaFile, options.TokenCacheSize, options.MaxResponseBytes));
        Assert.Equal((caFile, 7, 1024), (fromEnvironment.CaFile, fromEnvironment.TokenCacheSize, fromEnvironment.MaxResponseBytes));
    }

    [Fact]
    public void Load_EveryFlag_IsRead()
    {
        var options = Load(
        [
            "--endpoint", "/tmp/sv/x.sock", "--scaivault-url=http://127.0.0.1:8200", "--allowed-url", "https://a.example",
            "--allowed-url=https://b.example/", "--default-audience", "vault", "--max-concurrency", "4",
            "--request-timeout", "1m", "--log-format", "TEXT",
        ]);

        Assert.Equal("/tmp/sv/x.sock", options.Endpoint);
        Assert.Equal(new Uri("http://127.0.0.1:8200"), options.ScaiVaultUrl);
        Assert.Equal([new Uri("https://a.example"), new Uri("https://b.example/")], options.AllowedUrls);
        Assert.Equal("vault", options.DefaultAudience);
        Assert.Equal(4, options.MaxConcurrency);
        Assert.Equal(TimeSpan.FromMinutes(1), options.RequestTimeout);
        Assert.False(options.JsonLogs);
    }

    [Fact]
    public void Load_Environment_IsReadAndFlagsWin()
    {
        var options = Load(["--max-concurrency", "8"], new()
        {
            ["SCAIVAULT_URL"] = "https://scaivault.scailabs.ai",
            ["ALLOWED_URL"] = "https://a.example, https://b.example",
            ["MAX_CONCURRENCY"] = "2",
            ["ENDPOINT"] = "/tmp/sv/env.sock",
        });

        Assert.Equal(8, options.MaxConcurrency);
        Assert.Equal("/tmp/sv/env.sock", options.Endpoint);
        Assert.Equal(2, options.AllowedUrls.Count);
    }

    [Theory]
    [InlineData("SCAIVAULT_URL", new string[0])]
    [InlineData("SCAIVAULT_URL", new[] { "--scaivault-url", "scaivault.scailabs.ai" })]
    [InlineData("SCAIVAULT_URL", new[] { "--scaivault-url", "ftp://scaivault.scailabs.ai" })]
    [InlineData("SCAIVAULT_URL", new[] { "--scaivault-url", "http://scaivault.scailabs.ai" })]
    [InlineData("SCAIVAULT_URL", new[] { "--scaivault-url", "https://u:p@scaivault.scailabs.ai" })]
    [InlineData("ALLOWED_URL", new[] { "--scaivault-url", "https://s.example", "--allowed-url", "nope" })]
    [InlineData("ALLOWED_URL", new[] { "--scaivault-url", "https://s.example", "--allowed-url", "http://s.example" })]
    [InlineData("MAX_CONCURRENCY", new[] { "--scaivault-url", "https://s.example", "--max-concurrency", "0" })]
    [InlineData("MAX_CONCURRENCY", new[] { "--scaivault-url", "https://s.example", "--max-concurrency", "many" })]
    [InlineData("REQUEST_TIMEOUT", new[] { "--scaivault-url", "https://s.example", "--request-timeout", "forever" })]
    [InlineData("REQUEST_TIMEOUT", new[] { "--scaivault-url", "https://s.example", "--request-timeout", "0s" })]
    [InlineData("REQUEST_TIMEOUT", new[] { "--scaivault-url", "https://s.example", "--request-timeout", "3m" })]
    [InlineData("LOG_FORMAT", new[] { "--scaivault-url", "https://s.example", "--log-format", "xml" })]
    [InlineData("ENDPOINT", new[] { "--scaivault-url", "https://s.example", "--endpoint", "scaivault.sock" })]
    [InlineData("ENDPOINT", new[] { "--scaivault-url", "https://s.example", "--endpoint", "unix:///provider/scaivault.sock" })]
    [InlineData("ENDPOINT", new[] { "--scaivault-url", "https://s.example", "--endpoint", "/provider/" })]
    [InlineData("CA_FILE", new[] { "--scaivault-url", "https://s.example", "--ca-file", "/nonexistent/ca.pem" })]
    [InlineData("TOKEN_CACHE_SIZE", new[] { "--scaivault-url", "https://s.example", "--token-cache-size", "0" })]
    [InlineData("TOKEN_CACHE_SIZE", new[] { "--scaivault-url", "https://s.example", "--token-cache-size", "lots" })]
    [InlineData("MAX_RESPONSE_BYTES", new[] { "--scaivault-url", "https://s.example", "--max-response-bytes", "4MiB" })]
    [InlineData("MAX_RESPONSE_BYTES", new[] { "--scaivault-url", "https://s.example", "--max-response-bytes", "10" })]
    [InlineData("--bogus", new[] { "--scaivault-url", "https://s.example", "--bogus", "1" })]
    [InlineData("--scaivault-token", new[] { "--scaivault-token", "x" })]
    [InlineData("--endpoint", new[] { "--scaivault-url", "https://s.example", "--endpoint" })]
    [InlineData("--endpoint", new[] { "--endpoint", "/a.sock", "--endpoint", "/b.sock" })]
    public void Load_BadValue_NamesTheKey(string key, string[] args)
    {
        var e = Assert.ThrowsAny<ConfigurationException>(() => Load(args));

        Assert.Equal(key, e.Key);
        Assert.StartsWith(key + ": ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Keys_AreAllInTheReadmesFlagTable()
    {
        var readme = File.ReadAllText(Path.Combine(LeaseAgent.Testing.RepositoryRoot.Path, "src/ScaiVault.CsiProvider/README.md"));

        Assert.All(ProviderConfiguration.Keys, key => Assert.Contains($"| `{ProviderConfiguration.FlagOf(key)}", readme, StringComparison.Ordinal));
    }

    [Fact]
    public void Load_EndpointLongerThanSunPath_IsRefused()
    {
        var fits = "/" + new string('s', 106);
        Assert.Equal(fits, Load([.. Required, "--endpoint", fits]).Endpoint);

        var e = Assert.ThrowsAny<ConfigurationException>(() => Load([.. Required, "--endpoint", fits + "s"]));

        Assert.Equal("ENDPOINT: is 108 bytes long; a Unix socket path may have at most 107", e.Message);
    }

    [Fact]
    public void Allows_TheDefaultAndListedServers_IgnoringATrailingSlash()
    {
        var options = Load([.. Required, "--allowed-url", "https://eu.example/scaivault/"]);

        Assert.True(options.Allows(new Uri("https://scaivault.scailabs.ai/")));
        Assert.True(options.Allows(new Uri("https://eu.example/scaivault")));
        Assert.False(options.Allows(new Uri("https://eu.example/")));
        Assert.False(options.Allows(new Uri("https://eu.example/scaivault/other")));
    }
}
