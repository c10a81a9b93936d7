using System.Security.Cryptography;

namespace ScaiVault.Emulator.Dynamic;

/// <summary>Usernames <c>v_&lt;role&gt;_&lt;random&gt;</c> (only <c>[a-z0-9_]</c>, at most 63 bytes by construction) and strong passwords.</summary>
internal static class CredentialGenerator
{
    public const int MaxIdentifierBytes = 63;
    public const int SuffixLength = 10;
    public const int PasswordLength = 32;

    // URL-safe, so the password can sit in a postgresql:// URI or a .pgpass line without escaping.
    private const string PasswordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private const string SuffixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const int MaxRolePart = MaxIdentifierBytes - 2 - 1 - SuffixLength;

    /// <param name="role">A role name, already restricted to <c>[a-z0-9_]</c>.</param>
    public static string Username(string role)
    {
        var rolePart = role.Length > MaxRolePart ? role[..MaxRolePart] : role;
        return $"v_{rolePart}_{RandomNumberGenerator.GetString(SuffixAlphabet, SuffixLength)}";
    }

    public static string Password() => RandomNumberGenerator.GetString(PasswordAlphabet, PasswordLength);
}
