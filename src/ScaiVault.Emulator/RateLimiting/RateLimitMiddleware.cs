using System.Globalization;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Auth;

namespace ScaiVault.Emulator.RateLimiting;

/// <summary>
/// Applies the caller's limit for the endpoint's class (after authentication: limits are per
/// identity) and sends <c>X-RateLimit-*</c> on every limited response, 429s and successes alike.
/// </summary>
internal sealed class RateLimitMiddleware(RequestDelegate next, IdentityRateLimiter limiter, TimeProvider time)
{
    public Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<RateLimitMetadata>();
        var caller = context.Features.Get<Caller>();
        if (metadata is null || caller is null || limiter.LimitOf(metadata.Class) <= 0)
        {
            return next(context);
        }

        var decision = limiter.Acquire(caller.IdentityId, metadata.Class);
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = decision.Reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        if (decision.Allowed)
        {
            return next(context);
        }

        var retryAfter = (int)Math.Max(1, Math.Ceiling((decision.Reset - time.GetUtcNow()).TotalSeconds));
        var error = new ApiException(
            StatusCodes.Status429TooManyRequests,
            ErrorCodes.RateLimited,
            $"Rate limit of {decision.Limit} requests per minute exceeded; retry after {retryAfter} s.",
            new JsonObject { ["limit"] = decision.Limit, ["retry_after"] = retryAfter });
        error.Headers["Retry-After"] = retryAfter.ToString(CultureInfo.InvariantCulture);
        throw error;
    }
}
