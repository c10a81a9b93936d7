using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// Records every secret the emulator hands out (lease passwords, access tokens) in the run's ledger, including
/// those of leases an agent never published because it died or its probe failed. Added after
/// <c>EmulatorApp.Build</c>, it runs after routing, faults and authentication and just before the endpoint, so it
/// sees exactly the answers the real handlers write, also those a fault later delays or drops.
/// </summary>
public static class EmulatorSecretTap
{
    public static void Use(WebApplication app, SecretLedger ledger) => app.Use(async (context, next) =>
    {
        if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path.StartsWithSegments("/_emulator", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        ledger.AddFromJson(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "lease password");
        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    });
}
