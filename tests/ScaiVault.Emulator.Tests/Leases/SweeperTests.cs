using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Leases;

public class SweeperTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private ScaiVaultEmulator Host => fixture.Host;

    [Fact]
    public async Task ExpiredLease_IsRevokedAtTheSource()
    {
        var engine = await TestEngine.CreateAsync(Host);
        await engine.AddRoleAsync("app");
        var (leaseId, username) = await GenerateAsync(engine, "app", "1s");
        Assert.True(await engine.UserExistsAsync(username));

        await Eventually.TrueAsync(async () => !await engine.UserExistsAsync(username), Deadline, $"the sweeper to drop {username}");
        var lease = await Eventually.ReturnsAsync(() => AdminLeaseAsync(leaseId), l => l["state"]!.GetValue<string>() == "expired", Deadline, "state expired");
        Assert.NotNull(lease["revoked_at"]);
        Assert.Equal(0, lease["revoke_attempts"]!.GetValue<int>());
    }

    [Fact]
    public async Task FailingRevocation_IsRetriedWithBackoff_UntilItSucceeds()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var gate = $"gate_{engine.Suffix}";
        await TestEngine.SqlAsync(Host.StateDatabase, $"CREATE TABLE {gate} (open boolean)");

        // Fails with division by zero while the gate table is empty.
        await engine.AddRoleAsync("gated", revocation: [$"SELECT 1 / (SELECT count(*) FROM {gate})::int", .. TestEngine.ReliabilityRevocation]);
        var (leaseId, username) = await GenerateAsync(engine, "gated", "1s");

        var pending = await Eventually.ReturnsAsync(
            () => AdminLeaseAsync(leaseId),
            l => l["revoke_attempts"]!.GetValue<int>() >= 2,
            Deadline,
            "two failed revocation attempts");
        Assert.Equal("revoke_pending", pending["state"]!.GetValue<string>());
        Assert.Contains("22012", pending["last_error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(Time(pending["next_revoke_at"]) > DateTimeOffset.UtcNow.AddMilliseconds(-500), "the next attempt is scheduled in the future");
        Assert.True(await engine.UserExistsAsync(username));
        await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/leases/{leaseId}", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");

        await TestEngine.SqlAsync(Host.StateDatabase, $"INSERT INTO {gate} VALUES (true)");
        var done = await Eventually.ReturnsAsync(() => AdminLeaseAsync(leaseId), l => l["state"]!.GetValue<string>() == "expired", Deadline, "a successful retry");
        Assert.Null(done["last_error"]);
        Assert.False(await engine.UserExistsAsync(username));
    }

    [Fact]
    public async Task Revoke_WhenStatementsFail_Is503AndPending_ThenSucceedsLater()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var gate = $"gate_{engine.Suffix}";
        await TestEngine.SqlAsync(Host.StateDatabase, $"CREATE TABLE {gate} (open boolean)");
        await engine.AddRoleAsync("gated", revocation: [$"SELECT 1 / (SELECT count(*) FROM {gate})::int", .. TestEngine.ReliabilityRevocation]);
        var (leaseId, username) = await GenerateAsync(engine, "gated", "1h");

        var failed = await Host.Admin.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/revoke", UriKind.Relative), null);
        var error = await failed.ShouldBeErrorAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");
        Assert.Equal("revoke_pending", error["details"]!["state"]!.GetValue<string>());

        await TestEngine.SqlAsync(Host.StateDatabase, $"INSERT INTO {gate} VALUES (true)");
        var retried = await Host.Admin.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/revoke", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NoContent, retried.StatusCode);
        Assert.False(await engine.UserExistsAsync(username));
        Assert.Equal("revoked", (await AdminLeaseAsync(leaseId))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Revoke_UserDroppedOutOfBand_StillSucceeds()
    {
        var engine = await TestEngine.CreateAsync(Host);
        await engine.AddRoleAsync("app");
        var (leaseId, username) = await GenerateAsync(engine, "app", "1h");
        await TestEngine.SqlAsync(Host.StateDatabase, $"DROP ROLE \"{username}\"");

        var response = await Host.Admin.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/revoke", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("revoked", (await AdminLeaseAsync(leaseId))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Renew_UserDroppedOutOfBand_IsLeaseNotFound_AndTheLeaseIsRevoked()
    {
        var engine = await TestEngine.CreateAsync(Host);
        await engine.AddRoleAsync("app");
        var (leaseId, username) = await GenerateAsync(engine, "app", "1h");
        await TestEngine.SqlAsync(Host.StateDatabase, $"DROP ROLE \"{username}\"");

        var response = await Host.Admin.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/renew", UriKind.Relative), null);
        await response.ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
        Assert.Equal("revoked", (await AdminLeaseAsync(leaseId))["state"]!.GetValue<string>());
    }

    private async Task<(string LeaseId, string Username)> GenerateAsync(TestEngine engine, string role, string ttl)
    {
        var json = await (await engine.GenerateAsync(Host.Admin, role, ttl)).ShouldBeAsync(HttpStatusCode.OK);
        return (json["lease_id"]!.GetValue<string>(), json["data"]!["username"]!.GetValue<string>());
    }

    private async Task<JsonNode> AdminLeaseAsync(string leaseId)
    {
        var json = await (await Host.Admin.GetAsync(new Uri("v1/dynamic/leases?state=all", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        return json["leases"]!.AsArray().Single(l => l!["lease_id"]!.GetValue<string>() == leaseId)!;
    }

    private static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);
}
