using System.Text.RegularExpressions;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Leases;

/// <summary>
/// A client's own opaque reference for a lease, sent with the generate and stored on the lease,
/// so that a client that crashed before it saw the lease id can find the lease again
/// (<c>GET /v1/dynamic/leases?client_ref=…</c>) and revoke it. 1–128 characters of
/// <c>[A-Za-z0-9._:-]</c>; not unique.
/// </summary>
internal static partial class ClientRef
{
    public const int MaxLength = 128;

    private const string Rule = "1 to 128 characters of letters, digits, '.', '_', ':' and '-'";

    /// <summary>The generate body's field: null (absent) is allowed, anything else must have the shape.</summary>
    public static string? ValidateOptional(string? value) =>
        value is null || IsValid(value)
            ? value
            : throw ApiException.InvalidRequest($"'client_ref' must be {Rule} (got {Describe(value)}).");

    /// <summary>The list filter: present means it must have the shape, so an empty filter never matches "everything".</summary>
    public static string ValidateFilter(string value) =>
        IsValid(value)
            ? value
            : throw ApiException.InvalidRequest($"The 'client_ref' filter must be {Rule} (got {Describe(value)}).");

    public static bool IsValid(string value) => value.Length is > 0 and <= MaxLength && Shape().IsMatch(value);

    // The value itself is not echoed: it may be anything, including control characters.
    private static string Describe(string value) => value.Length switch
    {
        0 => "an empty string",
        > MaxLength => $"{value.Length} characters",
        _ => "a character outside that set",
    };

    // \z rather than $: "$" would also accept a trailing newline.
    [GeneratedRegex(@"^[A-Za-z0-9._:-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
