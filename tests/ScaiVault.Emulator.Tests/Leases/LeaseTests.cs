using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LeaseAgent.Testing;
using Npgsql;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Leases;

public class LeaseTests(LeaseFixture fixture) : IClassFixture<LeaseFixture>
{
    private ScaiVaultEmulator Host => fixture.Host;

    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Generate_AnswersExactlyTheContractShape()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var json = await (await Engine.GenerateAsync(fixture.Alice, "app", "15m")).ShouldBeAsync(HttpStatusCode.OK);

        Assert.Equal(
            ["client_ref", "data", "engine", "expires_at", "issued_at", "lease_duration", "lease_id", "max_expires_at", "renewable", "role"],
            json.PropertyNames());
        Assert.Null(json["client_ref"]);
        Assert.Equal(["password", "username"], json["data"]!.PropertyNames());
        Assert.Matches("^dyn_[0-9a-f]{32}$", json["lease_id"]!.GetValue<string>());
        Assert.Equal(Engine.Name, json["engine"]!.GetValue<string>());
        Assert.Equal("app", json["role"]!.GetValue<string>());
        Assert.Equal(900, json["lease_duration"]!.GetValue<int>());
        Assert.True(json["renewable"]!.GetValue<bool>());
        var issued = Time(json["issued_at"]);
        Assert.InRange(issued, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(TimeSpan.FromMinutes(15), Time(json["expires_at"]) - issued);
        Assert.Equal(TimeSpan.FromHours(8), Time(json["max_expires_at"]) - issued);
        Assert.All(["issued_at", "expires_at", "max_expires_at"], f => Assert.EndsWith("Z", json[f]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Matches("^v_app_[a-z0-9]{10}$", json["data"]!["username"]!.GetValue<string>());
        Assert.Matches("^[A-Za-z0-9_-]{32}$", json["data"]!["password"]!.GetValue<string>());
    }

    [Fact]
    public async Task Generate_UserLogsInWithThePassword_WhichPostgresStoresAsScram()
    {
        var (_, username, password, expiresAt) = await GenerateAsync(fixture.Alice, "app", "10m");

        await using (var session = await Engine.LoginAsync(username, password))
        {
            await using var whoami = new NpgsqlCommand($"SELECT current_user, pg_has_role(current_user, '{Engine.GroupRole}', 'MEMBER')", session);
            await using var reader = await whoami.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(username, reader.GetString(0));
            Assert.True(reader.GetBoolean(1), "the lease user gets its privileges through the group role");
        }

        var stored = await TestEngine.ScalarAsync<string>(Host.StateDatabase, $"SELECT rolpassword FROM pg_authid WHERE rolname = '{username}'");
        Assert.StartsWith("SCRAM-SHA-256$4096:", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(password, stored, StringComparison.Ordinal);
        var validUntil = await TestEngine.ScalarAsync<DateTime>(Host.StateDatabase, $"SELECT rolvaliduntil FROM pg_roles WHERE rolname = '{username}'");
        Assert.InRange(new DateTimeOffset(validUntil, TimeSpan.Zero) - expiresAt, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [PasswordCheckingFact]
    public async Task Generate_WithWrongPassword_CannotLogIn()
    {
        var (_, username, _, _) = await GenerateAsync(fixture.Alice, "app", "5m");
        var error = await Assert.ThrowsAsync<PostgresException>(() => Engine.LoginAsync(username, "not-the-password"));
        Assert.Equal("28P01", error.SqlState);
    }

    [Fact]
    public async Task Generate_WithoutBody_UsesTheRoleDefault()
    {
        var json = await (await Engine.GenerateAsync(fixture.Alice, "app")).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(3600, json["lease_duration"]!.GetValue<int>());
    }

    [Fact]
    public async Task Generate_TtlAboveRoleMax_IsCapped()
    {
        var json = await (await Engine.GenerateAsync(fixture.Alice, "short", "1h")).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(20, json["lease_duration"]!.GetValue<int>());
        Assert.Equal(json["max_expires_at"]!.GetValue<string>(), json["expires_at"]!.GetValue<string>());
        Assert.False(json["renewable"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0s")]
    [InlineData("-5m")]
    public async Task Generate_InvalidTtl_IsInvalidDuration(string ttl) =>
        await (await Engine.GenerateAsync(fixture.Alice, "app", ttl)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_duration");

    [Fact]
    public async Task Generate_UnknownEngineOrRole_IsNotFound()
    {
        await (await TestEngine.GenerateAsync(fixture.Alice, "no-such-engine", "app")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "engine_not_found");
        await (await Engine.GenerateAsync(fixture.Alice, "no_such_role")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "role_not_found");
    }

    [Fact]
    public async Task Generate_LongRoleName_GivesUsernameOfAtMost63Bytes()
    {
        var role = new string('r', 63);
        await Engine.AddRoleAsync(role);
        var (_, username, password, _) = await GenerateAsync(fixture.Alice, role, "1m");
        Assert.True(username.Length <= 63, username);
        await using var session = await Engine.LoginAsync(username, password);
        Assert.Equal(System.Data.ConnectionState.Open, session.State);
    }

    [Fact]
    public async Task Generate_FailingCreationStatement_Is500_LeavesNoUser_AndRecordsAFailedLease()
    {
        var role = "broken_" + Engine.Suffix;
        await Engine.AddRoleAsync(role, creation: [Engine.CreationStatement, "SELECT * FROM no_such_table_at_all"]);

        var response = await Engine.GenerateAsync(fixture.Alice, role, "1m");
        var body = await response.Content.ReadAsStringAsync();
        var error = await response.ShouldBeErrorAsync(HttpStatusCode.InternalServerError, "internal_error");
        Assert.Contains("42P01", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("SCRAM-SHA-256", body, StringComparison.Ordinal);

        var leftovers = await TestEngine.ScalarAsync<long>(Host.StateDatabase, $"SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v_{role}_%'");
        Assert.Equal(0, leftovers);
        var all = await ListAsync(Host.Admin, $"role={role}&state=all");
        Assert.Equal("failed", Assert.Single(all)["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Lookup_OwnLease_ReturnsItWithoutData()
    {
        var (leaseId, _, _, expiresAt) = await GenerateAsync(fixture.Alice, "app", "15m");
        var json = await (await fixture.Alice.GetAsync(Lease(leaseId))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(
            ["client_ref", "engine", "expires_at", "issued_at", "lease_duration", "lease_id", "max_expires_at", "renewable", "role"],
            json.PropertyNames());
        Assert.Null(json["client_ref"]);
        Assert.Equal(leaseId, json["lease_id"]!.GetValue<string>());
        Assert.Equal(expiresAt, Time(json["expires_at"]));
        Assert.InRange(json["lease_duration"]!.GetValue<int>(), 890, 900);
    }

    [Fact]
    public async Task Lookup_SomeoneElsesOrUnknownLease_IsLeaseNotFound_ButAdminSeesIt()
    {
        var (leaseId, _, _, _) = await GenerateAsync(fixture.Alice, "app", "5m");
        await (await fixture.Bob.GetAsync(Lease(leaseId))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
        await (await fixture.Alice.GetAsync(Lease("dyn_00000000000000000000000000000000"))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
        await (await Host.Admin.GetAsync(Lease(leaseId))).ShouldBeAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Renew_ExtendsFromNow_AndMovesValidUntil()
    {
        var (leaseId, username, _, expiresAt) = await GenerateAsync(fixture.Alice, "app", "1m");
        var json = await (await RenewAsync(fixture.Alice, leaseId, "10m")).ShouldBeAsync(HttpStatusCode.OK);

        Assert.Equal(600, json["lease_duration"]!.GetValue<int>());
        Assert.False(json.AsObject().ContainsKey("data"));
        var renewedTo = Time(json["expires_at"]);
        Assert.True(renewedTo > expiresAt.AddMinutes(8), $"{renewedTo:O} should be about 10 minutes from now");
        var validUntil = await TestEngine.ScalarAsync<DateTime>(Host.StateDatabase, $"SELECT rolvaliduntil FROM pg_roles WHERE rolname = '{username}'");
        Assert.InRange(new DateTimeOffset(validUntil, TimeSpan.Zero) - renewedTo, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Renew_BeyondMaxTtl_IsCappedWithAShorterDuration()
    {
        var (leaseId, _, _, _) = await GenerateAsync(fixture.Alice, "short", "5s");
        var json = await (await RenewAsync(fixture.Alice, leaseId, "1h")).ShouldBeAsync(HttpStatusCode.OK);
        Assert.InRange(json["lease_duration"]!.GetValue<int>(), 1, 20);
        Assert.Equal(json["max_expires_at"]!.GetValue<string>(), json["expires_at"]!.GetValue<string>());
        Assert.False(json["renewable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Renew_PastTheCap_IsLeaseNotFound()
    {
        var (leaseId, _, _, _) = await GenerateAsync(fixture.Alice, "tiny", "2s");
        var response = await Eventually.ReturnsAsync(
            () => RenewAsync(fixture.Alice, leaseId, "1h"),
            r => r.StatusCode != HttpStatusCode.OK,
            TimeSpan.FromSeconds(10),
            "the lease to reach its max TTL");
        await response.ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
    }

    [Fact]
    public async Task Renew_InvalidIncrement_IsInvalidDuration()
    {
        var (leaseId, _, _, _) = await GenerateAsync(fixture.Alice, "app", "1m");
        await (await RenewAsync(fixture.Alice, leaseId, "forever")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_duration");
    }

    [Fact]
    public async Task Renew_SomeoneElsesLease_IsLeaseNotFound()
    {
        var (leaseId, _, _, _) = await GenerateAsync(fixture.Alice, "app", "1m");
        await (await RenewAsync(fixture.Bob, leaseId, "5m")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
    }

    [Fact]
    public async Task Revoke_DropsTheUser_EndsItsSessions_AndIsIdempotent()
    {
        var (leaseId, username, password, _) = await GenerateAsync(fixture.Alice, "app", "10m");
        await using var session = await Engine.LoginAsync(username, password);

        var first = await RevokeAsync(fixture.Alice, leaseId);
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal("100", first.Header("X-RateLimit-Limit"));
        Assert.False(await Engine.UserExistsAsync(username));
        await using (var probe = new NpgsqlCommand("SELECT 1", session))
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => probe.ExecuteScalarAsync());
        }

        Assert.Equal(HttpStatusCode.NoContent, (await RevokeAsync(fixture.Alice, leaseId)).StatusCode);
        await (await fixture.Alice.GetAsync(Lease(leaseId))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
        await (await RenewAsync(fixture.Alice, leaseId, "1m")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
        await Assert.ThrowsAsync<PostgresException>(() => Engine.LoginAsync(username, password));
    }

    [Fact]
    public async Task Revoke_SomeoneElsesLease_IsLeaseNotFound_ButAdminMayRevokeIt()
    {
        var (leaseId, username, _, _) = await GenerateAsync(fixture.Alice, "app", "10m");
        await (await RevokeAsync(fixture.Bob, leaseId)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
        Assert.True(await Engine.UserExistsAsync(username));

        Assert.Equal(HttpStatusCode.NoContent, (await RevokeAsync(Host.Admin, leaseId)).StatusCode);
        Assert.False(await Engine.UserExistsAsync(username));
    }

    [Fact]
    public async Task Revoke_UnknownLease_IsLeaseNotFound() =>
        await (await RevokeAsync(fixture.Alice, "dyn_ffffffffffffffffffffffffffffffff")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");

    [Fact]
    public async Task List_Active_ShowsOnlyTheCallersLiveLeases()
    {
        var (aliceLease, _, _, _) = await GenerateAsync(fixture.Alice, "app", "5m");
        var (bobLease, _, _, _) = await GenerateAsync(fixture.Bob, "app", "5m");
        var (revoked, _, _, _) = await GenerateAsync(fixture.Bob, "app", "5m");
        await RevokeAsync(fixture.Bob, revoked);

        var bobs = (await ListAsync(fixture.Bob, $"engine={Engine.Name}")).Select(l => l["lease_id"]!.GetValue<string>()).ToList();
        Assert.Contains(bobLease, bobs);
        Assert.DoesNotContain(aliceLease, bobs);
        Assert.DoesNotContain(revoked, bobs);
        Assert.Empty(await ListAsync(fixture.Bob, "engine=no-such-engine"));
    }

    [Fact]
    public async Task List_StateAll_IsAdminOnly_AndShowsRevokedLeases()
    {
        var (leaseId, _, _, _) = await GenerateAsync(fixture.Bob, "app", "5m");
        await RevokeAsync(fixture.Bob, leaseId);

        await (await fixture.Bob.GetAsync(new Uri("v1/dynamic/leases?state=all", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        var lease = (await ListAsync(Host.Admin, $"engine={Engine.Name}&role=app&state=all")).Single(l => l["lease_id"]!.GetValue<string>() == leaseId);
        Assert.Equal("revoked", lease["state"]!.GetValue<string>());
        Assert.Equal(LeaseFixture.BobSubject, lease["identity_id"]!.GetValue<string>());
        Assert.NotNull(lease["revoked_at"]);
    }

    [Fact]
    public async Task List_UnknownState_IsInvalidRequest() =>
        await (await fixture.Alice.GetAsync(new Uri("v1/dynamic/leases?state=dead", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");

    [Fact]
    public async Task Metrics_CountActiveAndGeneratedLeases()
    {
        var before = await MetricsAsync();
        var (leaseId, _, _, _) = await GenerateAsync(fixture.Alice, "app", "5m");
        var during = await MetricsAsync();
        await RevokeAsync(fixture.Alice, leaseId);
        var after = await MetricsAsync();

        var active = $"scaivault_leases_active{{engine=\"{Engine.Name}\"}}";
        var generated = $"scaivault_leases_generated_total{{engine=\"{Engine.Name}\",role=\"app\"}}";
        Assert.Equal(Value(before, active) + 1, Value(during, active));
        Assert.Equal(Value(before, active), Value(after, active));
        Assert.Equal(Value(before, generated) + 1, Value(after, generated));
        Assert.Contains("# TYPE scaivault_leases_generated_total counter", after, StringComparison.Ordinal);
    }

    private async Task<(string LeaseId, string Username, string Password, DateTimeOffset ExpiresAt)> GenerateAsync(HttpClient client, string role, string ttl)
    {
        var json = await (await Engine.GenerateAsync(client, role, ttl)).ShouldBeAsync(HttpStatusCode.OK);
        return (
            json["lease_id"]!.GetValue<string>(),
            json["data"]!["username"]!.GetValue<string>(),
            json["data"]!["password"]!.GetValue<string>(),
            Time(json["expires_at"]));
    }

    private static Uri Lease(string leaseId) => new($"v1/dynamic/leases/{leaseId}", UriKind.Relative);

    private static Task<HttpResponseMessage> RenewAsync(HttpClient client, string leaseId, string increment) =>
        client.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/renew", UriKind.Relative), JsonContent.Create(new JsonObject { ["increment"] = increment }));

    private static Task<HttpResponseMessage> RevokeAsync(HttpClient client, string leaseId) =>
        client.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/revoke", UriKind.Relative), null);

    private static async Task<List<JsonNode>> ListAsync(HttpClient client, string query)
    {
        var json = await (await client.GetAsync(new Uri($"v1/dynamic/leases?{query}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        return [.. json["leases"]!.AsArray().Select(l => l!)];
    }

    private async Task<string> MetricsAsync()
    {
        var response = await Host.Admin.GetAsync(new Uri("v1/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    private static long Value(string metrics, string series)
    {
        var match = Regex.Match(metrics, "^" + Regex.Escape(series) + @" (\d+)$", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new Xunit.Sdk.XunitException($"No {series} in:\n{metrics}");
    }

    private static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);
}
