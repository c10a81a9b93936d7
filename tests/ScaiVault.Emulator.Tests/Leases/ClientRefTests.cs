using LeaseAgent.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Leases;

/// <summary>
/// <c>client_ref</c>: the client's own reference sent with a generate, echoed in every lease
/// representation and usable as an exact-match list filter, so that an agent that crashed
/// mid-generate can find (and revoke) the lease whose id it never saw.
/// </summary>
public class ClientRefTests(LeaseFixture fixture) : IClassFixture<LeaseFixture>
{
    private ScaiVaultEmulator Host => fixture.Host;

    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Generate_WithClientRef_EchoesItInGenerateLookupRenewAndList()
    {
        var clientRef = NewRef();
        var generated = await (await Engine.GenerateAsync(fixture.Alice, "app", "10m", clientRef)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(clientRef, generated["client_ref"]!.GetValue<string>());
        Assert.NotNull(generated["data"]);
        var leaseId = generated["lease_id"]!.GetValue<string>();

        var lookedUp = await (await fixture.Alice.GetAsync(LeaseUri(leaseId))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(clientRef, lookedUp["client_ref"]!.GetValue<string>());

        var renewed = await (await RenewAsync(fixture.Alice, leaseId, "20m")).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(clientRef, renewed["client_ref"]!.GetValue<string>());

        var listed = Assert.Single(await ListAsync(fixture.Alice, $"client_ref={clientRef}"));
        Assert.Equal(leaseId, listed["lease_id"]!.GetValue<string>());
        Assert.Equal(clientRef, listed["client_ref"]!.GetValue<string>());
    }

    [Fact]
    public async Task Generate_WithoutClientRef_EchoesNullEverywhere()
    {
        var generated = await (await Engine.GenerateAsync(fixture.Alice, "app", "10m")).ShouldBeAsync(HttpStatusCode.OK);
        var leaseId = generated["lease_id"]!.GetValue<string>();
        var lookedUp = await (await fixture.Alice.GetAsync(LeaseUri(leaseId))).ShouldBeAsync(HttpStatusCode.OK);
        var renewed = await (await RenewAsync(fixture.Alice, leaseId, "5m")).ShouldBeAsync(HttpStatusCode.OK);
        var listed = (await ListAsync(fixture.Alice, $"engine={Engine.Name}")).Single(l => l["lease_id"]!.GetValue<string>() == leaseId);

        foreach (var (name, json) in new[] { ("generate", generated), ("lookup", lookedUp), ("renew", renewed), ("list", listed) })
        {
            Assert.True(json.AsObject().ContainsKey("client_ref"), $"{name} has no client_ref: {json.ToJsonString()}");
            Assert.Null(json["client_ref"]);
        }
    }

    [Fact]
    public async Task Generate_WithExplicitNullClientRef_IsLikeNone()
    {
        var response = await fixture.Alice.PostAsync(
            new Uri($"v1/dynamic/engines/{Engine.Name}/creds/app", UriKind.Relative),
            new StringContent("""{"ttl": "1m", "client_ref": null}""", Encoding.UTF8, "application/json"));
        var json = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.True(json.AsObject().ContainsKey("client_ref"));
        Assert.Null(json["client_ref"]);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("AZaz09._:-")]
    [InlineData("intent:2f1c-9a.x_y")]
    public async Task Generate_ClientRefFromTheDocumentedCharacterSet_IsAccepted(string clientRef)
    {
        var json = await (await Engine.GenerateAsync(fixture.Alice, "app", "1m", clientRef)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(clientRef, json["client_ref"]!.GetValue<string>());
    }

    [Fact]
    public async Task Generate_ClientRefOf128Characters_IsAccepted()
    {
        var clientRef = new string('x', 120) + NewRef()[..8];
        Assert.Equal(128, clientRef.Length);
        var json = await (await Engine.GenerateAsync(fixture.Alice, "app", "1m", clientRef)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(clientRef, json["client_ref"]!.GetValue<string>());
    }

    public static TheoryData<string> InvalidClientRefs => new()
    {
        "",
        new string('x', 129),
        "has space",
        "semi;colon",
        "slash/ed",
        "trailing-newline\n",
        "t\u00e9st",
        "tab\there",
        "quote'd",
    };

    [Theory]
    [MemberData(nameof(InvalidClientRefs))]
    public async Task Generate_InvalidClientRef_IsInvalidRequest_AndCreatesNoLease(string clientRef)
    {
        var before = await CountAllLeasesAsync();
        var error = await (await Engine.GenerateAsync(fixture.Alice, "app", "1m", clientRef)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains("client_ref", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("128", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await CountAllLeasesAsync());
    }

    [Fact]
    public async Task Generate_NonStringClientRef_IsInvalidRequest()
    {
        var response = await fixture.Alice.PostAsync(
            new Uri($"v1/dynamic/engines/{Engine.Name}/creds/app", UriKind.Relative),
            new StringContent("""{"client_ref": 12345}""", Encoding.UTF8, "application/json"));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task List_ByClientRef_ReturnsExactlyThatLease_CombinedWithTheOtherFilters()
    {
        var (refA, refB) = (NewRef(), NewRef());
        var leaseA = await GenerateAsync(fixture.Alice, "app", refA);
        var leaseB = await GenerateAsync(fixture.Alice, "app", refB);
        var unreferenced = await GenerateAsync(fixture.Alice, "app", null);

        // The agent's call: its own token, state=active.
        var a = Assert.Single(await ListAsync(fixture.Alice, $"state=active&client_ref={refA}"));
        Assert.Equal(leaseA, a["lease_id"]!.GetValue<string>());
        Assert.Equal(refA, a["client_ref"]!.GetValue<string>());
        var b = Assert.Single(await ListAsync(fixture.Alice, $"client_ref={refB}"));
        Assert.Equal(leaseB, b["lease_id"]!.GetValue<string>());

        // Without the filter all three are there, so the filter is what narrowed it.
        var all = (await ListAsync(fixture.Alice, $"engine={Engine.Name}")).Select(l => l["lease_id"]!.GetValue<string>()).ToList();
        Assert.Superset(new HashSet<string> { leaseA, leaseB, unreferenced }, all.ToHashSet());

        Assert.Equal(leaseA, Assert.Single(await ListAsync(fixture.Alice, $"engine={Engine.Name}&role=app&state=active&client_ref={refA}"))["lease_id"]!.GetValue<string>());
        Assert.Empty(await ListAsync(fixture.Alice, $"role=short&client_ref={refA}"));
        Assert.Empty(await ListAsync(fixture.Alice, $"engine=no-such-engine&client_ref={refA}"));

        // Exact match: no prefixes, no case folding.
        Assert.Empty(await ListAsync(fixture.Alice, $"client_ref={refA[..^1]}"));
        Assert.Empty(await ListAsync(fixture.Alice, $"client_ref={refA.ToUpperInvariant()}"));
        Assert.Empty(await ListAsync(fixture.Alice, $"client_ref={NewRef()}"));
    }

    [Fact]
    public async Task List_ByClientRef_NeverShowsAnotherIdentitysLease_ButTheAdminSeesAll()
    {
        var clientRef = NewRef();
        var alices = await GenerateAsync(fixture.Alice, "app", clientRef);

        Assert.Empty(await ListAsync(fixture.Bob, $"client_ref={clientRef}"));
        Assert.Empty(await ListAsync(fixture.Bob, $"state=active&client_ref={clientRef}"));
        Assert.Empty(await ListAsync(fixture.Bob, $"engine={Engine.Name}&role=app&client_ref={clientRef}"));

        // The same reference from another identity (a replica sharing nothing but bad luck) stays apart.
        var bobs = await GenerateAsync(fixture.Bob, "app", clientRef);
        Assert.Equal(bobs, Assert.Single(await ListAsync(fixture.Bob, $"client_ref={clientRef}"))["lease_id"]!.GetValue<string>());
        Assert.Equal(alices, Assert.Single(await ListAsync(fixture.Alice, $"client_ref={clientRef}"))["lease_id"]!.GetValue<string>());

        var admin = (await ListAsync(Host.Admin, $"client_ref={clientRef}")).Select(l => l["lease_id"]!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { alices, bobs }.Order(StringComparer.Ordinal), admin);
    }

    [Fact]
    public async Task List_ByClientRef_WithStateAll_StaysAdminOnly_AndShowsTheRevokedLease()
    {
        var clientRef = NewRef();
        var leaseId = await GenerateAsync(fixture.Alice, "app", clientRef);
        Assert.Equal(HttpStatusCode.NoContent, (await RevokeAsync(fixture.Alice, leaseId)).StatusCode);

        await (await fixture.Alice.GetAsync(new Uri($"v1/dynamic/leases?state=all&client_ref={clientRef}", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Empty(await ListAsync(fixture.Alice, $"client_ref={clientRef}"));

        var revoked = Assert.Single(await ListAsync(Host.Admin, $"state=all&client_ref={clientRef}"));
        Assert.Equal(leaseId, revoked["lease_id"]!.GetValue<string>());
        Assert.Equal("revoked", revoked["state"]!.GetValue<string>());
        Assert.Equal(clientRef, revoked["client_ref"]!.GetValue<string>());
    }

    [Fact]
    public async Task CrashRecovery_FindByClientRef_RevokeById_ThenNothingIsLeft()
    {
        var clientRef = NewRef();

        // The agent sent the generate and died before reading the answer.
        var generated = await (await Engine.GenerateAsync(fixture.Alice, "app", "10m", clientRef)).ShouldBeAsync(HttpStatusCode.OK);
        var username = generated["data"]!["username"]!.GetValue<string>();

        // Restarted, it finds the lease by its reference alone and revokes it.
        var found = Assert.Single(await ListAsync(fixture.Alice, $"state=active&client_ref={clientRef}"));
        Assert.Equal(HttpStatusCode.NoContent, (await RevokeAsync(fixture.Alice, found["lease_id"]!.GetValue<string>())).StatusCode);

        Assert.False(await Engine.UserExistsAsync(username));
        Assert.Empty(await ListAsync(fixture.Alice, $"state=active&client_ref={clientRef}"));
    }

    [Theory]
    [InlineData("client_ref=")]
    [InlineData("client_ref")]
    [InlineData("client_ref=a%20b")]
    [InlineData("client_ref=a%2Fb")]
    [InlineData("client_ref=a&client_ref=b")]
    [InlineData("state=active&client_ref=%0A")]
    public async Task List_InvalidClientRefFilter_IsInvalidRequest(string query)
    {
        var error = await (await fixture.Alice.GetAsync(new Uri($"v1/dynamic/leases?{query}", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains("client_ref", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_ClientRefOf129Characters_IsInvalidRequest() =>
        await (await fixture.Alice.GetAsync(new Uri($"v1/dynamic/leases?client_ref={new string('x', 129)}", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");

    [Fact]
    public async Task Schema_HasTheClientRefColumnAndIndex()
    {
        var column = await TestEngine.ScalarAsync<string>(
            Host.StateDatabase,
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'scaivault' AND table_name = 'leases' AND column_name = 'client_ref'");
        Assert.Equal("text", column);
        var index = await TestEngine.ScalarAsync<string>(
            Host.StateDatabase,
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'scaivault' AND indexname = 'leases_by_client_ref'");
        Assert.Contains("(identity_id, client_ref)", index, StringComparison.Ordinal);
    }

    /// <summary>A fresh reference per test: the classes share nothing, but the tests of one class share the emulator.</summary>
    internal static string NewRef() => "intent:" + Guid.NewGuid().ToString("N");

    private async Task<string> GenerateAsync(HttpClient client, string role, string? clientRef)
    {
        var json = await (await Engine.GenerateAsync(client, role, "10m", clientRef)).ShouldBeAsync(HttpStatusCode.OK);
        return json["lease_id"]!.GetValue<string>();
    }

    /// <summary>Every lease row, <c>creating</c> ones included (the list never shows those).</summary>
    private Task<long> CountAllLeasesAsync() => TestEngine.ScalarAsync<long>(Host.StateDatabase, "SELECT count(*) FROM scaivault.leases");

    private static Uri LeaseUri(string leaseId) => new($"v1/dynamic/leases/{leaseId}", UriKind.Relative);

    private static Task<HttpResponseMessage> RenewAsync(HttpClient client, string leaseId, string increment) =>
        client.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/renew", UriKind.Relative), JsonContent.Create(new JsonObject { ["increment"] = increment }));

    private static Task<HttpResponseMessage> RevokeAsync(HttpClient client, string leaseId) =>
        client.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/revoke", UriKind.Relative), null);

    private static async Task<List<JsonNode>> ListAsync(HttpClient client, string query)
    {
        var json = await (await client.GetAsync(new Uri($"v1/dynamic/leases?{query}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        return [.. json["leases"]!.AsArray().Select(l => l!)];
    }
}
