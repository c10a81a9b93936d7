using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Time.Testing;
using ScaiVault.Client;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>The client-credentials fallback against the emulator's real <c>/oauth/token</c>.</summary>
public sealed class ClientCredentialsTokenSourceTests(ClientCredentialsFixture emulator) : IClassFixture<ClientCredentialsFixture>, IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("leaseagent-cc-");
    private readonly HttpClient _http = new();
    private readonly CapturingLogger<ClientCredentialsTokenSource> _logger = new();

    private string SecretFile => Path.Combine(_directory.FullName, "client-secret");

    public void Dispose()
    {
        _http.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task RightSecret_GivesATokenThatScaiVaultAccepts()
    {
        await File.WriteAllTextAsync(SecretFile, emulator.ClientSecret + "\n"); // a trailing newline, as `kubectl create secret --from-file` often leaves
        using var source = Source(TimeProvider.System);

        var token = await source.GetTokenAsync(CancellationToken.None);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(emulator.BaseAddress, "v1/auth/whoami"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var whoami = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("client:" + ClientCredentialsFixture.ClientId, whoami.RootElement.GetProperty("identity_id").GetString());
        Assert.Contains(_logger.Entries, e => e.Id.Id == 203 && e.Message.Contains(ClientCredentialsFixture.ClientId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwoCalls_MakeOneTokenRequest_UntilTheCacheTimeRunsOut()
    {
        await File.WriteAllTextAsync(SecretFile, emulator.ClientSecret);
        var time = new FakeTimeProvider();
        using var source = Source(time);
        var before = await emulator.TokensIssuedAsync();

        var first = await source.GetTokenAsync(CancellationToken.None);
        var second = await source.GetTokenAsync(CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(before + 1, await emulator.TokensIssuedAsync());

        // expires_in is 3600 s, so the token is kept min(3600 s − 60 s, 50 min) = 50 min.
        time.Advance(TimeSpan.FromMinutes(49));
        Assert.Equal(first, await source.GetTokenAsync(CancellationToken.None));
        Assert.Equal(before + 1, await emulator.TokensIssuedAsync());

        time.Advance(TimeSpan.FromMinutes(2));
        var third = await source.GetTokenAsync(CancellationToken.None);
        Assert.NotEqual(first, third);
        Assert.Equal(before + 2, await emulator.TokensIssuedAsync());
    }

    [Fact]
    public async Task Invalidate_MakesTheNextCallRequestANewToken()
    {
        await File.WriteAllTextAsync(SecretFile, emulator.ClientSecret);
        using var source = Source(TimeProvider.System);
        var first = await source.GetTokenAsync(CancellationToken.None);
        var before = await emulator.TokensIssuedAsync();

        source.Invalidate();
        var second = await source.GetTokenAsync(CancellationToken.None);

        Assert.NotEqual(first, second);
        Assert.Equal(before + 1, await emulator.TokensIssuedAsync());
    }

    [Fact]
    public async Task SecretFile_IsReadAgainForEveryTokenRequest()
    {
        using var source = Source(TimeProvider.System);

        await File.WriteAllTextAsync(SecretFile, "not-yet-rotated");
        var refused = await Assert.ThrowsAsync<ScaiVaultException>(() => source.GetTokenAsync(CancellationToken.None).AsTask());
        Assert.Equal("invalid_client", refused.Code);

        // The secret is rotated in place: the same source, without a restart, now succeeds.
        await File.WriteAllTextAsync(SecretFile, emulator.ClientSecret);
        Assert.StartsWith("svt_", await source.GetTokenAsync(CancellationToken.None), StringComparison.Ordinal);

        // And rotated away again: the next request (after the cached token is dropped) reads the new content.
        await File.WriteAllTextAsync(SecretFile, "rotated-away");
        source.Invalidate();
        var refusedAgain = await Assert.ThrowsAsync<ScaiVaultException>(() => source.GetTokenAsync(CancellationToken.None).AsTask());
        Assert.Equal("invalid_client", refusedAgain.Code);
    }

    [Fact]
    public async Task WrongSecret_IsAClearFinalError_ThatNeverShowsASecret()
    {
        var wrong = "wrong-" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(SecretFile, wrong);
        using var source = Source(TimeProvider.System);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => source.GetTokenAsync(CancellationToken.None).AsTask());

        Assert.Equal("invalid_client", e.Code);
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
        Assert.False(e.IsTransient);
        Assert.False(e.IsStaleToken);
        Assert.Contains(ClientCredentialsFixture.ClientId, e.Message, StringComparison.Ordinal);
        Assert.Contains("invalid_client", e.Message, StringComparison.Ordinal);
        Assert.Contains(SecretFile, e.Message, StringComparison.Ordinal);
        Assert.Contains(emulator.TokenUrl.AbsolutePath, e.Message, StringComparison.Ordinal);
        foreach (var secret in new[] { wrong, emulator.ClientSecret })
        {
            Assert.DoesNotContain(secret, e.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(_logger.Entries, entry => entry.Message.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TokenUrlOutage_IsTransient_AndNamesScaiKey()
    {
        await File.WriteAllTextAsync(SecretFile, emulator.ClientSecret);
        using var source = Source(TimeProvider.System);
        await emulator.SetFaultAsync("token", 503, count: 1);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => source.GetTokenAsync(CancellationToken.None).AsTask());
        Assert.Equal(ErrorCodes.ServiceUnavailable, e.Code);
        Assert.True(e.IsTransient);
        Assert.StartsWith("ScaiKey answered 503", e.Message, StringComparison.Ordinal);

        // The fault was for one request only: the retry the pipeline would make succeeds.
        Assert.StartsWith("svt_", await source.GetTokenAsync(CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingSecretFile_NamesTheFile()
    {
        using var source = Source(TimeProvider.System);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => source.GetTokenAsync(CancellationToken.None).AsTask());

        Assert.Equal(ErrorCodes.ClientSecretUnreadable, e.Code);
        Assert.Contains(SecretFile, e.Message, StringComparison.Ordinal);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task ServerThatEchoesTheSecret_HasItRedacted()
    {
        // A careless token endpoint that copies the whole form into error_description.
        await using var server = TinyHttpServer.Start(null, request =>
            (401, JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = "invalid_client", ["error_description"] = "rejected " + request[(request.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..] })));
        await File.WriteAllTextAsync(SecretFile, emulator.ClientSecret);
        using var source = new ClientCredentialsTokenSource(_http, new(ClientCredentialsFixture.ClientId, SecretFile, new Uri(server.BaseAddress, "oauth/token")), TimeProvider.System, _logger);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => source.GetTokenAsync(CancellationToken.None).AsTask());

        // The form went out as the RFC says, and the echo came back, but not into the exception.
        var sent = Assert.Single(server.Requests);
        Assert.Contains("grant_type=client_credentials", sent, StringComparison.Ordinal);
        Assert.Contains("client_id=" + ClientCredentialsFixture.ClientId, sent, StringComparison.Ordinal);
        Assert.Contains("client_secret=" + emulator.ClientSecret, sent, StringComparison.Ordinal);
        Assert.Equal("invalid_client", e.Code);
        Assert.Contains("[redacted]", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(emulator.ClientSecret, e.ToString(), StringComparison.Ordinal);
    }

    private ClientCredentialsTokenSource Source(TimeProvider time) => new(_http, emulator.Client(SecretFile), time, _logger);
}
