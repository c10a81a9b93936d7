using System.Globalization;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Faults;

namespace ScaiVault.Emulator.RateLimiting;

/// <summary>
/// Which window a request counts against, and the <c>X-RateLimit-*</c> headers that report it. RATE: "Every response
/// includes" them, so routes without a class of their own count against <see cref="RateLimitClass.Other"/>, and requests
/// without an identity (health, token exchange, failed authentication, unknown routes) against their client address.
/// </summary>
internal static class RateLimitHeaders
{
    public const string Limit = "X-RateLimit-Limit";
    public const string Remaining = "X-RateLimit-Remaining";
    public const string Reset = "X-RateLimit-Reset";

    /// <summary>The emulator's own control routes are never limited and carry no headers, as faults never touch them.</summary>
    public static bool IsExempt(HttpContext context) =>
        context.Request.Path.StartsWithSegments(FaultMiddleware.EmulatorPrefix, StringComparison.OrdinalIgnoreCase);

    public static (string Key, RateLimitClass Class) WindowOf(HttpContext context)
    {
        if (context.Features.Get<Caller>() is not { } caller)
        {
            // "address:" cannot collide with an identity (a JWT subject, client:<id> or admin).
            return ("address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"), RateLimitClass.Other);
        }

        return (caller.IdentityId, context.GetEndpoint()?.Metadata.GetMetadata<RateLimitMetadata>()?.Class ?? RateLimitClass.Other);
    }

    public static void Write(HttpResponse response, RateLimitDecision decision)
    {
        response.Headers[Limit] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers[Remaining] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers[Reset] = decision.Reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
    }
}
