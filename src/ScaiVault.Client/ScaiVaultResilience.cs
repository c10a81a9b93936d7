using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ScaiVault.Client;

/// <summary>
/// The Polly pipeline around one ScaiVault operation: total timeout → retry → per-attempt timeout.
/// Only the contract's transient errors are retried, with full-jitter exponential backoff that honours
/// <c>Retry-After</c> and never schedules an attempt past the caller's deadline (the time a lease has left).
/// </summary>
public static class ScaiVaultResilience
{
    /// <summary>The moment after which retrying is pointless: no retry is scheduled past it.</summary>
    public static readonly ResiliencePropertyKey<Deadline> Deadline = new("leaseagent.deadline");

    /// <summary>The longest <c>Retry-After</c> the pipeline waits itself before retrying.</summary>
    public static readonly TimeSpan LongestRetryAfterWaitedInline = TimeSpan.FromSeconds(2);

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

    /// <summary>
    /// The longest <c>Retry-After</c> the agent honours: a proxy or WAF answering <c>Retry-After: 86400</c> must not
    /// keep the agent from its credential for a day. Five rate-limit windows leave ScaiVault's own limits room.
    /// </summary>
    public static readonly TimeSpan LongestRetryAfter = TimeSpan.FromMinutes(5);

    /// <summary>The window of ScaiVault's per-identity rate limits (100 generations per minute, …).</summary>
    public static readonly TimeSpan RateLimitWindow = TimeSpan.FromMinutes(1);

    /// <summary>
    /// When the lease supervisor tries again after a failed operation (the <paramref name="attempt"/>-th in a row).
    /// Without <c>Retry-After</c>: full jitter from 1 s, capped at 30 s. With it: never before it (at most
    /// <see cref="LongestRetryAfter"/>, which <see cref="ScaiVaultHttp"/> already applies and reports), plus a spread
    /// that starts at 10 s and doubles with every refusal in a row up to the whole window. A fleet refused together
    /// is told the same moment (when the window's oldest acceptance ages out); coming back together, all but a
    /// few would be refused again and again, so the spread turns one herd into a trickle the window can absorb.
    /// </summary>
    public static TimeSpan BackoffAfterFailure(int attempt, Exception? error, Random random)
    {
        if (error is not ScaiVaultException { RetryAfter: { } retryAfter })
        {
            return Backoff.ScaiVaultOperation.Delay(attempt, random);
        }

        var wait = retryAfter < LongestRetryAfter ? retryAfter : LongestRetryAfter;
        return wait + Backoff.RateLimitSpread.Delay(attempt, random);
    }

    /// <summary>Full jitter: uniform in [0, min(cap, base · 2^attempt)]. Kept for callers not yet on a named <see cref="Backoff"/> profile.</summary>
    public static TimeSpan FullJitter(int attempt, TimeSpan baseDelay, TimeSpan cap, Random random) =>
        new Backoff(nameof(FullJitter), baseDelay, cap, FullJitter: true).Delay(attempt, random);

    internal static bool ShouldRetry(Exception? exception, int attempt, ResilienceContext context, TimeProvider time)
    {
        var retryable = exception switch
        {
            ScaiVaultException { Code: ErrorCodes.InternalError } => attempt == 0, // the contract: internal_error once
            // A long Retry-After is the caller's to wait out: waiting here would run into the pipeline's total
            // timeout, and the timeout's exception would lose the Retry-After the caller must honour.
            ScaiVaultException { RetryAfter: { } retryAfter } when retryAfter > LongestRetryAfterWaitedInline => false,
            ScaiVaultException e => e.IsTransient,
            TimeoutRejectedException => true,
            _ => false,
        };

        // Never retry early: a Retry-After that does not fit before the deadline goes back to the caller too.
        var left = TimeLeft(context, time);
        return retryable && left > TimeSpan.Zero && (exception is not ScaiVaultException { RetryAfter: { } wait } || wait < left);
    }

    internal static TimeSpan NextDelay(Exception? exception, int attempt, ResilienceContext context, TimeProvider time)
    {
        var delay = exception is ScaiVaultException { RetryAfter: { } retryAfter }
            ? retryAfter + Backoff.AfterShortRetryAfter.Delay(0, Random.Shared)
            : Backoff.WithinCall.Delay(attempt, Random.Shared);

        var left = TimeLeft(context, time);
        return delay < left ? delay : left;
    }

    /// <summary>The time left before the context's <see cref="Deadline"/>; <see cref="TimeSpan.MaxValue"/> when it has none.</summary>
    public static TimeSpan TimeLeft(ResilienceContext context, TimeProvider time) =>
        context.Properties.TryGetValue(Deadline, out var deadline) ? deadline.Remaining(time) : TimeSpan.MaxValue;
}
