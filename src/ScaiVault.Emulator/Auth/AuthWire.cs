namespace ScaiVault.Emulator.Auth;

/// <summary><c>POST /v1/auth/exchange</c> body (RFC 8693 style).</summary>
internal sealed record ExchangeRequest(string? SubjectToken, string? SubjectTokenType);

/// <summary>The answer of the exchange and of the client-credentials token endpoint.</summary>
internal sealed record AccessTokenResponse(string AccessToken, string TokenType, int ExpiresIn);

/// <summary>
/// <c>GET /v1/auth/whoami</c> with reference/authentication's fields. The emulator has no display names,
/// partners, groups, roles or MFA: <c>display_name</c> is the identity id, the rest null or empty.
/// </summary>
internal sealed record WhoAmIResponse(
    string IdentityId,
    string IdentityType,
    string DisplayName,
    string TenantId,
    string? PartnerId,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Groups,
    IReadOnlyList<string> Roles,
    DateTimeOffset? MfaVerifiedAt,
    DateTimeOffset? TokenExpiresAt);

/// <summary>RFC 6749 error body of the token endpoint.</summary>
internal sealed record OAuthErrorResponse(string Error, string ErrorDescription);

/// <summary><c>POST /_emulator/tokens</c> body.</summary>
internal sealed record DevTokenRequest(string? Sub, string? Aud, string? Ttl);

internal sealed record DevTokenResponse(string Token, DateTimeOffset ExpiresAt);

internal sealed record JwksDocument(IReadOnlyList<Jwk> Keys);

internal sealed record Jwk(string Kty, string Kid, string Use, string Alg, string N, string E);
