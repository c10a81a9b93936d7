using System.Collections.Concurrent;
using ScaiVault.Emulator.Hosting;

namespace ScaiVault.Emulator.RateLimiting;

/// <summary>
/// A sliding-window log per identity and class: at most N accepted requests in any 60-second
/// window, so a client cannot burst 2N across a window boundary as with fixed windows.
/// Rejected requests do not count. In memory: a restart of the emulator forgets the windows.
/// </summary>
internal sealed class IdentityRateLimiter(EmulatorOptions options, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(string Key, RateLimitClass Class), Queue<DateTimeOffset>> _windows = new();

    /// <summary>The per-minute limit of the class; 0 means unlimited.</summary>
    public int LimitOf(RateLimitClass limitClass) => limitClass switch
    {
        RateLimitClass.Generate => options.RateLimitGenerate,
        RateLimitClass.LeaseOperations => options.RateLimitLeaseOperations,
        RateLimitClass.SecretReads => options.RateLimitReads,
        RateLimitClass.SubscriptionPolls => options.RateLimitPolls,
        RateLimitClass.SubscriptionOperations => options.RateLimitSubscriptionOperations,
        RateLimitClass.Other => options.RateLimitOther,
        _ => throw new ArgumentOutOfRangeException(nameof(limitClass), limitClass, "Unknown rate-limit class."),
    };

    /// <summary>Counts the request if the window has room; <paramref name="key"/> is an identity or a client address.</summary>
    public RateLimitDecision Acquire(string key, RateLimitClass limitClass) => Decide(key, limitClass, count: true);

    /// <summary>The window's state without counting anything: for answers given before the request reached its limit.</summary>
    public RateLimitDecision Peek(string key, RateLimitClass limitClass) => Decide(key, limitClass, count: false);

    private RateLimitDecision Decide(string key, RateLimitClass limitClass, bool count)
    {
        var limit = LimitOf(limitClass);
        var now = time.GetUtcNow();
        var log = _windows.GetOrAdd((key, limitClass), _ => new Queue<DateTimeOffset>());
        lock (log)
        {
            while (log.Count > 0 && log.Peek() <= now - Window)
            {
                log.Dequeue();
            }

            var allowed = log.Count < limit;
            if (allowed && count)
            {
                log.Enqueue(now);
            }

            // An empty window has nothing to wait for: it is full again now.
            var reset = log.Count > 0 ? log.Peek() + Window : now;
            return new RateLimitDecision(allowed, limit, limit - log.Count, reset);
        }
    }
}
