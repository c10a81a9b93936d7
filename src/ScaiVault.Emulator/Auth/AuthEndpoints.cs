using System.Security.Cryptography;
using System.Text;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Faults;
using ScaiVault.Emulator.Hosting;

namespace ScaiVault.Emulator.Auth;

internal static partial class AuthEndpoints
{
    public const string TenantId = "emulator";
    private const string JwtTokenType = "urn:ietf:params:oauth:token-type:jwt";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/auth/exchange", ExchangeAsync).WithFaultRoute(FaultRoutes.Exchange);
        app.MapGet("/v1/auth/whoami", WhoAmI).RequireAuthenticated().WithFaultRoute(FaultRoutes.WhoAmI);
        app.MapPost("/oauth/token", ClientCredentialsAsync).WithFaultRoute(FaultRoutes.Token);
    }

    private static async Task<IResult> ExchangeAsync(
        HttpRequest request, WorkloadTokenValidator validator, AccessTokenService tokens, ILogger<AccessTokenService> logger)
    {
        var body = await JsonBody.ReadAsync(request, Wire.Json.ExchangeRequest);
        if (string.IsNullOrWhiteSpace(body.SubjectToken))
        {
            throw ApiException.InvalidRequest("'subject_token' is required.");
        }

        if (body.SubjectTokenType is not (null or JwtTokenType))
        {
            throw ApiException.InvalidRequest($"'subject_token_type' must be '{JwtTokenType}'.");
        }

        string subject;
        try
        {
            subject = await validator.ValidateAsync(body.SubjectToken);
        }
        catch (ApiException e)
        {
            LogExchangeRejected(logger, e.Code, e.Message);
            throw;
        }

        var issued = await tokens.IssueAsync(subject, CallerKind.Workload, Scope.Workload, request.HttpContext.RequestAborted);
        LogExchanged(logger, subject, issued.ExpiresAt);
        return TokenResult(request.HttpContext, issued);
    }

    private static IResult WhoAmI(Caller caller) =>
        Results.Json(
            new WhoAmIResponse(
                caller.IdentityId,
                AccessTokenService.KindName(caller.Kind),
                DisplayName: caller.IdentityId,
                TenantId,
                PartnerId: null,
                caller.Scopes,
                Groups: [],
                Roles: [],
                MfaVerifiedAt: null,
                caller.TokenExpiresAt),
            Wire.Json.WhoAmIResponse);

    /// <summary>The ScaiKey token URL stand-in (RFC 6749 section 4.4): OAuth-style errors, not the ScaiVault envelope.</summary>
    private static async Task<IResult> ClientCredentialsAsync(
        HttpRequest request, EmulatorOptions options, AccessTokenService tokens, ILogger<AccessTokenService> logger)
    {
        if (!request.HasFormContentType)
        {
            return OAuthError(StatusCodes.Status400BadRequest, "invalid_request", "Send an application/x-www-form-urlencoded body.");
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        if (form["grant_type"].ToString() != "client_credentials")
        {
            return OAuthError(StatusCodes.Status400BadRequest, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");
        }

        var (clientId, clientSecret, usedBasic) = ReadClientCredentials(request, form);
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(clientSecret))
        {
            return OAuthError(StatusCodes.Status400BadRequest, "invalid_request", "client_id and client_secret are required.");
        }

        if (!options.Clients.TryGetValue(clientId, out var expected) || !SecretsEqual(expected, clientSecret))
        {
            LogClientRejected(logger, clientId);
            if (usedBasic)
            {
                request.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"scaikey\"";
            }

            return OAuthError(StatusCodes.Status401Unauthorized, "invalid_client", "Client authentication failed.");
        }

        var issued = await tokens.IssueAsync("client:" + clientId, CallerKind.Client, Scope.Workload, request.HttpContext.RequestAborted);
        LogExchanged(logger, "client:" + clientId, issued.ExpiresAt);
        return TokenResult(request.HttpContext, issued);
    }

    private static (string? Id, string? Secret, bool UsedBasic) ReadClientCredentials(HttpRequest request, IFormCollection form)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    return (Uri.UnescapeDataString(decoded[..colon]), Uri.UnescapeDataString(decoded[(colon + 1)..]), true);
                }
            }
            catch (FormatException)
            {
                // Falls through to the form fields; a malformed header is simply not credentials.
            }
        }

        return (form["client_id"].ToString(), form["client_secret"].ToString(), false);
    }

    private static bool SecretsEqual(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)),
            SHA256.HashData(Encoding.UTF8.GetBytes(actual)));

    private static IResult TokenResult(HttpContext context, IssuedToken issued)
    {
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(
            new AccessTokenResponse(issued.AccessToken, "Bearer", issued.ExpiresInSeconds),
            Wire.Json.AccessTokenResponse);
    }

    private static IResult OAuthError(int status, string error, string description) =>
        Results.Json(new OAuthErrorResponse(error, description), Wire.Json.OAuthErrorResponse, statusCode: status);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Issued an access token to {Identity}, expires {ExpiresAt:O}")]
    private static partial void LogExchanged(ILogger logger, string identity, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Token exchange rejected: {Code}: {Reason}")]
    private static partial void LogExchangeRejected(ILogger logger, string code, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Client credentials rejected for client {ClientId}")]
    private static partial void LogClientRejected(ILogger logger, string clientId);
}
