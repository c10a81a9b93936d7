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

    private readonly ConcurrentDictionary<(string Identity, RateLimitClass Class), Queue<DateTimeOffset>> _windows = new();

    /// <summary>The per-minute limit of the class; 0 means unlimited.</summary>
    public int LimitOf(RateLimitClass limitClass) => limitClass switch
    {
        RateLimitClass.Generate => options.RateLimitGenerate,
        RateLimitClass.LeaseOperations => options.RateLimitLeaseOperations,
        RateLimitClass.SecretReads => options.RateLimitReads,
        RateLimitClass.SubscriptionPolls => options.RateLimitPolls,
        _ => throw new ArgumentOutOfRangeException(nameof(limitClass), limitClass, "Unknown rate-limit class."),
    };

    public RateLimitDecision Acquire(string identity, RateLimitClass limitClass)
    {
        var limit = LimitOf(limitClass);
        var now = time.GetUtcNow();
        var log = _windows.GetOrAdd((identity, limitClass), _ => new Queue<DateTimeOffset>());
        lock (log)
        {
            while (log.Count > 0 && log.Peek() <= now - Window)
            {
                log.Dequeue();
            }

            var allowed = log.Count < limit;
            if (allowed)
            {
                log.Enqueue(now);
            }

            var reset = (log.Count > 0 ? log.Peek() : now) + Window;
            return new RateLimitDecision(allowed, limit, limit - log.Count, reset);
        }
    }
}
