using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace ScaiVault.Emulator.Auth;

/// <summary>
/// The <c>--dev</c> issuer: an RSA key kept in the state schema (so workload tokens minted
/// before a restart stay valid after it) that signs the tokens <c>/_emulator/tokens</c> mints.
/// </summary>
internal sealed class DevSigningKey(NpgsqlDataSource db, TimeProvider time)
{
    public const string Issuer = "https://scaivault-emulator.local";

    // Never disposed: IdentityModel caches signature providers process-wide by the key's public
    // parameters, so an emulator restarted in the same process (tests) reuses this RSA object.
    private RsaSecurityKey? _key;

    public RsaSecurityKey Key => _key ?? throw new InvalidOperationException("The dev signing key is loaded when the emulator starts.");

    public async Task LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        var stored = await ReadAsync(cancellationToken);
        if (stored is null)
        {
            using var fresh = RSA.Create(2048);
            await using var insert = db.CreateCommand(
                """
                INSERT INTO scaivault.signing_keys (name, kid, private_key_pem, created_at)
                VALUES ('dev', $1, $2, $3) ON CONFLICT (name) DO NOTHING
                """);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = RandomNumberGenerator.GetHexString(16, lowercase: true) });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = fresh.ExportPkcs8PrivateKeyPem() });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
            await insert.ExecuteNonQueryAsync(cancellationToken);

            // Re-read rather than use our own key: another emulator on the same schema may have won the insert.
            stored = await ReadAsync(cancellationToken) ?? throw new InvalidOperationException("The dev signing key vanished.");
        }

#pragma warning disable CA2000 // See the field: the key lives as long as the process.
        var rsa = RSA.Create();
#pragma warning restore CA2000
        rsa.ImportFromPem(stored.Value.Pem);
        _key = new RsaSecurityKey(rsa) { KeyId = stored.Value.Kid };
    }

    /// <summary>Mints a workload JWT like a Kubernetes projected service-account token.</summary>
    public (string Token, DateTimeOffset ExpiresAt) Mint(string subject, string audience, TimeSpan ttl)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        var expiresAt = now + ttl;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = subject,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            },
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
        };
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
        return (token, expiresAt);
    }

    /// <summary>The public half as a JWKS document, for clients that want to trust the dev issuer themselves.</summary>
    public JwksDocument PublicJwks()
    {
        var parameters = Key.Rsa.ExportParameters(includePrivateParameters: false);
        return new JwksDocument([new Jwk(
            "RSA",
            Key.KeyId,
            "sig",
            SecurityAlgorithms.RsaSha256,
            Base64UrlEncoder.Encode(parameters.Modulus),
            Base64UrlEncoder.Encode(parameters.Exponent))]);
    }

    private async Task<(string Kid, string Pem)?> ReadAsync(CancellationToken cancellationToken)
    {
        await using var select = db.CreateCommand("SELECT kid, private_key_pem FROM scaivault.signing_keys WHERE name = 'dev'");
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetString(1)) : null;
    }
}
