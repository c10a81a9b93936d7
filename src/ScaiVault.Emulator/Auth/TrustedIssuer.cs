using Microsoft.IdentityModel.Tokens;

namespace ScaiVault.Emulator.Auth;

/// <summary>An issuer whose workload JWTs <c>/v1/auth/exchange</c> accepts, with its verification keys.</summary>
internal sealed record TrustedIssuer(string Issuer, IReadOnlyList<SecurityKey> Keys);
