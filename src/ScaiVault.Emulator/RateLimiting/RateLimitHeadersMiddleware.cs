namespace ScaiVault.Emulator.RateLimiting;

/// <summary>
/// Runs first, so that answers given before <see cref="RateLimitMiddleware"/> counted the request (injected faults,
/// failed authentication, a missing scope) still carry <c>X-RateLimit-*</c>: the state of the window the request
/// would have counted against, which such an answer does not consume.
/// </summary>
internal sealed class RateLimitHeadersMiddleware(RequestDelegate next, IdentityRateLimiter limiter)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!RateLimitHeaders.IsExempt(context))
        {
            context.Response.OnStarting(AddIfMissing, context);
        }

        return next(context);
    }

    private Task AddIfMissing(object state)
    {
        var context = (HttpContext)state;
        if (!context.Response.Headers.ContainsKey(RateLimitHeaders.Limit))
        {
            var (key, limitClass) = RateLimitHeaders.WindowOf(context);
            if (limiter.LimitOf(limitClass) > 0)
            {
                RateLimitHeaders.Write(context.Response, limiter.Peek(key, limitClass));
            }
        }

        return Task.CompletedTask;
    }
}
