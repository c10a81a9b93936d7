using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using ScaiVault.Emulator.Hosting;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Hosting;

public class HostingTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private ScaiVaultEmulator Host => fixture.Host;

    [Fact]
    public void GetBaseAddress_AfterStartOnPortZero_ReportsTheBoundPort()
    {
        Assert.Equal("127.0.0.1", Host.BaseAddress.Host);
        Assert.True(Host.BaseAddress.Port > 0);
        Assert.EndsWith("/", Host.BaseAddress.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetBaseAddress_BeforeStart_Throws()
    {
        var app = EmulatorApp.Build(["--urls", "http://127.0.0.1:0", "--postgres", await TestPostgres.GetAdminConnectionStringAsync(), "--admin-token", "admin"]);
        await using (app)
        {
            Assert.Throws<InvalidOperationException>(() => app.GetBaseAddress());
        }
    }

    [Fact]
    public async Task Health_WithoutToken_IsHealthyWithTimestampAndRequestId()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var response = await Host.Anonymous.GetAsync(new Uri("v1/health", UriKind.Relative));
        var json = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(["status", "timestamp"], json.PropertyNames());
        Assert.Equal("healthy", json["status"]!.GetValue<string>());
        var timestamp = json["timestamp"]!.GetValue<string>();
        Assert.EndsWith("Z", timestamp, StringComparison.Ordinal);
        Assert.InRange(DateTimeOffset.Parse(timestamp, CultureInfo.InvariantCulture), before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Matches("^req_[0-9a-f]{24}$", response.Header("X-Request-ID"));
    }

    [Fact]
    public async Task Ready_WithReachablePostgres_Is200WithItsChecks()
    {
        var response = await Host.Anonymous.GetAsync(new Uri("v1/health/ready", UriKind.Relative));
        var json = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.True(
            JsonNode.DeepEquals(new JsonObject { ["status"] = "ready", ["checks"] = new JsonObject { ["database"] = "ok" } }, json),
            json.ToJsonString());
    }

    [Fact]
    public async Task Ready_WhenItsDatabaseIsGone_Is503_AndTheHostSurvives()
    {
        await using var host = await new ScaiVaultEmulatorBuilder().WithArguments("--sweep-interval", "50ms").StartAsync();
        await TestPostgres.DropDatabaseAsync(host.StateDatabase);

        var response = await host.Anonymous.GetAsync(new Uri("v1/health/ready", UriKind.Relative));
        var json = await response.ShouldBeAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(["checks", "errors", "status"], json.PropertyNames());
        Assert.Equal("not_ready", json["status"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["database"] = "error" }, json["checks"]), json.ToJsonString());
        Assert.Equal(["database"], json["errors"]!.PropertyNames());
        Assert.False(string.IsNullOrWhiteSpace(json["errors"]!["database"]!.GetValue<string>()));

        // The sweeper keeps failing against the missing database; the process must stay up.
        await Eventually.TrueAsync(
            async () => (await host.Anonymous.GetAsync(new Uri("v1/health", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(5),
            "liveness while the state database is gone");
        var state = await host.Admin.GetAsync(new Uri("v1/secrets/any", UriKind.Relative));
        await state.ShouldBeErrorAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");
    }

    [Fact]
    public async Task UnknownRoute_Is404Envelope()
    {
        var response = await Host.Admin.GetAsync(new Uri("v1/nothing/here", UriKind.Relative));
        await response.ShouldBeErrorAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task WrongMethod_Is405Envelope()
    {
        var response = await Host.Admin.DeleteAsync(new Uri("v1/health", UriKind.Relative));
        await response.ShouldBeErrorAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Theory]
    [InlineData("{\"subject_token\": ")]
    [InlineData("[1, 2]")]
    [InlineData("{\"subject_token\": 42}")]
    public async Task MalformedJson_Is400InvalidRequest(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await Host.Anonymous.PostAsync(new Uri("v1/auth/exchange", UriKind.Relative), content);
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task MissingBody_Is400InvalidRequest()
    {
        var response = await Host.Admin.PutAsync(new Uri("v1/secrets/a/b", UriKind.Relative), null);
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Metrics_ByDefault_AnswersWithoutToken()
    {
        var response = await Host.Anonymous.GetAsync(new Uri("v1/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE scaivault_leases_active gauge", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_WithMetricsRequireAdmin_NeedsTheAdminScope()
    {
        await using var host = await new ScaiVaultEmulatorBuilder().WithArguments("--dev", "--metrics-require-admin").StartAsync();
        await (await host.Anonymous.GetAsync(new Uri("v1/metrics", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "authentication_required");
        var workload = await host.WorkloadClientAsync("system:serviceaccount:ns:scraper");
        var error = await (await workload.GetAsync(new Uri("v1/metrics", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Equal("admin", error["details"]!["required_scope"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.GetAsync(new Uri("v1/metrics", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task EveryResponse_CarriesADistinctRequestId()
    {
        var first = await Host.Anonymous.GetAsync(new Uri("v1/health", UriKind.Relative));
        var second = await Host.Anonymous.PostAsync(new Uri("v1/auth/exchange", UriKind.Relative), JsonContent.Create(new { }));
        Assert.NotEqual(first.Header("X-Request-ID"), second.Header("X-Request-ID"));
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
    }
}
