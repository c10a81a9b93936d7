using LeaseAgent.Configuration;

namespace LeaseAgent.Secrets;

/// <summary>
/// Parses <c>SECRETS</c>, the format of ScaiVault's init-container guide: one mapping per line,
/// <c>path -> /file</c> or <c>path#field -> /file</c>; blank lines and <c>#</c> comments are allowed.
/// </summary>
public static class SecretMappingParser
{
    public const string Key = "SECRETS";

    public static IReadOnlyList<SecretMapping> Parse(string? text)
    {
        var mappings = new List<SecretMapping>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return mappings;
        }

        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            mappings.Add(ParseLine(line, index + 1));
        }

        var duplicate = mappings.GroupBy(m => Path.GetFullPath(m.File), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ConfigurationException(Key, $"two mappings write {duplicate.Key}; give each secret its own file");
        }

        return mappings;
    }

    /// <summary>
    /// Refuses a mapping that would overwrite the agent's own files: the credential file, or anything in the state
    /// directory (a secret written over <c>journal.json</c> would make the next start revoke what it names).
    /// </summary>
    /// <param name="credentialFile">OUTPUT_FILE when a credential is leased, else null.</param>
    public static void CheckTargets(IReadOnlyList<SecretMapping> mappings, string stateDirectory, string? credentialFile)
    {
        var insideState = Path.TrimEndingDirectorySeparator(stateDirectory) + "/";
        foreach (var mapping in mappings)
        {
            var file = Path.GetFullPath(mapping.File);
            if (file == credentialFile)
            {
                throw new ConfigurationException(Key, $"'{mapping}' writes the credential file (OUTPUT_FILE); give the secret its own file");
            }

            if (file == stateDirectory || file.StartsWith(insideState, StringComparison.Ordinal))
            {
                throw new ConfigurationException(Key, $"'{mapping}' writes into STATE_DIR ({stateDirectory}), where the agent keeps its journal; give the secret a file outside it");
            }
        }
    }

    private static SecretMapping ParseLine(string line, int number)
    {
        var arrow = line.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0)
        {
            throw Bad(number, line, "has no '->'");
        }

        var source = line[..arrow].Trim();
        var file = line[(arrow + 2)..].Trim();
        if (file.Contains("->", StringComparison.Ordinal))
        {
            throw Bad(number, line, "has more than one '->'");
        }

        if (!file.StartsWith('/') || file.EndsWith('/') || file.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw Bad(number, line, "needs an absolute file path without spaces after '->'");
        }

        if (HasDotOrEmptySegment(file[1..]))
        {
            throw Bad(number, line, "has an empty, '.' or '..' segment in its file path; write the path without them");
        }

        var hash = source.IndexOf('#', StringComparison.Ordinal);
        var path = (hash < 0 ? source : source[..hash]).Trim().Trim('/');
        var field = hash < 0 ? null : source[(hash + 1)..].Trim();
        if (path.Length == 0 || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '?' or '#'))
        {
            throw Bad(number, line, "needs a secret path before '->', like infra/postgres/reporting/root");
        }

        // ".." would climb out of /v1/secrets/ once the URL is normalised (the agent sent its token to /v1/dynamic/leases).
        if (HasDotOrEmptySegment(path))
        {
            throw Bad(number, line, "has an empty, '.' or '..' segment in its secret path; name the secret directly, like infra/postgres/reporting/root");
        }

        if (field is { Length: 0 } || (field is not null && field.Any(char.IsWhiteSpace)))
        {
            throw Bad(number, line, "needs a field name after '#', like path#password");
        }

        return new SecretMapping(path, field, file);
    }

    private static bool HasDotOrEmptySegment(string path) => path.Split('/').Any(segment => segment is "" or "." or "..");

    // The line is echoed: mappings name paths and files, never secret values.
    private static ConfigurationException Bad(int number, string line, string problem) =>
        new(Key, $"line {number} '{line}' {problem}; use 'path -> /file' or 'path#field -> /file'");
}
