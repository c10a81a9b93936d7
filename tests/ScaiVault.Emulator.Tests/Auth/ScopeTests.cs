using LeaseAgent.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Auth;

/// <summary>Without <c>--dev</c>, so that <c>/_emulator/*</c> needs the <c>admin</c> scope; workloads come from a client.</summary>
public sealed class ScopeFixture : EmulatorFixture
{
    public const string ClientId = "reporting";
    public const string ClientSecret = "scope-test-client-secret";

    protected override ScaiVaultEmulatorBuilder Emulator => new ScaiVaultEmulatorBuilder().WithClient(ClientId, ClientSecret);
}

/// <summary>ScaiVault's documented scope names, and which operation needs which (the table in the emulator's README).</summary>
public class ScopeTests(ScopeFixture fixture) : IClassFixture<ScopeFixture>
{
    public static readonly string[] AllScopes =
        ["secrets:read", "secrets:write", "dynamic:read", "dynamic:manage", "subscriptions:read", "subscriptions:write", "admin"];

    public static readonly string[] WorkloadScopes = ["secrets:read", "dynamic:read", "subscriptions:read", "subscriptions:write"];

    private static readonly string[] OldScopeNames = ["dynamic:generate", "dynamic:leases", "dynamic:admin", "emulator:admin"];

    private ScaiVaultEmulator Host => fixture.Host;

    public static TheoryData<string, string, string> EveryProtectedOperation => new()
    {
        { "GET", "v1/secrets/apps/x", "secrets:read" },
        { "PUT", "v1/secrets/apps/x", "secrets:write" },
        { "POST", "v1/dynamic/engines", "dynamic:manage" },
        { "GET", "v1/dynamic/engines/db", "dynamic:manage" },
        { "PATCH", "v1/dynamic/engines/db", "dynamic:manage" },
        { "GET", "v1/dynamic/engines/db/health", "dynamic:manage" },
        { "POST", "v1/dynamic/engines/db/roles", "dynamic:manage" },
        { "GET", "v1/dynamic/engines/db/roles/app", "dynamic:manage" },
        { "POST", "v1/dynamic/engines/db/creds/app", "dynamic:read" },
        { "GET", "v1/dynamic/leases", "dynamic:read" },
        { "GET", "v1/dynamic/leases/lease_x", "dynamic:read" },
        { "POST", "v1/dynamic/leases/lease_x/renew", "dynamic:read" },
        { "POST", "v1/dynamic/leases/lease_x/revoke", "dynamic:read" },
        { "POST", "v1/subscriptions", "subscriptions:write" },
        { "GET", "v1/subscriptions/sub_x", "subscriptions:read" },
        { "DELETE", "v1/subscriptions/sub_x", "subscriptions:write" },
        { "GET", "v1/subscriptions/sub_x/poll", "subscriptions:read" },
        { "POST", "v1/subscriptions/sub_x/ack", "subscriptions:write" },
        { "GET", "_emulator/faults", "admin" },
        { "PUT", "_emulator/faults", "admin" },
        { "DELETE", "_emulator/faults", "admin" },
    };

    [Theory]
    [MemberData(nameof(EveryProtectedOperation))]
    public async Task Operation_WithEveryScopeButItsOwn_IsInsufficientScopeNamingIt(string method, string url, string scope)
    {
        var client = await ClientWithScopesAsync([.. AllScopes.Where(s => s != scope)]);
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(url, UriKind.Relative));
        var error = await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Equal(scope, error["details"]!["required_scope"]!.GetValue<string>());
        Assert.Contains($"'{scope}'", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhoAmI_ClientCredentialsToken_HoldsExactlyTheWorkloadScopes()
    {
        var whoami = await (await (await WorkloadClientAsync()).GetAsync(new Uri("v1/auth/whoami", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(WorkloadScopes.Order(StringComparer.Ordinal), Scopes(whoami).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task WhoAmI_AdminToken_HoldsEveryScope()
    {
        var whoami = await (await Host.Admin.GetAsync(new Uri("v1/auth/whoami", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(AllScopes.Order(StringComparer.Ordinal), Scopes(whoami).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Workload_OnAdministrativeOperations_IsInsufficientScopeNamingTheDocumentedScope()
    {
        var workload = await WorkloadClientAsync();
        await AssertForbiddenAsync(
            await workload.PutAsync(new Uri("v1/secrets/apps/x", UriKind.Relative), JsonContent.Create(new JsonObject { ["data"] = new JsonObject() })),
            "secrets:write");
        await AssertForbiddenAsync(await workload.PostAsync(new Uri("v1/dynamic/engines", UriKind.Relative), JsonContent.Create(new JsonObject())), "dynamic:manage");
        await AssertForbiddenAsync(await workload.GetAsync(new Uri("v1/dynamic/leases?state=all", UriKind.Relative)), "dynamic:manage");
        await AssertForbiddenAsync(await workload.GetAsync(new Uri("_emulator/faults", UriKind.Relative)), "admin");
    }

    [Fact]
    public async Task RootCredentials_NeedDynamicManage_NotTheAdminIdentity()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var rootSecret = new Uri($"v1/secrets/{engine.RootSecretPath}", UriKind.Relative);

        await AssertForbiddenAsync(await (await WorkloadClientAsync()).GetAsync(rootSecret), "dynamic:manage");
        await AssertForbiddenAsync(await (await ClientWithScopesAsync([.. AllScopes.Where(s => s != "dynamic:manage")])).GetAsync(rootSecret), "dynamic:manage");

        var manager = await ClientWithScopesAsync(["secrets:read", "dynamic:manage"]);
        var read = await (await manager.GetAsync(rootSecret)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.NotNull(read["data"]!["password"]);
    }

    [Fact]
    public async Task ListAll_WithDynamicManage_SeesEveryIdentitysLeases()
    {
        var manager = await ClientWithScopesAsync(["dynamic:read", "dynamic:manage"]);
        await (await manager.GetAsync(new Uri("v1/dynamic/leases?state=all", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task OldScopeNames_AreAcceptedNowhere()
    {
        var engine = await TestEngine.CreateAsync(Host);
        await engine.AddRoleAsync("app");
        var old = await ClientWithScopesAsync(["secrets:read", .. OldScopeNames]);

        await AssertForbiddenAsync(await engine.GenerateAsync(old, "app"), "dynamic:read");
        await AssertForbiddenAsync(await old.GetAsync(new Uri("v1/dynamic/leases", UriKind.Relative)), "dynamic:read");
        await AssertForbiddenAsync(await old.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}", UriKind.Relative)), "dynamic:manage");
        await AssertForbiddenAsync(await old.GetAsync(new Uri($"v1/secrets/{engine.RootSecretPath}", UriKind.Relative)), "dynamic:manage");
        await AssertForbiddenAsync(await old.GetAsync(new Uri("_emulator/faults", UriKind.Relative)), "admin");
    }

    [Fact]
    public async Task Restart_DropsAccessTokensIssuedUnderTheOldScopeNames()
    {
        var database = await LeaseAgent.Testing.TestPostgres.CreateDatabaseAsync("emu");
        try
        {
            string oldToken, currentToken;
            await using (var first = await new ScaiVaultEmulatorBuilder().WithStateDatabase(database).StartAsync())
            {
                oldToken = await InsertTokenAsync(first, ["secrets:read", .. OldScopeNames]);
                currentToken = await InsertTokenAsync(first, WorkloadScopes);
            }

            // An older emulator's token would answer 403 everywhere; gone, its holder gets 401 and exchanges a new one.
            await using var second = await new ScaiVaultEmulatorBuilder().WithStateDatabase(database).StartAsync();
            await (await second.CreateClient(oldToken).GetAsync(new Uri("v1/auth/whoami", UriKind.Relative)))
                .ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "token_invalid");
            await (await second.CreateClient(currentToken).GetAsync(new Uri("v1/auth/whoami", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    private async Task<HttpClient> WorkloadClientAsync()
    {
        var response = await Host.Anonymous.PostAsync(
            new Uri("oauth/token", UriKind.Relative),
            new FormUrlEncodedContent(
            [
                KeyValuePair.Create("grant_type", "client_credentials"),
                KeyValuePair.Create("client_id", ScopeFixture.ClientId),
                KeyValuePair.Create("client_secret", ScopeFixture.ClientSecret),
            ]));
        return Host.CreateClient((await response.ShouldBeAsync(HttpStatusCode.OK))["access_token"]!.GetValue<string>());
    }

    /// <summary>A client whose token holds exactly <paramref name="scopes"/>: no identity the emulator issues has such sets.</summary>
    private async Task<HttpClient> ClientWithScopesAsync(IReadOnlyList<string> scopes) => Host.CreateClient(await InsertTokenAsync(Host, scopes));

    /// <summary>Writes an access token straight into the state store, as the emulator stores one (only its SHA-256).</summary>
    private static async Task<string> InsertTokenAsync(ScaiVaultEmulator host, IReadOnlyList<string> scopes)
    {
        var token = "svt_scoped" + TestEngine.NewSuffix() + TestEngine.NewSuffix();
        var array = string.Join(", ", scopes.Select(s => $"'{s}'"));
        await TestEngine.SqlAsync(
            host.StateDatabase,
            $"""
            INSERT INTO scaivault.access_tokens (token_hash, identity_id, kind, scopes, issued_at, expires_at)
            VALUES (sha256(convert_to('{token}', 'UTF8')), 'client:scoped-{TestEngine.NewSuffix()}', 'client',
                    ARRAY[{array}]::text[], now(), now() + interval '1 hour')
            """);
        return token;
    }

    private static async Task AssertForbiddenAsync(HttpResponseMessage response, string scope)
    {
        var error = await response.ShouldBeErrorAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Equal(scope, error["details"]!["required_scope"]!.GetValue<string>());
    }

    private static IEnumerable<string> Scopes(JsonNode whoami) => whoami["scopes"]!.AsArray().Select(s => s!.GetValue<string>());
}
