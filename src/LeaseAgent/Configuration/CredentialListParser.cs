using Microsoft.Extensions.Configuration;

namespace LeaseAgent.Configuration;

/// <summary>
/// Parses <c>CREDENTIALS</c>: one dynamic credential per line, <c>ENGINE/ROLE -> /FILE [key=value …]</c>; blank lines
/// and <c>#</c> comments are allowed. The <c>LEASE_*</c>, <c>DB_*</c> and <c>OUTPUT_*</c> keys are every line's
/// defaults; a line overrides some of them (<see cref="Overrides"/>) and may name itself (<c>name=</c>, default
/// <c>ENGINE/ROLE</c>). Each value goes through its key's own parser from <see cref="AgentKeys"/>, so a line accepts
/// exactly what the key would. A bad line is a <see cref="ConfigurationException"/> naming its number and its text,
/// with the values of unknown keys left out (a pasted password must not reach the terminal).
/// </summary>
public static class CredentialListParser
{
    public const string Key = "CREDENTIALS";

    /// <summary>The override that names a credential (not a key of its own).</summary>
    public const string NameOverride = "name";

    /// <summary>What a line may override, and the key whose parser and default it shares.</summary>
    public static readonly IReadOnlyDictionary<string, Setting> Overrides = new Dictionary<string, Setting>(StringComparer.Ordinal)
    {
        ["host"] = AgentKeys.DbHost,
        ["port"] = AgentKeys.DbPort,
        ["database"] = AgentKeys.DbName,
        ["sslmode"] = AgentKeys.DbSslMode,
        ["format"] = AgentKeys.OutputFormat,
        ["mode"] = AgentKeys.OutputMode,
        ["ttl"] = AgentKeys.LeaseTtl,
    };

    private static readonly string Accepted = SettingParsers.Alternatives([NameOverride, .. Overrides.Keys]);

    /// <summary>
    /// The credentials of <paramref name="text"/>, in line order, with the agent-wide keys of <paramref name="config"/>
    /// as defaults. Empty when <paramref name="text"/> has no line.
    /// </summary>
    /// <param name="stateDirectory">The agent's state directory, shared by every credential's output.</param>
    public static IReadOnlyList<CredentialOptions> Parse(string? text, IConfiguration config, string stateDirectory)
    {
        var credentials = new List<(int Number, CredentialOptions Credential)>();
        var lines = (text ?? "").ReplaceLineEndings("\n").Split('\n');
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var credential = ParseLine(line, index + 1, config, stateDirectory);
            if (credentials.FirstOrDefault(c => c.Credential.Name == credential.Name) is { Credential: not null } sameName)
            {
                throw Bad(index + 1, line, $"is named '{credential.Name}', as line {sameName.Number} is; give one of them another name with name=…");
            }

            if (credentials.FirstOrDefault(c => c.Credential.Output.File == credential.Output.File) is { Credential: not null } sameFile)
            {
                throw Bad(index + 1, line, $"writes {credential.Output.File}, as line {sameFile.Number} does; give each credential its own file");
            }

            credentials.Add((index + 1, credential));
        }

        return [.. credentials.Select(c => c.Credential)];
    }

    /// <summary>
    /// The file of the first line, read without the other keys (<c>lease-agent probe</c> needs only the state directory
    /// beside it); null when there is no line, or none that names an absolute file. <see cref="Parse"/> validates.
    /// </summary>
    public static string? FirstFile(string? text)
    {
        var first = (text ?? "").ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#'));
        var arrow = first?.IndexOf("->", StringComparison.Ordinal) ?? -1;
        var file = arrow < 0 ? null : first![(arrow + 2)..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return file is not null && file.StartsWith('/') ? file : null;
    }

    private static CredentialOptions ParseLine(string line, int number, IConfiguration config, string stateDirectory)
    {
        var arrow = line.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0)
        {
            throw Bad(number, line, "has no '->'");
        }

        var right = line[(arrow + 2)..];
        if (right.Contains("->", StringComparison.Ordinal))
        {
            throw Bad(number, line, "has more than one '->'");
        }

        var (engine, role) = ParseSource(line, number, line[..arrow].Trim());
        var words = right.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var file = words.Length > 0 ? words[0] : "";
        if (!file.StartsWith('/') || file.EndsWith('/') || file.Any(char.IsControl))
        {
            throw Bad(number, line, "needs an absolute file path after '->', like /run/secrets/db.json");
        }

        if (file[1..].Split('/').Any(segment => segment is "" or "." or ".."))
        {
            throw Bad(number, line, "has an empty, '.' or '..' segment in its file path; write the path without them");
        }

        var overrides = ParseOverrides(line, number, words[1..]);

        // The line's values stand in for the agent-wide keys, so each is read by that key's parser, with its bounds.
        var values = overrides.Where(o => o.Key != NameOverride).ToDictionary(o => Overrides[o.Key].Name, o => o.Value, StringComparer.Ordinal);
        values[AgentKeys.OutputFile.Name] = file;
        var reader = new SettingReader(key => values.TryGetValue(key, out var value) ? value : config[key]);
        try
        {
            var lease = AgentConfiguration.ReadLease(reader, engine, role);
            return new CredentialOptions(
                overrides.GetValueOrDefault(NameOverride) ?? CredentialOptions.DefaultName(lease),
                lease,
                AgentConfiguration.ReadDatabase(reader),
                AgentConfiguration.ReadOutput(reader, stateDirectory));
        }
        catch (ConfigurationException e) when (e.Key == AgentKeys.OutputFile.Name)
        {
            throw Bad(number, line, $"file: {e.Problem}");
        }
        catch (ConfigurationException e) when (Overrides.FirstOrDefault(o => o.Value.Name == e.Key) is { Value: not null } shared)
        {
            if (overrides.ContainsKey(shared.Key))
            {
                throw Bad(number, line, $"{shared.Key}: {e.Problem}");
            }

            if (string.IsNullOrWhiteSpace(config[e.Key]))
            {
                throw Bad(number, line, $"needs {shared.Key}=… (or {e.Key} for every line): {e.Problem}");
            }

            throw; // the agent-wide key's own error names it
        }
    }

    /// <summary><c>ENGINE/ROLE</c>: both non-empty, one slash, no spaces.</summary>
    private static (string Engine, string Role) ParseSource(string line, int number, string source)
    {
        var parts = source.Split('/');
        return parts is [{ Length: > 0 } engine, { Length: > 0 } role] && !source.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            ? (engine, role)
            : throw Bad(number, line, "needs ENGINE/ROLE before '->', like reporting-db/readonly");
    }

    private static Dictionary<string, string> ParseOverrides(string line, int number, IEnumerable<string> words)
    {
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in words)
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == word.Length - 1)
            {
                throw Bad(number, line, $"has a word after the file that is not key=value; add overrides as key=value, from {Accepted}");
            }

            var key = word[..equals];
            if (key != NameOverride && !Overrides.ContainsKey(key))
            {
                throw Bad(number, line, $"overrides '{key}', which a line cannot set; use {Accepted}");
            }

            if (!overrides.TryAdd(key, word[(equals + 1)..]))
            {
                throw Bad(number, line, $"sets {key}= twice; set it once");
            }
        }

        if (overrides.TryGetValue(NameOverride, out var name) && !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/'))
        {
            throw Bad(number, line, $"has name '{name}'; use letters, digits, '.', '_', '-' and '/'");
        }

        return overrides;
    }

    private static ConfigurationException Bad(int number, string line, string problem) =>
        new(Key, $"line {number} '{Shown(line)}' {problem}; write 'ENGINE/ROLE -> /FILE [key=value …]'");

    /// <summary>
    /// The line as an error may show it: engine/role, file and known overrides as written; the value of any other
    /// key=value, and any other word after the file, left out, since only they could be a pasted secret.
    /// </summary>
    private static string Shown(string line)
    {
        var shown = new List<string>();
        var (afterArrow, afterFile) = (false, false);
        foreach (var word in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (word.Contains("->", StringComparison.Ordinal))
            {
                afterArrow = true;
                afterFile = !word.EndsWith("->", StringComparison.Ordinal);
                shown.Add(word);
            }
            else if (equals > 0)
            {
                var key = word[..equals];
                shown.Add(key == NameOverride || Overrides.ContainsKey(key) ? word : key + "=…");
            }
            else if (afterFile)
            {
                shown.Add("…");
            }
            else
            {
                afterFile = afterArrow;
                shown.Add(word);
            }
        }

        return string.Join(' ', shown);
    }
}
