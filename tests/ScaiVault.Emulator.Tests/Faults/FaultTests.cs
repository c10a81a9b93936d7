using LeaseAgent.Testing;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Faults;

public class FaultTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>, IAsyncLifetime
{
    private const string UnknownLease = "v1/dynamic/leases/dyn_00000000000000000000000000000000";

    private ScaiVaultEmulator Host => fixture.Host;

    // Faults are process-wide state of the fixture's emulator: every test starts without any.
    public async Task InitializeAsync() =>
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Anonymous.DeleteAsync(new Uri("_emulator/faults", UriKind.Relative))).StatusCode);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Status503_OnRenew_AnswersTheEnvelope_AndSparesOtherRoutes()
    {
        await SetFaultAsync(new JsonObject { ["route"] = "renew", ["status"] = 503 });

        var renew = await Host.Admin.PostAsync(new Uri(UnknownLease + "/renew", UriKind.Relative), null);
        await renew.ShouldBeErrorAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");
        Assert.Equal("1", renew.Header("Retry-After"));
        var lookup = await Host.Admin.GetAsync(new Uri(UnknownLease, UriKind.Relative));
        await lookup.ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
    }

    [Fact]
    public async Task Faults_ApplyBeforeAuthentication()
    {
        await SetFaultAsync(new JsonObject { ["route"] = "generate", ["status"] = 500 });
        var response = await TestEngine.GenerateAsync(Host.Anonymous, "any", "role");
        await response.ShouldBeErrorAsync(HttpStatusCode.InternalServerError, "internal_error");
    }

    [Fact]
    public async Task Status429_IsRateLimitedWithRetryAfter()
    {
        await SetFaultAsync(new JsonObject { ["route"] = "exchange", ["status"] = 429, ["retry_after"] = 7 });
        var response = await Host.Anonymous.PostAsync(new Uri("v1/auth/exchange", UriKind.Relative), JsonContent.Create(new JsonObject()));
        await response.ShouldBeErrorAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal("7", response.Header("Retry-After"));
    }

    [Fact]
    public async Task Drop_AbortsTheConnection()
    {
        await SetFaultAsync(new JsonObject { ["route"] = "lookup", ["drop"] = true });
        using var client = Host.CreateClient(ScaiVaultEmulatorBuilder.DefaultAdminToken);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync(new Uri(UnknownLease, UriKind.Relative)));
    }

    [Fact]
    public async Task Latency_DelaysAndThenHandlesTheRequest()
    {
        await SetFaultAsync(new JsonObject { ["route"] = "lookup", ["latency_ms"] = 400 });
        var started = Stopwatch.StartNew();
        var response = await Host.Admin.GetAsync(new Uri(UnknownLease, UriKind.Relative));
        Assert.True(started.ElapsedMilliseconds >= 390, $"answered after {started.ElapsedMilliseconds} ms");
        await response.ShouldBeErrorAsync(HttpStatusCode.NotFound, "lease_not_found");
    }

    [Fact]
    public async Task After_HandlesTheRequest_ThenDropsTheAnswer()
    {
        await SetFaultAsync(new JsonObject { ["route"] = "secrets", ["drop"] = true, ["after"] = true, ["count"] = 1 });
        var path = "v1/secrets/faults/after-" + TestEngine.NewSuffix();
        using var client = Host.CreateClient(ScaiVaultEmulatorBuilder.DefaultAdminToken);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PutAsync(
            new Uri(path, UriKind.Relative),
            JsonContent.Create(new JsonObject { ["data"] = new JsonObject { ["k"] = "v" } })));

        // The write happened although its answer never arrived.
        var read = await Host.Admin.GetAsync(new Uri(path, UriKind.Relative));
        await read.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(1, (await read.Content.ReadFromJsonAsync<JsonObject>())!["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task After_WithStatus_IsInvalidRequest()
    {
        var response = await Host.Anonymous.PutAsync(
            new Uri("_emulator/faults", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["route"] = "generate", ["status"] = 503, ["after"] = true }));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Count_LimitsHowOftenTheFaultHits()
    {
        await SetFaultAsync(new JsonObject { ["route"] = "revoke", ["status"] = 503, ["count"] = 2 });
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await Host.Admin.PostAsync(new Uri(UnknownLease + "/revoke", UriKind.Relative), null)).StatusCode);
        }

        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.NotFound], statuses);
    }

    [Fact]
    public async Task RateZero_NeverHits_RateOne_AlwaysHits()
    {
        await SetFaultAsync(new JsonObject { ["route"] = "health", ["status"] = 503, ["rate"] = 0.0 });
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Host.Anonymous.GetAsync(new Uri("v1/health", UriKind.Relative))).StatusCode);
        }

        await SetFaultAsync(new JsonObject { ["route"] = "health", ["status"] = 503, ["rate"] = 1.0 });
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Host.Anonymous.GetAsync(new Uri("v1/health", UriKind.Relative))).StatusCode);
        }
    }

    [Fact]
    public async Task Wildcard_SparesEmulatorEndpoints_AndDeleteClearsIt()
    {
        await SetFaultAsync(new JsonObject { ["route"] = "*", ["status"] = 503 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Host.Anonymous.GetAsync(new Uri("v1/health", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Host.Admin.GetAsync(new Uri("v1/no/such/route", UriKind.Relative))).StatusCode);

        var listed = await (await Host.Anonymous.GetAsync(new Uri("_emulator/faults", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("*", Assert.Single(listed["faults"]!.AsArray())!["route"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await Host.Anonymous.PostAsync(
            new Uri("_emulator/tokens", UriKind.Relative), JsonContent.Create(new JsonObject { ["sub"] = "x" }))).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Host.Anonymous.DeleteAsync(new Uri("_emulator/faults", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.Anonymous.GetAsync(new Uri("v1/health", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("{\"route\":\"everything\",\"status\":503}")]
    [InlineData("{\"route\":\"renew\",\"status\":200}")]
    [InlineData("{\"route\":\"renew\",\"status\":503,\"rate\":1.5}")]
    [InlineData("{\"route\":\"renew\"}")]
    public async Task InvalidFault_IsInvalidRequest(string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        await (await Host.Anonymous.PutAsync(new Uri("_emulator/faults", UriKind.Relative), content))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task WithoutDev_EmulatorEndpointsNeedTheAdminToken_AndTokensAreNotServed()
    {
        await using var host = await new ScaiVaultEmulatorBuilder().StartAsync();
        var body = JsonContent.Create(new JsonObject { ["route"] = "renew", ["status"] = 503 });
        await (await host.Anonymous.PutAsync(new Uri("_emulator/faults", UriKind.Relative), body))
            .ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "authentication_required");
        await (await host.Admin.PutAsync(new Uri("_emulator/faults", UriKind.Relative), body)).ShouldBeAsync(HttpStatusCode.OK);
        await (await host.Admin.PostAsync(new Uri("_emulator/tokens", UriKind.Relative), JsonContent.Create(new JsonObject { ["sub"] = "x" })))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "not_found");
    }

    private async Task SetFaultAsync(JsonObject fault) =>
        await (await Host.Anonymous.PutAsync(new Uri("_emulator/faults", UriKind.Relative), JsonContent.Create(fault))).ShouldBeAsync(HttpStatusCode.OK);
}
