using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Hosting;

namespace ScaiVault.Emulator.Auth;

/// <summary>
/// Validates the workload JWT that <c>/v1/auth/exchange</c> receives: a trusted issuer, a
/// signature by one of that issuer's keys, audience <c>scaivault</c>, and a current lifetime.
/// </summary>
internal sealed class WorkloadTokenValidator
{
    public const string Audience = "scaivault";

    // Projected service-account tokens are minted by another clock; 30 s is plenty and keeps
    // "expired" meaning expired.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly JsonWebTokenHandler _handler = new();
    private readonly Dictionary<string, TrustedIssuer> _issuers;
    private readonly DevSigningKey _devKey;
    private readonly bool _dev;

    public WorkloadTokenValidator(IEnumerable<TrustedIssuer> issuers, DevSigningKey devKey, EmulatorOptions options)
    {
        _issuers = issuers.ToDictionary(i => i.Issuer, StringComparer.Ordinal);
        _devKey = devKey;
        _dev = options.Dev;
    }

    /// <summary>Returns the token's subject, the identity the exchanged access token stands for.</summary>
    public async Task<string> ValidateAsync(string token)
    {
        if (!_handler.CanReadToken(token))
        {
            throw Invalid("The subject token is not a JWT.");
        }

        var issuer = _handler.ReadJsonWebToken(token).Issuer;
        IReadOnlyList<SecurityKey> keys = _dev && issuer == DevSigningKey.Issuer
            ? [_devKey.Key]
            : _issuers.TryGetValue(issuer, out var trusted)
                ? trusted.Keys
                : throw Invalid($"The issuer '{issuer}' is not trusted by this ScaiVault.");

        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = Audience,
            IssuerSigningKeys = keys,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = ClockSkew,
        });
        if (!result.IsValid)
        {
            throw result.Exception switch
            {
                SecurityTokenExpiredException => ApiException.Unauthorized(ErrorCodes.TokenExpired, "The subject token has expired."),
                SecurityTokenNotYetValidException => Invalid("The subject token is not valid yet."),
                SecurityTokenInvalidAudienceException => Invalid($"The subject token's audience must be '{Audience}'."),
                SecurityTokenNoExpirationException => Invalid("The subject token has no expiry."),
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
                    Invalid($"The subject token's signature does not verify with the keys of '{issuer}'."),
                _ => Invalid("The subject token is not valid."),
            };
        }

        var subject = result.ClaimsIdentity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value
            ?? (result.SecurityToken as JsonWebToken)?.Subject;
        return string.IsNullOrWhiteSpace(subject) ? throw Invalid("The subject token has no 'sub' claim.") : subject;
    }

    private static ApiException Invalid(string message) => ApiException.Unauthorized(ErrorCodes.TokenInvalid, message);
}
