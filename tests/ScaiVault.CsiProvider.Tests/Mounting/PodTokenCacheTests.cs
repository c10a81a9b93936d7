using Microsoft.Extensions.Logging.Abstractions;
using ScaiVault.CsiProvider.Mounting;

namespace ScaiVault.CsiProvider.Tests.Mounting;

public sealed class PodTokenCacheTests : IDisposable
{
    private readonly ScaiVaultServers _servers = new(MountRequests.Options, TimeProvider.System);
    private readonly ServiceAccountToken _jwt = new(MountRequests.Token, DateTimeOffset.UtcNow.AddHours(1));

    [Fact]
    public void Get_BeyondTheCapacity_ForgetsTheLeastRecentlyUsedPod()
    {
        var server = _servers.For(MountRequests.Options.ScaiVaultUrl);
        var cache = new PodTokenCache(2, TimeProvider.System, NullLoggerFactory.Instance);
        var (a, b, c) = (Key(server, "a"), Key(server, "b"), Key(server, "c"));

        var tokenA = cache.Get(a, server, _jwt);
        var tokenB = cache.Get(b, server, _jwt);
        Assert.Same(tokenA, cache.Get(a, server, _jwt)); // a is now the most recently used
        cache.Get(c, server, _jwt);                       // evicts b

        Assert.Equal(2, cache.Count);
        Assert.Same(tokenA, cache.Get(a, server, _jwt));
        Assert.NotSame(tokenB, cache.Get(b, server, _jwt));
    }

    [Fact]
    public void Key_WithoutPodInfo_IsTheJwtsHash_SoTwoPodsNeverShareAToken()
    {
        var server = _servers.For(new Uri("https://scaivault.scailabs.ai/"));
        var plan = new MountPlan([], MountRequests.Options.ScaiVaultUrl, "scaivault", _jwt, 420, new PodIdentity(null, null, null, null));
        var other = plan with { Token = new ServiceAccountToken(MountRequests.Token + "x", null) };

        var key = TokenCacheKey.For(plan, server);

        Assert.StartsWith("jwt-sha256:", key.PodUid, StringComparison.Ordinal);
        Assert.DoesNotContain(MountRequests.Token, key.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(key, TokenCacheKey.For(other, server));
        Assert.Equal("https://scaivault.scailabs.ai", key.Url); // one server, whatever the trailing slash
    }

    public void Dispose() => _servers.Dispose();

    private static TokenCacheKey Key(ScaiVaultServer server, string podUid) => new(server.Url, "scaivault", "ns", "sa", podUid);
}
