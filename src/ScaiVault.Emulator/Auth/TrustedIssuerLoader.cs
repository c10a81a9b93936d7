using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;
using ScaiVault.Emulator.Hosting;

namespace ScaiVault.Emulator.Auth;

/// <summary>Loads the keys of a <c>--trust-issuer iss=file</c>: a JWKS document, a PEM public key (RSA or EC) or a PEM certificate.</summary>
internal static class TrustedIssuerLoader
{
    public static TrustedIssuer Load(string issuer, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new EmulatorArgumentException($"--trust-issuer {issuer}: cannot read '{path}': {e.Message}");
        }

        var keys = text.TrimStart().StartsWith('{') ? FromJwks(issuer, path, text) : [FromPem(issuer, path, text)];
        return new TrustedIssuer(issuer, keys);
    }

    private static List<SecurityKey> FromJwks(string issuer, string path, string json)
    {
        try
        {
            var keys = new JsonWebKeySet(json).GetSigningKeys().ToList();
            return keys.Count > 0
                ? keys
                : throw new EmulatorArgumentException($"--trust-issuer {issuer}: '{path}' is a JWKS without signing keys.");
        }
        catch (ArgumentException e)
        {
            throw new EmulatorArgumentException($"--trust-issuer {issuer}: '{path}' is not a valid JWKS document: {e.Message}");
        }
    }

    // The key objects live as long as the process: they back the issuer's SecurityKey.
#pragma warning disable CA2000
    private static SecurityKey FromPem(string issuer, string path, string pem)
    {
        try
        {
            if (pem.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
            {
                return new X509SecurityKey(X509Certificate2.CreateFromPem(pem));
            }

            if (pem.Contains("BEGIN EC", StringComparison.Ordinal) || IsEcPublicKey(pem))
            {
                var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                return new ECDsaSecurityKey(ec);
            }

            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new EmulatorArgumentException($"--trust-issuer {issuer}: '{path}' is neither a JWKS document nor a PEM public key or certificate.");
        }
    }
#pragma warning restore CA2000

    private static bool IsEcPublicKey(string pem)
    {
        using var probe = ECDsa.Create();
        try
        {
            probe.ImportFromPem(pem);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
    }
}
