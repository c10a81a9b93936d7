using System.Globalization;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.RateLimiting;

/// <summary>
/// Counts the request against its window (after authentication: limits are per identity) and sends
/// <c>X-RateLimit-*</c> with the answer, 429s and successes alike. See <see cref="RateLimitHeaders.WindowOf"/>.
/// </summary>
internal sealed partial class RateLimitMiddleware(RequestDelegate next, IdentityRateLimiter limiter, TimeProvider time, ILogger<RateLimitMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (RateLimitHeaders.IsExempt(context))
        {
            return next(context);
        }

        var (key, limitClass) = RateLimitHeaders.WindowOf(context);
        if (limiter.LimitOf(limitClass) <= 0)
        {
            return next(context);
        }

        var decision = limiter.Acquire(key, limitClass);
        RateLimitHeaders.Write(context.Response, decision);
        if (decision.Allowed)
        {
            return next(context);
        }

        var retryAfter = (int)Math.Max(1, Math.Ceiling((decision.Reset - time.GetUtcNow()).TotalSeconds));
        LogRateLimited(logger, key, limitClass, decision.Limit, retryAfter);
        var error = new ApiException(
            StatusCodes.Status429TooManyRequests,
            ErrorCodes.RateLimited,
            $"Rate limit of {decision.Limit} requests per minute exceeded; retry after {retryAfter} s.",
            new JsonObject { ["limit"] = decision.Limit, ["retry_after"] = retryAfter });
        error.Headers["Retry-After"] = retryAfter.ToString(CultureInfo.InvariantCulture);
        throw error;
    }

    [LoggerMessage(EventId = 150, Level = LogLevel.Warning,
        Message = "Rate limited: {Key} exceeded {Limit} {Class} requests per minute; retry after {RetryAfterSeconds} s")]
    private static partial void LogRateLimited(ILogger logger, string key, RateLimitClass @class, int limit, int retryAfterSeconds);
}
