using LeaseAgent.Testing;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.RateLimiting;

public sealed class RateLimitFixture : EmulatorFixture
{
    protected override ScaiVaultEmulatorBuilder Emulator => new ScaiVaultEmulatorBuilder()
        .WithDevEndpoints()
        .WithRateLimits(generate: 2, leaseOperations: 3, reads: 0, polls: 2, subscriptionOperations: 4, other: 500);

    public CapturingLoggerProvider Logs { get; } = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Host.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Logs.Dispose();
    }
}

public class RateLimitTests(RateLimitFixture fixture) : IClassFixture<RateLimitFixture>
{
    private ScaiVaultEmulator Host => fixture.Host;

    [Fact]
    public async Task Generate_OverTheLimit_Is429WithRetryAfterAndRateLimitHeaders()
    {
        var client = await Host.WorkloadClientAsync("system:serviceaccount:rl:generate");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        // Requests count whatever their outcome; an unknown engine keeps the test free of side effects.
        var first = await TestEngine.GenerateAsync(client, "nowhere", "app");
        var second = await TestEngine.GenerateAsync(client, "nowhere", "app");
        var third = await TestEngine.GenerateAsync(client, "nowhere", "app");

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(("2", "1"), (first.Header("X-RateLimit-Limit"), first.Header("X-RateLimit-Remaining")));
        Assert.Equal("0", second.Header("X-RateLimit-Remaining"));
        var error = await third.ShouldBeErrorAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(("2", "0"), (third.Header("X-RateLimit-Limit"), third.Header("X-RateLimit-Remaining")));
        var retryAfter = int.Parse(third.Header("Retry-After"), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        var reset = long.Parse(third.Header("X-RateLimit-Reset"), CultureInfo.InvariantCulture);
        Assert.InRange(reset, now + 1, now + 61);
        Assert.Equal(retryAfter, error["details"]!["retry_after"]!.GetValue<int>());
    }

    [Fact]
    public async Task Limits_ArePerIdentity()
    {
        var greedy = await Host.WorkloadClientAsync("system:serviceaccount:rl:greedy");
        var polite = await Host.WorkloadClientAsync("system:serviceaccount:rl:polite");
        for (var i = 0; i < 2; i++)
        {
            await TestEngine.GenerateAsync(greedy, "nowhere", "app");
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await TestEngine.GenerateAsync(greedy, "nowhere", "app")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await TestEngine.GenerateAsync(polite, "nowhere", "app")).StatusCode);
    }

    [Fact]
    public async Task RenewAndRevoke_ShareOneBudget_AndLookupCountsAgainstOther()
    {
        var client = await Host.WorkloadClientAsync("system:serviceaccount:rl:ops");
        const string Lease = "v1/dynamic/leases/dyn_00000000000000000000000000000000";
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(new Uri(Lease + "/renew", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(new Uri(Lease + "/revoke", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(new Uri(Lease + "/renew", UriKind.Relative), null)).StatusCode);
        await (await client.PostAsync(new Uri(Lease + "/revoke", UriKind.Relative), null)).ShouldBeErrorAsync(HttpStatusCode.TooManyRequests, "rate_limited");

        var lookup = await client.GetAsync(new Uri(Lease, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
        Assert.Equal("500", lookup.Header("X-RateLimit-Limit"));
    }

    [Fact]
    public async Task Polls_OverTheLimit_Are429WithRetryAfter_AndAckCountsAgainstSubscriptionOperations()
    {
        var client = await Host.WorkloadClientAsync("system:serviceaccount:rl:poller");
        var id = await SubscriptionApi.CreateAsync(client, ["rl/polls"], ["secret.updated"]);

        var first = await SubscriptionApi.PollResponseAsync(client, id, 0);
        var second = await SubscriptionApi.PollResponseAsync(client, id, 0);
        var third = await SubscriptionApi.PollResponseAsync(client, id, 0);

        await first.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(("2", "1"), (first.Header("X-RateLimit-Limit"), first.Header("X-RateLimit-Remaining")));
        await second.ShouldBeAsync(HttpStatusCode.OK);
        var error = await third.ShouldBeErrorAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = int.Parse(third.Header("Retry-After"), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(retryAfter, error["details"]!["retry_after"]!.GetValue<int>());

        var ack = await SubscriptionApi.AckResponseAsync(client, id, "evt_none");
        Assert.Equal(HttpStatusCode.NoContent, ack.StatusCode);
        Assert.Equal(("4", "2"), (ack.Header("X-RateLimit-Limit"), ack.Header("X-RateLimit-Remaining"))); // create, then ack
    }

    /// <summary>RATE: "Subscription operations 20 per minute"; which calls count is ours: create, get, delete and ack (not polls).</summary>
    [Fact]
    public async Task SubscriptionOperations_CreateGetAckDelete_ShareOneBudget_AndPollsHaveTheirOwn()
    {
        var client = await Host.WorkloadClientAsync("system:serviceaccount:rl:subscriber");
        var id = await SubscriptionApi.CreateAsync(client, ["rl/ops"], ["secret.updated"]);
        var subscription = new Uri($"v1/subscriptions/{id}", UriKind.Relative);
        var get = await client.GetAsync(subscription);
        await get.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(("4", "2"), (get.Header("X-RateLimit-Limit"), get.Header("X-RateLimit-Remaining")));
        Assert.Equal(HttpStatusCode.NoContent, (await SubscriptionApi.AckResponseAsync(client, id, "evt_none")).StatusCode);

        // The poll is not a subscription operation: it neither counts nor is refused here.
        var poll = await SubscriptionApi.PollResponseAsync(client, id, 0);
        await poll.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("2", poll.Header("X-RateLimit-Limit"));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(subscription)).StatusCode);
        var refused = await client.PostAsync(new Uri("v1/subscriptions", UriKind.Relative), JsonContent.Create(new { name = "n", paths = new[] { "a" }, events = new[] { "secret.updated" } }));
        await refused.ShouldBeErrorAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(("4", "0"), (refused.Header("X-RateLimit-Limit"), refused.Header("X-RateLimit-Remaining")));
        Assert.Contains(fixture.Logs.Lines, l => l.Contains("[150]", StringComparison.Ordinal) && l.Contains("system:serviceaccount:rl:subscriber", StringComparison.Ordinal));
    }

    /// <summary>RATE: "Every response includes" the headers: successes, errors, unknown routes, failed authentication and 429s alike.</summary>
    [Fact]
    public async Task EveryResponse_CarriesAllThreeRateLimitHeaders()
    {
        var workload = await Host.WorkloadClientAsync("system:serviceaccount:rl:every");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var i = 0; i < 2; i++)
        {
            await TestEngine.GenerateAsync(workload, "nowhere", "app");
        }

        var responses = new (string What, HttpStatusCode Status, HttpResponseMessage Response)[]
        {
            ("health, anonymous", HttpStatusCode.OK, await Host.Anonymous.GetAsync(new Uri("v1/health", UriKind.Relative))),
            ("whoami", HttpStatusCode.OK, await workload.GetAsync(new Uri("v1/auth/whoami", UriKind.Relative))),
            ("metrics", HttpStatusCode.OK, await Host.Admin.GetAsync(new Uri("v1/metrics", UriKind.Relative))),
            ("unknown route", HttpStatusCode.NotFound, await workload.GetAsync(new Uri("v1/nothing/here", UriKind.Relative))),
            ("wrong method", HttpStatusCode.MethodNotAllowed, await workload.DeleteAsync(new Uri("v1/auth/whoami", UriKind.Relative))),
            ("no token", HttpStatusCode.Unauthorized, await Host.Anonymous.GetAsync(new Uri("v1/subscriptions/sub_x", UriKind.Relative))),
            ("bad token", HttpStatusCode.Unauthorized, await Host.CreateClient("svt_not_a_token").GetAsync(new Uri("v1/dynamic/leases", UriKind.Relative))),
            ("missing scope", HttpStatusCode.Forbidden, await workload.PutAsync(new Uri("v1/secrets/rl/x", UriKind.Relative), JsonContent.Create(new { data = new { a = 1 } }))),
            ("validation", HttpStatusCode.UnprocessableEntity, await workload.PostAsync(new Uri("v1/subscriptions", UriKind.Relative), JsonContent.Create(new { name = "" }))),
            ("rate limited", HttpStatusCode.TooManyRequests, await TestEngine.GenerateAsync(workload, "nowhere", "app")),
            ("bad exchange", HttpStatusCode.Unauthorized, await Host.Anonymous.PostAsync(new Uri("v1/auth/exchange", UriKind.Relative), JsonContent.Create(new { subject_token = "x" }))),
        };

        Assert.All(responses, r =>
        {
            Assert.True(r.Status == r.Response.StatusCode, $"{r.What}: {r.Response.StatusCode}");
            var limit = long.Parse(r.Response.Header("X-RateLimit-Limit"), CultureInfo.InvariantCulture);
            var remaining = long.Parse(r.Response.Header("X-RateLimit-Remaining"), CultureInfo.InvariantCulture);
            var reset = long.Parse(r.Response.Header("X-RateLimit-Reset"), CultureInfo.InvariantCulture);
            Assert.InRange(remaining, 0, limit);
            Assert.InRange(reset, now - 1, now + 61);
        });
    }

    [Fact]
    public async Task ZeroLimit_TurnsTheClassOff()
    {
        var response = await Host.Admin.GetAsync(new Uri("v1/secrets/none", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("X-RateLimit-Limit"));
    }
}
