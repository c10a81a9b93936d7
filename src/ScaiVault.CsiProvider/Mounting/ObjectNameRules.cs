using System.Text;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>
/// The driver's checks of a returned file path (<c>pkg/util/fileutil</c>: relative, at most 4096 bytes (Go's <c>len</c>), no
/// <c>..</c>, each element at most 255 bytes, <c>filepath.Clean(p) == p</c>), made before any ScaiVault call so a
/// bad <c>objectName</c> fails with a message naming it instead of the driver's generic write error.
/// </summary>
internal static class ObjectNameRules
{
    public const int MaxPathLength = 4096; // bytes
    public const int MaxElementBytes = 255;

    /// <summary>Why <paramref name="name"/> is not a path the driver will write, or null when it is.</summary>
    public static string? Problem(string name)
    {
        // Go's len counts UTF-8 bytes, not characters: 2,175 'é's pass a character count and fail the driver.
        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxPathLength)
        {
            return $"is {bytes} bytes long; the driver writes paths of at most {MaxPathLength} bytes";
        }

        if (name.Any(char.IsControl))
        {
            return "contains a control character";
        }

        if (name.StartsWith('/'))
        {
            return "is an absolute path; name the file relative to the mount, e.g. db.json or tls/tls.crt";
        }

        var elements = name.Split('/');
        if (elements.Contains(".."))
        {
            return "contains '..'; name the file inside the mount";
        }

        // For a relative path without '..', Go's filepath.Clean(p) == p exactly when no element is empty or '.':
        // that rules out './a', 'a/', 'a//b' and 'a/./b', which the driver refuses.
        if (elements.Any(e => e.Length == 0 || e == "."))
        {
            return "is not a clean path (no './', '//' or trailing '/'); write it as a/b";
        }

        // The driver's own files are '..data' and '..<timestamp>'; it refuses a first element starting with '..'.
        if (elements[0].StartsWith("..", StringComparison.Ordinal))
        {
            return "starts with '..', which the driver keeps for its own files";
        }

        return elements.FirstOrDefault(e => Encoding.UTF8.GetByteCount(e) > MaxElementBytes) is { } longElement
            ? $"has an element of {Encoding.UTF8.GetByteCount(longElement)} bytes; a file name may have at most {MaxElementBytes}"
            : null;
    }
}
