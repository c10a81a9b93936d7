using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Auth;

/// <summary><c>--dev</c> only: mint workload JWTs that the exchange accepts, and publish their key.</summary>
internal static class DevEndpoints
{
    private static readonly TimeSpan MaxTtl = TimeSpan.FromDays(1);

    public static void Map(IEndpointRouteBuilder emulator)
    {
        emulator.MapPost("/tokens", MintAsync);
        emulator.MapGet("/jwks", (DevSigningKey key) => Results.Json(key.PublicJwks(), Wire.Json.JwksDocument));
    }

    private static async Task<IResult> MintAsync(HttpRequest request, DevSigningKey key)
    {
        var body = await JsonBody.ReadAsync(request, Wire.Json.DevTokenRequest);
        if (string.IsNullOrWhiteSpace(body.Sub))
        {
            throw ApiException.InvalidRequest("'sub' is required, e.g. \"system:serviceaccount:ns:sa\".");
        }

        var ttl = Duration.ParseOptional(body.Ttl, "ttl") ?? TimeSpan.FromHours(1);
        if (ttl > MaxTtl)
        {
            throw ApiException.BadRequest(ErrorCodes.InvalidDuration, "'ttl' may be at most 24h.");
        }

        var (token, expiresAt) = key.Mint(body.Sub, string.IsNullOrEmpty(body.Aud) ? WorkloadTokenValidator.Audience : body.Aud, ttl);
        return Results.Json(new DevTokenResponse(token, expiresAt), Wire.Json.DevTokenResponse);
    }
}
