using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>
/// Whose ScaiVault token a Mount uses: the server, the audience and the pod (namespace, service account, pod UID,
/// all from the kubelet's keys, which pod authors cannot spoof). A pod is its own identity, not its service
/// account, because ScaiVault policies may bind to pod claims of the JWT. A request without pod info (a CSIDriver
/// without <c>podInfoOnMount</c>) is keyed by a hash of its JWT instead, so two pods can never share a token.
/// </summary>
internal readonly record struct TokenCacheKey(string Url, string Audience, string? Namespace, string? ServiceAccount, string PodUid)
{
    public static TokenCacheKey For(MountPlan plan, ScaiVaultServer server) => new(
        server.Url,
        plan.Audience,
        plan.Pod.Namespace,
        plan.Pod.ServiceAccount,
        plan.Pod.Uid ?? "jwt-sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plan.Token.Value))));
}

/// <summary>
/// The ScaiVault tokens of the pods on this node, one <see cref="WorkloadTokenExchange"/> per <see cref="TokenCacheKey"/>
/// (so one exchange in flight per pod, however many Mounts arrive together), at most <c>--token-cache-size</c> of
/// them; the least recently used is forgotten first.
/// </summary>
internal sealed class PodTokenCache(int capacity, TimeProvider time, ILoggerFactory loggers)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TokenCacheKey, LinkedListNode<(TokenCacheKey Key, PodToken Token)>> _byKey = [];
    private readonly LinkedList<(TokenCacheKey Key, PodToken Token)> _recency = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byKey.Count;
            }
        }
    }

    /// <summary>The pod's token source, holding <paramref name="jwt"/> (the latest the kubelet minted) for its next exchange.</summary>
    public PodToken Get(TokenCacheKey key, ScaiVaultServer server, ServiceAccountToken jwt)
    {
        PodToken token;
        lock (_lock)
        {
            if (_byKey.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                token = node.Value.Token;
            }
            else
            {
                token = new PodToken(server, time, loggers.CreateLogger<WorkloadTokenExchange>());
                _byKey[key] = _recency.AddFirst((key, token));
                if (_byKey.Count > capacity)
                {
                    // Not disposed: a Mount may still be using it; it holds no unmanaged resource and is collected.
                    var evicted = _recency.Last!;
                    _recency.RemoveLast();
                    _byKey.Remove(evicted.Value.Key);
                }
            }
        }

        token.Offer(jwt);
        return token;
    }
}

/// <summary>
/// One pod's ScaiVault token: exchanged from the pod's own service-account JWT, reused for
/// <c>min(expires_in − 60 s, 50 min)</c> (<see cref="WorkloadTokenExchange"/>) but never past the
/// <c>expirationTimestamp</c> of the JWT it was exchanged from: a pod whose token the kubelet no longer renews
/// (deleted, or its service account gone) keeps no access through the cache.
/// </summary>
internal sealed class PodToken : IScaiVaultTokenSource, IDisposable
{
    private readonly WorkloadTokenExchange _exchange;
    private readonly TimeProvider _time;
    private volatile ServiceAccountToken? _latest;
    private volatile StrongBox<DateTimeOffset>? _exchangedJwtExpires;

    public PodToken(ScaiVaultServer server, TimeProvider time, ILogger<WorkloadTokenExchange> logger)
    {
        _time = time;
        _exchange = new WorkloadTokenExchange(server.Http, server.Options, _ => ValueTask.FromResult(TakeLatest()), time, logger);
    }

    public void Offer(ServiceAccountToken jwt) => _latest = jwt;

    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_exchangedJwtExpires is { } expires && _time.GetUtcNow() >= expires.Value)
        {
            _exchange.Invalidate();
        }

        return _exchange.GetTokenAsync(cancellationToken);
    }

    public void Invalidate() => _exchange.Invalidate();

    /// <summary>Only for owners sure no Mount uses it any more; the cache never calls it (see <see cref="PodTokenCache.Get"/>).</summary>
    public void Dispose() => _exchange.Dispose();

    /// <summary>Called by the exchange (one at a time): the JWT to trade, remembering when it ends.</summary>
    private string TakeLatest()
    {
        var jwt = _latest ?? throw new InvalidOperationException("a pod token is exchanged only after a Mount offered its JWT");
        _exchangedJwtExpires = jwt.ExpiresAt is { } at ? new StrongBox<DateTimeOffset>(at) : null;
        return jwt.Value;
    }
}
