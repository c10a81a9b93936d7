using Microsoft.Extensions.Logging;
using ScaiVault.Emulator.Hosting;
using Xunit;

namespace ScaiVault.Emulator.Tests.Hosting;

public class EmulatorArgumentsTests
{
    private const string Postgres = "Host=127.0.0.1;Username=postgres;Password=pw;Database=x";

    [Fact]
    public void Parse_MinimalArguments_UsesDocumentedDefaults()
    {
        var options = EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "admin"]);
        Assert.Equal(["http://127.0.0.1:8200"], options.Urls);
        Assert.False(options.Dev);
        Assert.Equal(TimeSpan.FromHours(1), options.TokenTtl);
        Assert.Equal(TimeSpan.FromSeconds(1), options.SweepInterval);
        Assert.Equal((100, 100, 1000), (options.RateLimitGenerate, options.RateLimitLeaseOperations, options.RateLimitReads));
        Assert.Equal(240, options.RateLimitPolls);
        Assert.Equal((20, 10000), (options.RateLimitSubscriptionOperations, options.RateLimitOther));
        Assert.Equal(TimeSpan.FromSeconds(30), options.SubscriptionRedelivery);
    }

    [Fact]
    public void Parse_EveryOption_IsApplied()
    {
        var options = EmulatorArguments.Parse(
        [
            "--urls", "http://127.0.0.1:0", "--postgres", Postgres, "--admin-token=admin", "--dev",
            "--trust-issuer", "https://issuer=/tmp/k.pem", "--client", "c1=s1", "--client=c2=s=2",
            "--token-ttl", "10m", "--sweep-interval", "250ms",
            "--rate-limit-generate", "5", "--rate-limit-lease-ops", "6", "--rate-limit-reads", "0", "--log-level", "warning",
            "--rate-limit-polls", "7", "--subscription-redelivery", "500ms",
            "--rate-limit-subscription-ops", "8", "--rate-limit-other", "9",
        ]);
        Assert.Equal(["http://127.0.0.1:0"], options.Urls);
        Assert.Equal("admin", options.AdminToken);
        Assert.True(options.Dev);
        Assert.Equal(KeyValuePair.Create("https://issuer", "/tmp/k.pem"), Assert.Single(options.TrustedIssuerFiles));
        Assert.Equal("s1", options.Clients["c1"]);
        Assert.Equal("s=2", options.Clients["c2"]);
        Assert.Equal(TimeSpan.FromMinutes(10), options.TokenTtl);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.SweepInterval);
        Assert.Equal((5, 6, 0), (options.RateLimitGenerate, options.RateLimitLeaseOperations, options.RateLimitReads));
        Assert.Equal(LogLevel.Warning, options.LogLevel);
        Assert.Equal(7, options.RateLimitPolls);
        Assert.Equal((8, 9), (options.RateLimitSubscriptionOperations, options.RateLimitOther));
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.SubscriptionRedelivery);
    }

    [Theory]
    [InlineData("--postgres", new[] { "--admin-token", "a" })]
    [InlineData("--admin-token", new[] { "--postgres", Postgres })]
    [InlineData("--bogus", new[] { "--postgres", Postgres, "--admin-token", "a", "--bogus", "1" })]
    [InlineData("--admin-token", new[] { "--postgres", Postgres, "--admin-token" })]
    [InlineData("--sweep-interval", new[] { "--postgres", Postgres, "--admin-token", "a", "--sweep-interval", "often" })]
    [InlineData("--token-ttl", new[] { "--postgres", Postgres, "--admin-token", "a", "--token-ttl", "0s" })]
    [InlineData("--rate-limit-generate", new[] { "--postgres", Postgres, "--admin-token", "a", "--rate-limit-generate", "-1" })]
    [InlineData("--rate-limit-polls", new[] { "--postgres", Postgres, "--admin-token", "a", "--rate-limit-polls", "many" })]
    [InlineData("--rate-limit-subscription-ops", new[] { "--postgres", Postgres, "--admin-token", "a", "--rate-limit-subscription-ops", "-2" })]
    [InlineData("--rate-limit-other", new[] { "--postgres", Postgres, "--admin-token", "a", "--rate-limit-other", "lots" })]
    [InlineData("--subscription-redelivery", new[] { "--postgres", Postgres, "--admin-token", "a", "--subscription-redelivery", "10ms" })]
    [InlineData("--subscription-redelivery", new[] { "--postgres", Postgres, "--admin-token", "a", "--subscription-redelivery", "later" })]
    [InlineData("--urls", new[] { "--postgres", Postgres, "--admin-token", "a", "--urls", "ftp://x" })]
    [InlineData("--urls", new[] { "--postgres", Postgres, "--admin-token", "a", "--urls", "http://localhost:0" })]
    [InlineData("--postgres", new[] { "--postgres", "Hots=x", "--admin-token", "a" })]
    [InlineData("--log-level", new[] { "--postgres", Postgres, "--admin-token", "a", "--log-level", "loud" })]
    [InlineData("--client", new[] { "--postgres", Postgres, "--admin-token", "a", "--client", "c1" })]
    [InlineData("--dev", new[] { "--postgres", Postgres, "--admin-token", "a", "--dev=yes" })]
    public void Parse_BadArguments_NameTheOptionInOneLine(string option, string[] args)
    {
        var error = Assert.Throws<EmulatorArgumentException>(() => EmulatorArguments.Parse(args));
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Parse_DuplicateClient_DoesNotEchoTheSecret()
    {
        var error = Assert.Throws<EmulatorArgumentException>(() =>
            EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "a", "--client", "c1=topsecret", "--client", "c1=other"]));
        Assert.DoesNotContain("topsecret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("other", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadPostgres_DoesNotEchoThePassword()
    {
        var error = Assert.Throws<EmulatorArgumentException>(() =>
            EmulatorArguments.Parse(["--postgres", "Host=x;Password=hunter2;Bogus=1", "--admin-token", "a"]));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8200")]
    [InlineData("http://[::]:8200")]
    [InlineData("http://10.1.2.3:8200")]
    [InlineData("http://emulator.example:8200")]
    [InlineData("http://127.0.0.1:8200;http://0.0.0.0:8201")]
    public void Parse_DevOnANonLoopbackUrl_IsRefused(string urls)
    {
        var error = Assert.Throws<EmulatorArgumentException>(() =>
            EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "a", "--urls", urls, "--dev"]));
        Assert.Contains("--dev", error.Message, StringComparison.Ordinal);
        Assert.Contains("--dev-allow-remote", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DevOnANonLoopbackUrl_WithDevAllowRemote_IsAccepted()
    {
        var options = EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "a", "--urls", "http://0.0.0.0:8200", "--dev", "--dev-allow-remote"]);
        Assert.True(options.Dev);
        Assert.True(options.DevAllowRemote);
    }

    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://localhost:8200")]
    [InlineData("http://[::1]:8200")]
    public void Parse_DevOnLoopback_IsAccepted(string urls) =>
        Assert.True(EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "a", "--urls", urls, "--dev"]).Dev);

    [Fact]
    public void Parse_DevAllowRemoteWithoutDev_IsRefused()
    {
        var error = Assert.Throws<EmulatorArgumentException>(() =>
            EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "a", "--dev-allow-remote"]));
        Assert.Contains("--dev-allow-remote", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AdminTokenFile_IsRead_WithoutItsTrailingNewline()
    {
        using var file = new TempFile("file-admin-token\n");
        var options = EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token-file", file.Path], NoEnvironment);
        Assert.Equal("file-admin-token", options.AdminToken);
    }

    [Fact]
    public void Parse_AdminTokenFromTheEnvironment_IsUsed_AndAFlagWins()
    {
        static string? Environment(string name) => name == EmulatorArguments.AdminTokenVariable ? "env-admin-token" : null;

        Assert.Equal("env-admin-token", EmulatorArguments.Parse(["--postgres", Postgres], Environment).AdminToken);
        Assert.Equal("flag", EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "flag"], Environment).AdminToken);
    }

    [Fact]
    public void Parse_AdminTokenAndAdminTokenFile_AreRefusedTogether()
    {
        using var file = new TempFile("t");
        var error = Assert.Throws<EmulatorArgumentException>(() =>
            EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "a", "--admin-token-file", file.Path], NoEnvironment));
        Assert.Contains("--admin-token-file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoAdminToken_NamesEveryWayToGiveIt()
    {
        var error = Assert.Throws<EmulatorArgumentException>(() => EmulatorArguments.Parse(["--postgres", Postgres], NoEnvironment));
        Assert.Contains("--admin-token-file", error.Message, StringComparison.Ordinal);
        Assert.Contains(EmulatorArguments.AdminTokenVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnreadableAdminTokenFile_NamesTheOption()
    {
        var error = Assert.Throws<EmulatorArgumentException>(() =>
            EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token-file", "/nonexistent/admin-token"], NoEnvironment));
        Assert.StartsWith("--admin-token-file:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ClientSecretFromAFile_IsRead()
    {
        using var file = new TempFile("client-secret-from-file\n");
        var options = EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "a", "--client", $"c1=@{file.Path}", "--client", "c2=inline"]);
        Assert.Equal("client-secret-from-file", options.Clients["c1"]);
        Assert.Equal("inline", options.Clients["c2"]);
    }

    [Fact]
    public void Parse_UnreadableClientSecretFile_NamesTheClient()
    {
        var error = Assert.Throws<EmulatorArgumentException>(() =>
            EmulatorArguments.Parse(["--postgres", Postgres, "--admin-token", "a", "--client", "c1=@/nonexistent/secret"]));
        Assert.StartsWith("--client:", error.Message, StringComparison.Ordinal);
        Assert.Contains("'c1'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_UnreadableTrustIssuerFile_ThrowsArgumentError()
    {
        var error = Assert.Throws<EmulatorArgumentException>(() =>
            EmulatorApp.Build(["--postgres", Postgres, "--admin-token", "a", "--trust-issuer", "https://x=/nonexistent/keys.pem"]));
        Assert.Contains("--trust-issuer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_TrustIssuerFileThatIsNotAKey_ThrowsArgumentError()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a key");
            var error = Assert.Throws<EmulatorArgumentException>(() =>
                EmulatorApp.Build(["--postgres", Postgres, "--admin-token", "a", "--trust-issuer", $"https://x={path}"]));
            Assert.Contains("PEM", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string? NoEnvironment(string name) => null;

    private sealed class TempFile : IDisposable
    {
        public TempFile(string content)
        {
            Path = System.IO.Path.GetTempFileName();
            File.WriteAllText(Path, content);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
