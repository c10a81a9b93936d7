using System.Text.Json.Nodes;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Auth;

/// <summary>
/// Authenticates requests to endpoints that carry a <see cref="ScopeRequirement"/> and checks
/// the scope. Runs after routing (it needs the endpoint) and after fault injection (a service
/// that is down does not check tokens first).
/// </summary>
internal sealed class AuthenticationMiddleware(RequestDelegate next, AccessTokenService tokens)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var requirement = context.GetEndpoint()?.Metadata.GetMetadata<ScopeRequirement>();
        if (requirement is null)
        {
            await next(context);
            return;
        }

        var token = ReadBearerToken(context.Request)
            ?? throw Challenge(ErrorCodes.AuthenticationRequired, "An 'Authorization: Bearer <token>' header is required.");
        Caller caller;
        try
        {
            caller = await tokens.AuthenticateAsync(token, context.RequestAborted);
        }
        catch (ApiException e) when (e.StatusCode == StatusCodes.Status401Unauthorized)
        {
            throw Challenge(e.Code, e.Message);
        }

        context.Features.Set(caller);
        if (requirement.Scope is { } scope && !caller.Has(scope))
        {
            throw ApiException.Forbidden(
                ErrorCodes.InsufficientScope,
                $"This operation needs the '{scope}' scope.",
                new JsonObject { ["required_scope"] = scope });
        }

        await next(context);
    }

    private static string? ReadBearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Prefix = "Bearer ";
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[Prefix.Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    private static ApiException Challenge(string code, string message)
    {
        var error = ApiException.Unauthorized(code, message);
        error.Headers["WWW-Authenticate"] = code == ErrorCodes.AuthenticationRequired
            ? "Bearer realm=\"scaivault\""
            : "Bearer realm=\"scaivault\", error=\"invalid_token\"";
        return error;
    }
}
