using LeaseAgent.Configuration;
using LeaseAgent.Kubernetes;

namespace LeaseAgent.Secrets;

/// <summary>
/// Parses <c>SECRETS</c>, the format of ScaiVault's init-container guide: one mapping per line,
/// <c>path -> /file</c> or <c>path#field -> /file</c>; blank lines and <c>#</c> comments are allowed. For
/// <c>lease-agent init</c> the target may instead be a Kubernetes Secret in the pod's namespace:
/// <c>path -> secret:name</c> (one key per top-level field), <c>path -> secret:name/key</c> (the whole secret as
/// JSON), <c>path#field -> secret:name/key</c>, or <c>path#field -> secret:name</c> (keyed by the field).
/// </summary>
public static class SecretMappingParser
{
    public const string Key = "SECRETS";

    /// <summary>The prefix of a Kubernetes Secret target.</summary>
    public const string SecretTargetPrefix = "secret:";

    /// <summary>The file mappings only (what <c>run</c> and <c>probe</c> look at).</summary>
    public static IReadOnlyList<SecretMapping> Parse(string? text) => ParseAll(text).Files;

    public static SecretMappings ParseAll(string? text)
    {
        var mappings = new List<SecretMapping>();
        var kubernetesSecrets = new List<KubernetesSecretMapping>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return new SecretMappings(mappings, kubernetesSecrets);
        }

        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var (source, target) = SplitLine(line, index + 1);
            if (target.StartsWith(SecretTargetPrefix, StringComparison.Ordinal))
            {
                kubernetesSecrets.Add(ParseSecretTarget(line, index + 1, source, target[SecretTargetPrefix.Length..]));
            }
            else
            {
                mappings.Add(ParseFileTarget(line, index + 1, source, target));
            }
        }

        var duplicate = mappings.GroupBy(m => Path.GetFullPath(m.File), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ConfigurationException(Key, $"two mappings write {duplicate.Key}; give each secret its own file");
        }

        // Keys a whole-secret line expands to are known only once the secret is read; init checks those.
        var sameKey = kubernetesSecrets.Where(m => m.Key is not null).GroupBy(m => (m.SecretName, m.Key)).FirstOrDefault(g => g.Count() > 1);
        if (sameKey is not null)
        {
            throw new ConfigurationException(Key, $"two mappings write key '{sameKey.Key.Key}' of Secret {sameKey.Key.SecretName}; give each its own key");
        }

        return new SecretMappings(mappings, kubernetesSecrets);
    }

    /// <summary>
    /// Refuses a mapping that would overwrite the agent's own files: the credential file, or anything in the state
    /// directory (a secret written over <c>journal.json</c> would make the next start revoke what it names).
    /// </summary>
    /// <param name="credentials">The dynamic credentials, whose files are the agent's.</param>
    /// <param name="filesKey">The key that named their files: <c>OUTPUT_FILE</c> or <c>CREDENTIALS</c>.</param>
    public static void CheckTargets(IReadOnlyList<SecretMapping> mappings, string stateDirectory, IReadOnlyList<CredentialOptions> credentials, string filesKey)
    {
        var insideState = Path.TrimEndingDirectorySeparator(stateDirectory) + "/";
        foreach (var mapping in mappings)
        {
            var file = Path.GetFullPath(mapping.File);
            if (credentials.FirstOrDefault(c => c.Output.File == file) is { } credential)
            {
                throw new ConfigurationException(Key, $"'{mapping}' writes the credential file of {credential.Name} ({filesKey}); give the secret its own file");
            }

            if (file == stateDirectory || file.StartsWith(insideState, StringComparison.Ordinal))
            {
                throw new ConfigurationException(Key, $"'{mapping}' writes into STATE_DIR ({stateDirectory}), where the agent keeps its journal; give the secret a file outside it");
            }
        }
    }

    private static (string Source, string Target) SplitLine(string line, int number)
    {
        var arrow = line.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0)
        {
            throw Bad(number, line, "has no '->'");
        }

        var target = line[(arrow + 2)..].Trim();
        return target.Contains("->", StringComparison.Ordinal)
            ? throw Bad(number, line, "has more than one '->'")
            : (line[..arrow].Trim(), target);
    }

    private static SecretMapping ParseFileTarget(string line, int number, string source, string file)
    {
        if (!file.StartsWith('/') || file.EndsWith('/') || file.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw Bad(number, line, "needs an absolute file path without spaces after '->'");
        }

        if (HasDotOrEmptySegment(file[1..]))
        {
            throw Bad(number, line, "has an empty, '.' or '..' segment in its file path; write the path without them");
        }

        var (path, field) = ParseSource(line, number, source);
        return new SecretMapping(path, field, file);
    }

    /// <summary>
    /// <c>name</c> or <c>name/key</c>. The Secret is always in the pod's own namespace: a Role in that namespace is
    /// all the Job needs, and a line cannot reach into another namespace, whatever RBAC would allow.
    /// </summary>
    private static KubernetesSecretMapping ParseSecretTarget(string line, int number, string source, string target)
    {
        var (path, field) = ParseSource(line, number, source);
        var parts = target.Split('/');
        if (parts.Length > 2)
        {
            throw Bad(number, line, "names more than secret:name/key; the Secret is always in the pod's own namespace (least privilege: the Job's Role grants only there), so write secret:name or secret:name/key");
        }

        var name = parts[0];
        if (!KubernetesNames.IsSecretName(name))
        {
            throw Bad(number, line, $"names Secret '{name}' after 'secret:'; {KubernetesNames.NameRule}");
        }

        var key = parts.Length == 2 ? parts[1] : field;
        if (key is not null && !KubernetesNames.IsSecretKey(key))
        {
            throw Bad(number, line, $"writes key '{key}'; {KubernetesNames.KeyRule} (name the key: secret:{name}/key)");
        }

        return new KubernetesSecretMapping(path, field, name, key);
    }

    private static (string Path, string? Field) ParseSource(string line, int number, string source)
    {
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

        return (path, field);
    }

    private static bool HasDotOrEmptySegment(string path) => path.Split('/').Any(segment => segment is "" or "." or "..");

    // The line is echoed: mappings name paths and files, never secret values.
    private static ConfigurationException Bad(int number, string line, string problem) =>
        new(Key, $"line {number} '{line}' {problem}; use 'path -> /file', 'path#field -> /file' or (init only) 'path[#field] -> secret:name[/key]'");
}
