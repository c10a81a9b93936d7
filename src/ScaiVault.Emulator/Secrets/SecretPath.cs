using System.Text.RegularExpressions;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Secrets;

/// <summary>Secret paths: slash-separated segments of <c>[A-Za-z0-9._-]</c>, no empty, <c>.</c> or <c>..</c> segments.</summary>
internal static partial class SecretPath
{
    public const int MaxLength = 512;

    public static string Validate(string? path)
    {
        var trimmed = path?.Trim('/') ?? "";
        if (trimmed.Length is 0 or > MaxLength || !Shape().IsMatch(trimmed) || trimmed.Split('/').Any(s => s is "." or ".."))
        {
            throw ApiException.InvalidRequest(
                "A secret path is 1-512 characters of slash-separated segments made of letters, digits, '.', '_' and '-'.");
        }

        return trimmed;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
