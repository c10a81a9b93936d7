using System.Globalization;
using System.Net;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.RateLimiting;

public sealed class RateLimitFixture : EmulatorFixture
{
    protected override string[] Arguments =>
        ["--dev", "--rate-limit-generate", "2", "--rate-limit-lease-ops", "3", "--rate-limit-reads", "0", "--rate-limit-polls", "2"];
}

public class RateLimitTests(RateLimitFixture fixture) : IClassFixture<RateLimitFixture>
{
    private EmulatorHost Host => fixture.Host;

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
    public async Task RenewAndRevoke_ShareOneBudget_AndLookupIsNotLimited()
    {
        var client = await Host.WorkloadClientAsync("system:serviceaccount:rl:ops");
        const string Lease = "v1/dynamic/leases/dyn_00000000000000000000000000000000";
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(new Uri(Lease + "/renew", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(new Uri(Lease + "/revoke", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(new Uri(Lease + "/renew", UriKind.Relative), null)).StatusCode);
        await (await client.PostAsync(new Uri(Lease + "/revoke", UriKind.Relative), null)).ShouldBeErrorAsync(HttpStatusCode.TooManyRequests, "rate_limited");

        var lookup = await client.GetAsync(new Uri(Lease, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
        Assert.False(lookup.Headers.Contains("X-RateLimit-Limit"));
    }

    [Fact]
    public async Task Polls_OverTheLimit_Are429WithRetryAfter_AndOtherSubscriptionCallsAreNotLimited()
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
        Assert.False(ack.Headers.Contains("X-RateLimit-Limit"));
    }

    [Fact]
    public async Task ZeroLimit_TurnsTheClassOff()
    {
        var response = await Host.Admin.GetAsync(new Uri("v1/secrets/none", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("X-RateLimit-Limit"));
    }
}
