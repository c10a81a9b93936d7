using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Auth;

public sealed class AuthFixture : EmulatorFixture, IDisposable
{
    public TestIssuer PemIssuer { get; } = new("https://pem-issuer.test");

    public TestIssuer JwksIssuer { get; } = new("https://jwks-issuer.test", "jwks-key");

    protected override ScaiVaultEmulatorBuilder Emulator => new ScaiVaultEmulatorBuilder()
        .WithDevEndpoints()
        .WithArguments("--trust-issuer", $"{PemIssuer.Issuer}={PemIssuer.WritePem()}", "--trust-issuer", $"{JwksIssuer.Issuer}={JwksIssuer.WriteJwks()}")
        .WithClient("reporting", "s3cret-client");

    public void Dispose()
    {
        PemIssuer.Dispose();
        JwksIssuer.Dispose();
    }
}

public class AuthTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    private const string Subject = "system:serviceaccount:reporting:api";

    private ScaiVaultEmulator Host => fixture.Host;

    [Fact]
    public async Task Exchange_DevToken_ReturnsBearerAccessToken()
    {
        var jwt = await Host.MintTokenAsync(Subject);
        var response = await ExchangeAsync(jwt);
        var json = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(["access_token", "expires_in", "token_type"], json.PropertyNames());
        Assert.Equal("Bearer", json["token_type"]!.GetValue<string>());
        Assert.Equal(3600, json["expires_in"]!.GetValue<int>());
        Assert.DoesNotContain(jwt, json["access_token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Exchange_TokenFromPemTrustedIssuer_IsAccepted()
    {
        var token = await (await ExchangeAsync(fixture.PemIssuer.Mint("pem-workload"))).ShouldBeAsync(HttpStatusCode.OK);
        var whoami = await WhoAmIAsync(token["access_token"]!.GetValue<string>());
        Assert.Equal("pem-workload", whoami["identity_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Exchange_TokenFromJwksTrustedIssuer_IsAccepted()
    {
        var response = await ExchangeAsync(fixture.JwksIssuer.Mint("jwks-workload"));
        await response.ShouldBeAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Exchange_SignedByAnotherKey_IsTokenInvalid()
    {
        using var impostor = new TestIssuer(fixture.PemIssuer.Issuer, "impostor");
        var error = await (await ExchangeAsync(impostor.Mint(Subject))).ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "token_invalid");
        Assert.Contains("signature", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exchange_TamperedDevToken_IsTokenInvalid()
    {
        var jwt = await Host.MintTokenAsync(Subject);
        var parts = jwt.Split('.');
        var payload = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]).Replace(Subject, "system:serviceaccount:kube-system:admin", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload)}.{parts[2]}";
        await (await ExchangeAsync(forged)).ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "token_invalid");
    }

    [Fact]
    public async Task Exchange_WrongAudience_IsTokenInvalid()
    {
        var jwt = await Host.MintTokenAsync(Subject, audience: "kubernetes");
        var error = await (await ExchangeAsync(jwt)).ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "token_invalid");
        Assert.Contains("audience", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exchange_ExpiredToken_IsTokenExpired()
    {
        var jwt = fixture.PemIssuer.Mint(Subject, lifetime: TimeSpan.FromMinutes(5), notBefore: DateTimeOffset.UtcNow.AddMinutes(-30));
        await (await ExchangeAsync(jwt)).ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "token_expired");
    }

    [Fact]
    public async Task Exchange_UntrustedIssuer_IsTokenInvalid()
    {
        using var stranger = new TestIssuer("https://evil.test");
        var error = await (await ExchangeAsync(stranger.Mint(Subject))).ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "token_invalid");
        Assert.Contains("not trusted", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exchange_NotAJwt_IsTokenInvalid() =>
        await (await ExchangeAsync("definitely-not-a-jwt")).ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "token_invalid");

    [Fact]
    public async Task Exchange_WithoutSubjectToken_IsInvalidRequest()
    {
        var response = await Host.Anonymous.PostAsync(new Uri("v1/auth/exchange", UriKind.Relative), JsonContent.Create(new JsonObject()));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Exchange_WrongSubjectTokenType_IsInvalidRequest()
    {
        var response = await Host.Anonymous.PostAsync(
            new Uri("v1/auth/exchange", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["subject_token"] = await Host.MintTokenAsync(Subject), ["subject_token_type"] = "urn:x:saml" }));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task WhoAmI_Workload_ShowsSubjectTenantScopesAndExpiry()
    {
        var before = DateTimeOffset.UtcNow;
        var json = await WhoAmIAsync(await Host.ExchangeAsync(await Host.MintTokenAsync(Subject)));
        Assert.Equal(Subject, json["identity_id"]!.GetValue<string>());
        Assert.Equal("emulator", json["tenant_id"]!.GetValue<string>());
        var scopes = json["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(ScopeTests.WorkloadScopes.Order(StringComparer.Ordinal), scopes);
        var expiresAt = DateTimeOffset.Parse(json["token_expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt, before.AddMinutes(59), before.AddMinutes(61));
    }

    [Fact]
    public async Task WhoAmI_AdminToken_IsAdminWithAllScopes()
    {
        var json = await WhoAmIAsync(ScaiVaultEmulatorBuilder.DefaultAdminToken);
        Assert.Equal("admin", json["identity_id"]!.GetValue<string>());
        Assert.Contains("dynamic:manage", json["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
    }

    [Fact]
    public async Task WhoAmI_Workload_CarriesTheDocumentedFields_FilledOnlyWhereTheEmulatorKnows()
    {
        var json = await WhoAmIAsync(await Host.ExchangeAsync(await Host.MintTokenAsync(Subject)));
        Assert.Equal(
            ["display_name", "groups", "identity_id", "identity_type", "mfa_verified_at", "partner_id", "roles", "scopes", "tenant_id", "token_expires_at"],
            json.PropertyNames());
        Assert.Equal("workload", json["identity_type"]!.GetValue<string>());
        Assert.Equal(Subject, json["display_name"]!.GetValue<string>());
        Assert.Null(json["partner_id"]);
        Assert.Empty(json["groups"]!.AsArray());
        Assert.Empty(json["roles"]!.AsArray());
        Assert.Null(json["mfa_verified_at"]);
    }

    [Fact]
    public async Task WhoAmI_WithoutToken_IsAuthenticationRequired()
    {
        var response = await Host.Anonymous.GetAsync(new Uri("v1/auth/whoami", UriKind.Relative));
        await response.ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "authentication_required");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task WhoAmI_UnknownToken_IsTokenInvalid()
    {
        var response = await Host.CreateClient("svt_not-a-real-token").GetAsync(new Uri("v1/auth/whoami", UriKind.Relative));
        await response.ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "token_invalid");
    }

    [Fact]
    public async Task AccessToken_PastItsTtl_IsTokenExpired()
    {
        await using var host = await new ScaiVaultEmulatorBuilder().WithArguments("--dev", "--token-ttl", "1s").StartAsync();
        var client = await host.WorkloadClientAsync(Subject);
        await (await client.GetAsync(new Uri("v1/auth/whoami", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);

        var response = await Eventually.ReturnsAsync(
            () => client.GetAsync(new Uri("v1/auth/whoami", UriKind.Relative)),
            r => r.StatusCode != HttpStatusCode.OK,
            TimeSpan.FromSeconds(5),
            "the access token to expire");
        await response.ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "token_expired");
    }

    [Fact]
    public async Task ClientCredentials_RegisteredClient_GetsWorkloadToken()
    {
        var response = await ClientCredentialsAsync("reporting", "s3cret-client");
        var json = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("Bearer", json["token_type"]!.GetValue<string>());
        Assert.Equal(3600, json["expires_in"]!.GetValue<int>());
        var whoami = await WhoAmIAsync(json["access_token"]!.GetValue<string>());
        Assert.Equal("client:reporting", whoami["identity_id"]!.GetValue<string>());
        Assert.Equal("client", whoami["identity_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task ClientCredentials_BasicAuthentication_Works()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("oauth/token", UriKind.Relative))
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("reporting:s3cret-client")));
        await (await Host.Anonymous.SendAsync(request)).ShouldBeAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("reporting", "wrong")]
    [InlineData("nobody", "s3cret-client")]
    public async Task ClientCredentials_BadClient_IsOAuthInvalidClient(string clientId, string secret)
    {
        var json = await (await ClientCredentialsAsync(clientId, secret)).ShouldBeAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_client", json["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task ClientCredentials_OtherGrant_IsUnsupportedGrantType()
    {
        var json = await (await ClientCredentialsAsync("reporting", "s3cret-client", "password")).ShouldBeAsync(HttpStatusCode.BadRequest);
        Assert.Equal("unsupported_grant_type", json["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task AdminOnlyOperations_WithWorkloadToken_AreInsufficientScope()
    {
        var workload = await Host.WorkloadClientAsync(Subject);
        var write = await workload.PutAsync(
            new Uri("v1/secrets/app/config", UriKind.Relative), JsonContent.Create(new JsonObject { ["data"] = new JsonObject() }));
        var error = await write.ShouldBeErrorAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Equal("secrets:write", error["details"]!["required_scope"]!.GetValue<string>());

        var engine = await workload.PostAsync(new Uri("v1/dynamic/engines", UriKind.Relative), JsonContent.Create(new JsonObject()));
        await engine.ShouldBeErrorAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    private Task<HttpResponseMessage> ExchangeAsync(string jwt) =>
        Host.Anonymous.PostAsync(
            new Uri("v1/auth/exchange", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["subject_token"] = jwt, ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt" }));

    private async Task<JsonNode> WhoAmIAsync(string accessToken)
    {
        var response = await Host.CreateClient(accessToken).GetAsync(new Uri("v1/auth/whoami", UriKind.Relative));
        return await response.ShouldBeAsync(HttpStatusCode.OK);
    }

    private Task<HttpResponseMessage> ClientCredentialsAsync(string clientId, string secret, string grantType = "client_credentials") =>
        Host.Anonymous.PostAsync(
            new Uri("oauth/token", UriKind.Relative),
            new FormUrlEncodedContent(
            [
                KeyValuePair.Create("grant_type", grantType),
                KeyValuePair.Create("client_id", clientId),
                KeyValuePair.Create("client_secret", secret),
            ]));
}
