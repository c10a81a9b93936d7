using System.Diagnostics;
using System.Text.RegularExpressions;
using Grpc.Core;
using LeaseAgent.Testing;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.Tests.Infrastructure;
using ScaiVault.CsiProvider.Tests.Mounting;

namespace ScaiVault.CsiProvider.Tests.Hosting;

/// <summary>
/// The AOT-published <c>scaivault-csi-provider</c> as a real process on a real Unix socket, called as the driver
/// calls it (brief §8, checks 1–4, 15, 19, 23, 25).
/// </summary>
public partial class ProviderProcessTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Version_OverTheUnixSocket_AnswersAsTheDriverExpects()
    {
        using var directory = new SocketDirectory();
        await using var provider = await ProviderInstance.StartAsync(directory.Socket);
        using var driver = new FakeDriver(directory.Socket);

        var version = await driver.VersionAsync();

        Assert.Equal("v1alpha1", version.Version);
        Assert.Equal("scaivault-csi-provider", version.RuntimeName);
        Assert.Matches(Semver(), version.RuntimeVersion);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory.Socket));
    }

    [Fact]
    public async Task Start_OverTheSocketOfAKilledProvider_ReplacesIt()
    {
        using var directory = new SocketDirectory();
        await using (var killed = await ProviderInstance.StartAsync(directory.Socket, "killed"))
        {
            killed.Kill(); // SIGKILL: Kestrel gets no chance to remove its socket
            await killed.WaitForExitAsync(ExitTimeout);
        }

        Assert.True(File.Exists(directory.Socket), "a SIGKILLed provider should leave its socket behind");

        await using var provider = await ProviderInstance.StartAsync(directory.Socket, "restarted");
        using var driver = new FakeDriver(directory.Socket);

        Assert.Equal("v1alpha1", (await driver.VersionAsync()).Version);
        Assert.True(provider.Logged("Removed a stale socket"), provider.Output);
    }

    [Fact]
    public async Task Start_WhileAnotherInstanceServes_ExitsWithoutTouchingTheSocket()
    {
        using var directory = new SocketDirectory();
        await using var first = await ProviderInstance.StartAsync(directory.Socket, "first");

        await using var second = ProviderInstance.Start(await ProviderBinary.GetPathAsync(), directory.Socket, "second");
        var exitCode = await second.WaitForExitAsync(ExitTimeout);

        Assert.Equal(3, exitCode);
        Assert.Contains("ENDPOINT: something already answers on " + directory.Socket, second.Output, StringComparison.Ordinal);
        Assert.False(first.HasExited);
        using var driver = new FakeDriver(directory.Socket); // a new connection: the socket is still the first's
        Assert.Equal("v1alpha1", (await driver.VersionAsync()).Version);
    }

    [Fact]
    public async Task Sigterm_StopsCleanly_AndRemovesTheSocket()
    {
        using var directory = new SocketDirectory();
        await using var provider = await ProviderInstance.StartAsync(directory.Socket);

        provider.Terminate();
        var exitCode = await provider.WaitForExitAsync(ExitTimeout);

        Assert.Equal(0, exitCode);
        Assert.False(File.Exists(directory.Socket), "the socket should be gone after SIGTERM");
        Assert.True(provider.Logged("Stopped; the socket"), provider.Output);
    }

    [Fact]
    public async Task Probe_AgainstARunningProvider_ExitsZero()
    {
        using var directory = new SocketDirectory();
        await using var provider = await ProviderInstance.StartAsync(directory.Socket);

        var (exitCode, output, _) = await RunAsync("probe", "--endpoint", directory.Socket);

        Assert.Equal(0, exitCode);
        Assert.Contains("probe: ok: scaivault-csi-provider", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_WithoutAListeningProvider_ExitsOneWithOneLine()
    {
        using var directory = new SocketDirectory();

        var missing = await RunAsync("probe", "--endpoint", directory.Socket);
        await using (var killed = await ProviderInstance.StartAsync(directory.Socket, "killed"))
        {
            killed.Kill();
            await killed.WaitForExitAsync(ExitTimeout);
        }

        var stale = await RunAsync("probe", "--endpoint", directory.Socket);

        foreach (var (exitCode, output, _) in new[] { missing, stale })
        {
            Assert.Equal(1, exitCode);
            Assert.StartsWith($"probe: {directory.Socket}: Unavailable", output, StringComparison.Ordinal);
            Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    [Fact]
    public async Task Probe_AgainstAFrozenProvider_ExitsOneWithinItsTimeout()
    {
        using var directory = new SocketDirectory();
        await using var provider = await ProviderInstance.StartAsync(directory.Socket);
        provider.Signal("STOP"); // the socket accepts (the kernel's backlog) but nothing ever answers
        try
        {
            var (exitCode, output, elapsed) = await RunAsync("probe", "--endpoint", directory.Socket);

            Assert.Equal(1, exitCode);
            Assert.Equal($"probe: {directory.Socket}: no answer within 3 s", output.Trim());
            Assert.InRange(elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(15)); // 3 s, plus process start on a loaded machine
        }
        finally
        {
            provider.Signal("CONT");
        }
    }

    [Fact]
    public async Task Mount_InvalidObjects_IsInvalidArgumentOverTheWire()
    {
        using var directory = new SocketDirectory();
        await using var provider = await ProviderInstance.StartAsync(directory.Socket);
        using var driver = new FakeDriver(directory.Socket);

        var e = await Assert.ThrowsAsync<RpcException>(() => driver.MountAsync(MountRequests.WithObjects("- objectName: a\n  path: x\n- objectName: a/b\n  path: x\n  mode: \"4755\"\n")));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("objects[1] (a/b): mode '4755' sets setuid, setgid or sticky bits; use at most \"0777\"", e.Status.Detail);
    }

    [Fact]
    public async Task Mount_WithoutATokenForTheAudience_IsFailedPreconditionOverTheWire()
    {
        using var directory = new SocketDirectory();
        await using var provider = await ProviderInstance.StartAsync(directory.Socket);
        using var driver = new FakeDriver(directory.Socket);

        var e = await Assert.ThrowsAsync<RpcException>(() => driver.MountAsync(MountRequests.Request(MountRequests.Attributes(tokenAudience: "vault"))));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("audience 'scaivault'", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("tokenRequests", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mount_ValidRequest_ReadsTheSecretFromScaiVault()
    {
        await using var emulator = await new ScaiVaultEmulatorBuilder().WithDevEndpoints().WithAccessLog().StartAsync();
        await emulator.PutSecretAsync("apps/billing/database", new { password = "sentinel-aot-password" });
        using var directory = new SocketDirectory();
        await using var provider = await ProviderInstance.StartAsync(directory.Socket, "provider", "--scaivault-url", emulator.BaseAddress.ToString());
        using var driver = new FakeDriver(directory.Socket);

        var token = await emulator.MintAsync();

        var response = await driver.MountAsync(MountRequests.ForPod(token, "- objectName: db-password\n  path: apps/billing/database\n  field: password\n"));

        var file = Assert.Single(response.Files);
        Assert.Equal(("db-password", 420, "sentinel-aot-password"), (file.Path, file.Mode, file.Contents.ToStringUtf8()));
        Assert.Matches("^1-[0-9a-f]{8}$", Assert.Single(response.ObjectVersion).Version);
        provider.Terminate(); // flushes the console logger
        await provider.WaitForExitAsync(ExitTimeout);
        Assert.Single(provider.Lines, l => l.Contains("\"EventId\":1200", StringComparison.Ordinal));
        foreach (var sentinel in new[] { token.Jwt, token.Jwt.Split('.')[1], "sentinel-aot-password", "svt_" })
        {
            Assert.DoesNotContain(sentinel, provider.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Logs_OfAcceptedAndRefusedMounts_HoldNoTokenSecretOrAttributeValue()
    {
        const string attributeValue = "sentinel-attribute-value";
        using var directory = new SocketDirectory();
        await using var provider = await ProviderInstance.StartAsync(directory.Socket);
        using var driver = new FakeDriver(directory.Socket);
        var secrets = $"{{\"password\":\"{MountRequests.SecretSentinel}\"}}";
        var unknownKey = MountRequests.Attributes();
        unknownKey["bogus"] = attributeValue;
        var badJson = MountRequests.Request(MountRequests.Attributes());
        badJson.Attributes = badJson.Attributes.Replace("\"objects\"", "\"objects\" " + attributeValue, StringComparison.Ordinal);

        V1Alpha1.MountRequest[] requests =
        [
            MountRequests.Request(MountRequests.Attributes(), secrets),                       // accepted; ScaiVault unreachable
            MountRequests.Request(MountRequests.Attributes(tokenAudience: "vault"), secrets), // no token for the audience
            MountRequests.Request(unknownKey, secrets),                                       // unknown parameter
            badJson,                                                                          // attributes not JSON
            MountRequests.Request(MountRequests.Attributes(), "{\"password\": " + MountRequests.SecretSentinel + "}"), // secrets not JSON
        ];
        foreach (var request in requests)
        {
            await Assert.ThrowsAsync<RpcException>(() => driver.MountAsync(request));
        }

        provider.Terminate(); // flushes the console logger
        await provider.WaitForExitAsync(ExitTimeout);
        Assert.Equal(4, provider.Lines.Count(l => l.Contains("\"EventId\":1100", StringComparison.Ordinal)));
        Assert.InRange(provider.Lines.Count(l => l.Contains("\"EventId\":1201", StringComparison.Ordinal)), 1, 3); // the driver retries UNAVAILABLE
        foreach (var sentinel in new[] { MountRequests.Token, "sentinel-pod-token", MountRequests.SecretSentinel, attributeValue })
        {
            Assert.DoesNotContain(sentinel, provider.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("MAX_CONCURRENCY", "--max-concurrency", "0")]
    [InlineData("REQUEST_TIMEOUT", "--request-timeout", "forever")]
    [InlineData("--bogus", "--bogus", "1")]
    [InlineData("CA_FILE", "--ca-file", "/etc/passwd")] // exists, but holds no PEM certificate: found when the client is built
    [InlineData("TOKEN_CACHE_SIZE", "--token-cache-size", "0")]
    public async Task BadConfiguration_ExitsTwoWithOneLineNamingTheKey(string key, string flag, string value)
    {
        using var directory = new SocketDirectory();

        var (exitCode, output, _) = await RunAsync("--endpoint", directory.Socket, "--scaivault-url", "https://scaivault.scailabs.ai", flag, value);

        Assert.Equal(2, exitCode);
        Assert.StartsWith($"scaivault-csi-provider: {key}: ", output, StringComparison.Ordinal);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(directory.Socket));
    }

    [Fact]
    public async Task Help_PrintsEveryFlag()
    {
        var (exitCode, output, _) = await RunAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("probe", output, StringComparison.Ordinal);
        Assert.All(ProviderKeys.All, key => Assert.Contains($"  {key.Flag} ", output, StringComparison.Ordinal));
        Assert.Contains("(default: 4194304)", output, StringComparison.Ordinal); // the defaults come from the catalogue too
    }

    private static async Task<(int ExitCode, string Output, TimeSpan Elapsed)> RunAsync(params string[] args)
    {
        var binary = await ProviderBinary.GetPathAsync();
        var watch = Stopwatch.StartNew();
        await using var process = AgentProcess.Start(binary, new Dictionary<string, string>(), args, "command");
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exitCode, process.Output, watch.Elapsed);
    }

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex Semver();
}
