using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ScaiVault.Emulator.Dynamic;

/// <summary>
/// Postgres' SCRAM-SHA-256 password verifier (RFC 5802 and RFC 7677), in the form
/// <c>CREATE ROLE … PASSWORD '…'</c> stores as is: the plaintext never reaches SQL text,
/// the server's statement log or <c>pg_stat_activity</c>.
/// </summary>
internal static class ScramSha256
{
    public const int DefaultIterations = 4096;
    private const int SaltBytes = 16;

    public static string CreateVerifier(string password)
    {
        Span<byte> salt = stackalloc byte[SaltBytes];
        RandomNumberGenerator.Fill(salt);
        return CreateVerifier(password, salt, DefaultIterations);
    }

    public static string CreateVerifier(string password, ReadOnlySpan<byte> salt, int iterations)
    {
        // SASLprep would normalise non-ASCII passwords first; the emulator's passwords are ASCII,
        // for which it is the identity.
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        CryptographicOperations.ZeroMemory(salted);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}");
    }
}
