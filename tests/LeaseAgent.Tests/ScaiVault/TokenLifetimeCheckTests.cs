using LeaseAgent.Testing;
using System.Globalization;
using System.Text;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>The static-token lifetime warning: whoami against the emulator, and the pure comparison.</summary>
public sealed class TokenLifetimeCheckTests(ClientCredentialsFixture emulator) : IClassFixture<ClientCredentialsFixture>, IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("leaseagent-tl-");
    private readonly HttpClient _http = new();
    private readonly CapturingLogger<TokenLifetimeCheck> _logger = new();

    public void Dispose()
    {
        _http.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task TokenExpiry_OfAnIssuedToken_IsItsIssueTimePlusItsLifetime()
    {
        var before = TimeProvider.System.GetUtcNow();
        var token = await IssueTokenAsync();
        var after = TimeProvider.System.GetUtcNow();

        var expiresAt = await Check(token).GetTokenExpiryAsync(CancellationToken.None);

        Assert.NotNull(expiresAt);
        Assert.InRange(expiresAt.Value, before + ClientCredentialsFixture.TokenTtl - TimeSpan.FromSeconds(2), after + ClientCredentialsFixture.TokenTtl + TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task TokenExpiry_OfATokenWithoutExpiry_IsUnknown() =>
        Assert.Null(await Check(ScaiVaultEmulatorBuilder.DefaultAdminToken).GetTokenExpiryAsync(CancellationToken.None));

    [Fact]
    public async Task TokenExpiry_WithAnUnknownToken_IsTokenInvalid()
    {
        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => Check("svt_not-a-real-token").GetTokenExpiryAsync(CancellationToken.None));

        Assert.Equal(ErrorCodes.TokenInvalid, e.Code);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.Status);
    }

    [Fact]
    public async Task StaticTokenDyingBeforeTheHardEnd_IsWarnedAbout_OnlyThen()
    {
        var check = Check(await IssueTokenAsync());
        var expiresAt = (await check.GetTokenExpiryAsync(CancellationToken.None))!.Value;

        // A lease whose max TTL outlives the token by an hour: warned.
        var hardEnd = expiresAt + TimeSpan.FromHours(1);
        Assert.True(check.WarnIfDiesBefore(expiresAt, hardEnd));
        var warning = Assert.Single(_logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(204, warning.Id.Id);
        Assert.Contains(expiresAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), warning.Message, StringComparison.Ordinal);
        Assert.Contains(hardEnd.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), warning.Message, StringComparison.Ordinal);
        Assert.Contains("before the lease's max TTL ends", warning.Message, StringComparison.Ordinal);

        // A lease that ends first, or a token of unknown expiry: nothing to say.
        Assert.False(check.WarnIfDiesBefore(expiresAt, expiresAt - TimeSpan.FromMinutes(1)));
        Assert.False(check.WarnIfDiesBefore(null, hardEnd));
        Assert.Single(_logger.Entries);
    }

    [Theory]
    [InlineData(0, 1, true)]
    [InlineData(10, 11, true)]
    [InlineData(10, 10, false)] // dying at the very moment the lease does leaves nothing to renew
    [InlineData(11, 10, false)]
    public void DiesBefore_ComparesTheTwoInstants(int tokenMinutes, int hardEndMinutes, bool expected)
    {
        var origin = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(expected, TokenLifetimeCheck.DiesBefore(origin.AddMinutes(tokenMinutes), origin.AddMinutes(hardEndMinutes)));
    }

    [Fact]
    public void DiesBefore_ComparesInstants_NotClockReadings() =>
        Assert.True(TokenLifetimeCheck.DiesBefore(
            new DateTimeOffset(2026, 11, 28, 11, 30, 0, TimeSpan.FromHours(2)), // 09:30 UTC
            new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero)));

    [Theory]
    [InlineData("""{"identity_id": "a", "token_expires_at": "2026-11-28T11:00:00Z"}""", "2026-11-28T11:00:00+00:00")]
    [InlineData("""{"token_expires_at": "2026-11-28T12:00:00+01:00"}""", "2026-11-28T11:00:00+00:00")]
    [InlineData("""{"token_expires_at": 1795863600}""", "2026-11-28T11:00:00+00:00")]
    [InlineData("""{"token_expires_at": null}""", null)]
    [InlineData("""{"identity_id": "a"}""", null)]
    public void ParseExpiry_ReadsTheContractAndTheObviousAlternatives(string body, string? expected) =>
        Assert.Equal(
            expected is null ? null : DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture),
            TokenLifetimeCheck.ParseExpiry(Encoding.UTF8.GetBytes(body)));

    [Theory]
    [InlineData("""{"token_expires_at": "soon"}""")]
    [InlineData("""{"token_expires_at": true}""")]
    [InlineData("""["token_expires_at"]""")]
    [InlineData("<html>bad gateway</html>")]
    public void ParseExpiry_RefusesNonsense_WithAClearError(string body)
    {
        var e = Assert.Throws<ScaiVaultException>(() => TokenLifetimeCheck.ParseExpiry(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(ErrorCodes.MalformedResponse, e.Code);
    }

    private TokenLifetimeCheck Check(string token) =>
        new(_http, new StaticTokenSource(token), emulator.Options(), TimeProvider.System, _logger);

    /// <summary>A real ScaiVault token with an expiry, obtained with the emulator's client credentials.</summary>
    private async Task<string> IssueTokenAsync()
    {
        var secretFile = Path.Combine(_directory.FullName, "secret");
        await File.WriteAllTextAsync(secretFile, emulator.ClientSecret);
        using var source = new ClientCredentialsTokenSource(_http, emulator.Client(secretFile), TimeProvider.System, new CapturingLogger<ClientCredentialsTokenSource>());
        return await source.GetTokenAsync(CancellationToken.None);
    }
}
