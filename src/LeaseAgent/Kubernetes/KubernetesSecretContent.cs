using System.Text.Json;
using LeaseAgent.Configuration;
using LeaseAgent.Secrets;
using ScaiVault.Client;

namespace LeaseAgent.Kubernetes;

/// <summary>
/// What init writes into one Secret: the keys it manages, their bytes (each rendered as the <c>path#field</c> file
/// would be, <see cref="SecretValue.Render"/>), and the ScaiVault source of each key (for the annotation).
/// </summary>
public sealed record KubernetesSecretContent(string Name, IReadOnlyDictionary<string, byte[]> Data, IReadOnlyDictionary<string, string> Sources)
{
    /// <summary>
    /// Combines every mapping into one content per Secret, expanding whole secrets into one key per top-level field.
    /// Called after every secret was read and before anything is written.
    /// </summary>
    /// <exception cref="ConfigurationException">A field is no valid key, or two mappings write one key.</exception>
    /// <exception cref="SecretFieldMissingException">A <c>path#field</c> names a field the secret lacks.</exception>
    public static List<KubernetesSecretContent> Plan(IReadOnlyList<KubernetesSecretMapping> mappings, IReadOnlyDictionary<string, SecretValue> values)
    {
        ArgumentNullException.ThrowIfNull(mappings);
        ArgumentNullException.ThrowIfNull(values);
        var plans = new List<KubernetesSecretContent>();
        foreach (var secret in mappings.GroupBy(m => m.SecretName, StringComparer.Ordinal))
        {
            var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var sources = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var mapping in secret)
            {
                var value = values[mapping.Path];
                foreach (var (key, source, bytes) in Expand(mapping, value))
                {
                    if (!sources.TryAdd(key, source))
                    {
                        throw new ConfigurationException(SecretMappingParser.Key, $"'{mapping}' and '{sources[key]} -> secret:{secret.Key}' both write key '{key}' of Secret {secret.Key}; give each its own key");
                    }

                    data[key] = bytes;
                }
            }

            plans.Add(new KubernetesSecretContent(secret.Key, data, sources));
        }

        return plans;
    }

    private static List<(string Key, string Source, byte[] Bytes)> Expand(KubernetesSecretMapping mapping, SecretValue value)
    {
        var usedBy = $"mapping '{mapping}'";
        if (mapping.Key is { } key)
        {
            return [(key, mapping.Source, value.Render(mapping.Field, usedBy))];
        }

        // path -> secret:name: one key per top-level field; field names come from ScaiVault, so they are checked now.
        using var document = JsonDocument.Parse(value.Render(field: null));
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ConfigurationException(SecretMappingParser.Key, $"'{mapping}': secret {mapping.Path} holds no object of fields; name one key: secret:{mapping.SecretName}/key");
        }

        var fields = document.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        var invalid = fields.FirstOrDefault(f => !KubernetesNames.IsSecretKey(f));
        if (invalid is not null)
        {
            throw new ConfigurationException(SecretMappingParser.Key, $"'{mapping}': secret {mapping.Path} has field '{invalid}', which cannot be a Secret key ({KubernetesNames.KeyRule}); map it on its own line: {mapping.Path}#{invalid} -> secret:{mapping.SecretName}/some-key");
        }

        return fields.Select(f => (f, $"{mapping.Path}#{f}", value.Render(f, usedBy))).ToList();
    }
}
