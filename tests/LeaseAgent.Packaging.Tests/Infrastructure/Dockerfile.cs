using System.Text.Json;
using System.Text.RegularExpressions;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>One instruction: its keyword (upper case), flags such as <c>--from=build</c>, and the rest.</summary>
internal sealed record Instruction(string Keyword, IReadOnlyList<string> Flags, string Arguments, int Line);

/// <summary>A build stage: its base image (global ARGs substituted), its name, its instructions.</summary>
internal sealed record Stage(string BaseImage, string? Name, IReadOnlyList<Instruction> Instructions)
{
    public IEnumerable<Instruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    public Instruction? Last(string keyword) => Instructions.LastOrDefault(i => i.Keyword == keyword);
}

/// <summary>
/// A Dockerfile reader for the syntax this repository's file uses: comments, line continuations,
/// global <c>ARG</c>s with defaults substituted into <c>FROM</c>, <c>FROM image AS name</c>, and flags.
/// Heredocs and parser directives other than <c>syntax</c> are not supported (the test fails on them).
/// </summary>
internal static partial class Dockerfile
{
    public static List<Stage> Parse(string text)
    {
        var instructions = new List<Instruction>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.TrimStart().StartsWith('#') || line.Trim().Length == 0)
            {
                continue;
            }

            var start = i + 1;
            var logical = line.TrimEnd();
            while (logical.EndsWith('\\') && i + 1 < lines.Length)
            {
                i++;
                // Comment lines inside a continuation are dropped, as Docker does; the continuation goes on.
                if (!lines[i].TrimStart().StartsWith('#'))
                {
                    logical = logical[..^1].TrimEnd() + " " + lines[i].Trim();
                }
            }

            if (logical.Contains("<<", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Dockerfile line {start}: heredocs are not supported by this reader");
            }

            var match = InstructionLine().Match(logical.Trim());
            var keyword = match.Groups["keyword"].Value.ToUpperInvariant();
            var rest = match.Groups["rest"].Value.Trim();
            var flags = new List<string>();
            while (rest.StartsWith("--", StringComparison.Ordinal))
            {
                var end = rest.IndexOf(' ', StringComparison.Ordinal);
                flags.Add(end < 0 ? rest : rest[..end]);
                rest = end < 0 ? "" : rest[(end + 1)..].TrimStart();
            }

            instructions.Add(new Instruction(keyword, flags, rest, start));
        }

        var globals = new Dictionary<string, string>(StringComparer.Ordinal);
        var stages = new List<Stage>();
        List<Instruction>? current = null;
        string? baseImage = null;
        string? name = null;
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                if (current is not null)
                {
                    stages.Add(new Stage(baseImage!, name, current));
                }

                var parts = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                baseImage = Variable().Replace(parts[0], m => globals.GetValueOrDefault(m.Groups["name"].Value, ""));
                name = parts.Length == 3 && parts[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[2] : null;
                current = [];
            }
            else if (current is null)
            {
                if (instruction.Keyword != "ARG")
                {
                    throw new InvalidOperationException($"Dockerfile line {instruction.Line}: {instruction.Keyword} before the first FROM");
                }

                var assignment = instruction.Arguments.Split('=', 2);
                globals[assignment[0]] = assignment.Length == 2 ? assignment[1].Trim('"') : "";
            }
            else
            {
                current.Add(instruction);
            }
        }

        if (current is not null)
        {
            stages.Add(new Stage(baseImage!, name, current));
        }

        return stages;
    }

    /// <summary>The JSON array of an exec-form instruction, or null for the shell form.</summary>
    public static string[]? ExecForm(Instruction instruction)
    {
        if (!instruction.Arguments.StartsWith('['))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<string[]>(instruction.Arguments);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("^(?<keyword>[A-Za-z]+)(\\s+(?<rest>.*))?$")]
    private static partial Regex InstructionLine();

    [GeneratedRegex("\\$\\{?(?<name>[A-Za-z_][A-Za-z0-9_]*)\\}?")]
    private static partial Regex Variable();
}

/// <summary>
/// .dockerignore matching as Docker does it: patterns relative to the context root, <c>*</c> and <c>?</c>
/// within one path segment, <c>**</c> across segments, a path excluded when it or a parent directory matches,
/// <c>!pattern</c> re-including, the last matching pattern winning.
/// </summary>
internal sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude)> _rules = [];

    public DockerIgnore(string text)
    {
        foreach (var raw in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var exclude = !raw.StartsWith('!');
            var pattern = (exclude ? raw : raw[1..]).Trim().TrimStart('/').TrimEnd('/');
            _rules.Add((new Regex("^" + ToRegex(pattern) + "$", RegexOptions.CultureInvariant), exclude));
        }
    }

    public bool IsExcluded(string path)
    {
        var segments = path.Trim('/').Split('/');
        var excluded = false;
        foreach (var (pattern, exclude) in _rules)
        {
            // A rule applies when it matches the path or one of its parent directories.
            for (var n = 1; n <= segments.Length; n++)
            {
                if (pattern.IsMatch(string.Join('/', segments[..n])))
                {
                    excluded = exclude;
                    break;
                }
            }
        }

        return excluded;
    }

    private static string ToRegex(string pattern)
    {
        var regex = new System.Text.StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        return regex.ToString();
    }
}
