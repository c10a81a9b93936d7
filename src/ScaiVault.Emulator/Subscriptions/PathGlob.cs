using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace ScaiVault.Emulator.Subscriptions;

/// <summary>
/// A subscription's path pattern. <c>*</c> matches any characters within one path segment
/// (<c>apps/*/db</c> matches <c>apps/web/db</c>, not <c>apps/web/eu/db</c>); <c>**</c>, which must
/// be a whole segment, matches any number of segments, none included (<c>infra/**</c> matches
/// <c>infra</c>, <c>infra/pg</c> and <c>infra/pg/root</c>); everything else matches itself.
/// </summary>
internal sealed class PathGlob
{
    public const int MaxLength = 512;

    // Patterns come only from created subscriptions, so the cache stays small; it spares every secret write a regex compilation per subscription.
    private static readonly ConcurrentDictionary<string, PathGlob> Compiled = new(StringComparer.Ordinal);

    private readonly Regex _regex;

    private PathGlob(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    /// <summary>The pattern without leading or trailing slashes.</summary>
    public string Pattern { get; }

    /// <summary>Parses a pattern; on failure <paramref name="problem"/> says why, in words fit for an error message.</summary>
    public static bool TryParse(string? text, out PathGlob? glob, out string? problem)
    {
        glob = null;
        var pattern = text?.Trim('/') ?? "";
        problem = Check(pattern);
        if (problem is not null)
        {
            return false;
        }

        glob = Compiled.GetOrAdd(pattern, p => new PathGlob(p, Compile(p)));
        return true;
    }

    /// <summary>Parses a pattern that was validated before (one stored with a subscription).</summary>
    public static PathGlob Parse(string pattern) =>
        TryParse(pattern, out var glob, out var problem) ? glob! : throw new FormatException($"'{pattern}' is not a path glob: {problem}");

    public bool IsMatch(string path) => _regex.IsMatch(path + "/");

    private static string? Check(string pattern)
    {
        if (pattern.Length is 0 or > MaxLength)
        {
            return $"a path glob is 1-{MaxLength} characters";
        }

        foreach (var segment in pattern.Split('/'))
        {
            if (segment.Length == 0)
            {
                return "it has an empty segment ('//')";
            }

            if (segment is "." or "..")
            {
                return "'.' and '..' segments never occur in secret paths";
            }

            if (segment.Contains("**", StringComparison.Ordinal) && segment != "**")
            {
                return "'**' must be a whole segment, as in 'apps/**/db'";
            }

            if (!segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '*'))
            {
                return "segments are made of letters, digits, '.', '_', '-' and the wildcards '*' and '**'";
            }
        }

        return null;
    }

    /// <summary>
    /// Every segment compiles to a regex that consumes the segment and its trailing slash, and the
    /// path is matched with a slash appended; that lets <c>**</c> stand for "zero or more segments"
    /// without special cases at the start or the end of the pattern.
    /// </summary>
    private static Regex Compile(string pattern)
    {
        var regex = new StringBuilder("^");
        foreach (var segment in pattern.Split('/'))
        {
            if (segment == "**")
            {
                regex.Append("(?:[^/]+/)*");
                continue;
            }

            foreach (var c in segment)
            {
                regex.Append(c == '*' ? "[^/]*" : Regex.Escape(c.ToString()));
            }

            regex.Append('/');
        }

        // Non-backtracking: matching stays linear in the path whatever the number of '*'.
        return new Regex(regex.Append(@"\z").ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
    }
}
