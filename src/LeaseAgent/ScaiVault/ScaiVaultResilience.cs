using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace LeaseAgent.ScaiVault;

/// <summary>
/// The Polly pipeline around one ScaiVault operation: total timeout → retry → per-attempt timeout.
/// Only the contract's transient errors are retried, with full-jitter exponential backoff that honours
/// <c>Retry-After</c> and never schedules an attempt past the caller's deadline (the time a lease has left).
/// </summary>
public static class ScaiVaultResilience
{
    /// <summary>The moment (on <see cref="TimeProvider.GetTimestamp"/>) after which retrying is pointless.</summary>
    public static readonly ResiliencePropertyKey<long> Deadline = new("leaseagent.deadline");

    public static ResiliencePipeline Create(TimeSpan attemptTimeout, TimeSpan totalTimeout, int maxRetries, TimeProvider time)
    {
        var retry = new RetryStrategyOptions
        {
            MaxRetryAttempts = maxRetries,
            ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome.Exception, args.AttemptNumber, args.Context, time)),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(NextDelay(args.Outcome.Exception, args.AttemptNumber, args.Context, time)),
        };

        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(totalTimeout)
            .AddRetry(retry)
            .AddTimeout(new TimeoutStrategyOptions
            {
                Timeout = attemptTimeout,
                OnTimeout = _ => default,
            })
            .Build();
    }

    /// <summary>Full jitter: uniform in [0, min(cap, base · 2^attempt)] (AWS architecture blog's "full jitter").</summary>
    public static TimeSpan FullJitter(int attempt, TimeSpan baseDelay, TimeSpan cap, Random random)
    {
        var ceiling = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        return TimeSpan.FromMilliseconds(random.NextDouble() * Math.Min(cap.TotalMilliseconds, ceiling));
    }

    internal static bool ShouldRetry(Exception? exception, int attempt, ResilienceContext context, TimeProvider time)
    {
        var retryable = exception switch
        {
            ScaiVaultException { Code: ErrorCodes.InternalError } => attempt == 0, // the contract: internal_error once
            ScaiVaultException e => e.IsTransient,
            TimeoutRejectedException => true,
            _ => false,
        };

        return retryable && TimeLeft(context, time) > TimeSpan.Zero;
    }

    internal static TimeSpan NextDelay(Exception? exception, int attempt, ResilienceContext context, TimeProvider time)
    {
        var delay = exception is ScaiVaultException { RetryAfter: { } retryAfter }
            ? retryAfter + FullJitter(0, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250), Random.Shared)
            : FullJitter(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), Random.Shared);

        var left = TimeLeft(context, time);
        return delay < left ? delay : left;
    }

    private static TimeSpan TimeLeft(ResilienceContext context, TimeProvider time) =>
        context.Properties.TryGetValue(Deadline, out var deadline)
            ? time.GetElapsedTime(time.GetTimestamp(), deadline)
            : TimeSpan.MaxValue;
}
