using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>
/// Decodes manifests into the Kubernetes API's own types (the KubernetesClient models, generated from the API's
/// OpenAPI document) the way the API server decodes a request under strict field validation, kubectl's default
/// since 1.27: the YAML read with go-yaml's rules (<see cref="YamlDocuments"/>), turned into JSON, and decoded
/// refusing unknown fields, fields in the wrong case and values of the wrong JSON type (a quoted number for an
/// integer, a number for a string, a scalar for a list). Missing required fields (a container without a name)
/// are the API server's validation, not its decoding; the models do not mark them.
/// </summary>
/// <remarks>
/// Not <c>KubernetesYaml</c>'s strict mode: it refuses unknown fields, but YamlDotNet converts a scalar by its
/// text, so <c>containerPort: "8099"</c> and an env <c>value: 5432</c> pass it while the API server refuses both
/// (<c>KubernetesApiTypesTests</c> pins both behaviours).
/// </remarks>
internal static class KubernetesApiTypes
{
    /// <summary><c>apiVersion/kind</c> to model: every built-in kind, and the custom resources the samples and the chart use.</summary>
    private static readonly Dictionary<string, Type> Models = typeof(V1Pod).Assembly.GetTypes()
        .Select(type => (Type: type, Entity: type.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(model => model.Entity is not null)
        .ToDictionary(model => Key(model.Entity!.Group, model.Entity.ApiVersion, model.Entity.Kind), model => model.Type)
        .Append(new(Key(SecretProviderClass.Group, SecretProviderClass.Version, SecretProviderClass.KubeKind), typeof(SecretProviderClass)))
        .Concat(PrometheusOperator.Kinds.Select(kind => new KeyValuePair<string, Type>(Key(PrometheusOperator.Group, PrometheusOperator.Version, kind.Kind), kind.Model)))
        .ToDictionary(StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Strict = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>One sentence per manifest the API server would refuse (the first mistake in each).</summary>
    public static List<string> Check(IEnumerable<Dictionary<string, object?>> documents)
    {
        var findings = new List<string>();
        foreach (var document in documents)
        {
            try
            {
                Decode(document);
            }
            catch (ManifestException e)
            {
                findings.Add(e.Message);
            }
        }

        return findings;
    }

    /// <summary>The manifest as its API type (<see cref="V1Deployment"/>, <see cref="V1ServiceAccount"/>, …).</summary>
    /// <exception cref="ManifestException">The API server would refuse it; the message names the object and the field.</exception>
    public static object Decode(Dictionary<string, object?> document)
    {
        var key = document.Str("apiVersion") + "/" + document.Kind();
        if (!Models.TryGetValue(key, out var type))
        {
            throw new ManifestException($"{document.Describe()}: apiVersion/kind {key} is not a Kubernetes API type (nor a custom resource the tests model)");
        }

        try
        {
            return JsonSerializer.Deserialize(JsonSerializer.Serialize(document), type, Strict)
                ?? throw new ManifestException($"{document.Describe()}: empty");
        }
        catch (JsonException e)
        {
            // JsonException's message repeats the path and adds a byte position in the one-line JSON; keep the first sentence.
            var reason = e.Message.Split(" Path: ", 2)[0];
            throw new ManifestException($"{document.Describe()}: {e.Path ?? "$"}: {reason}", e);
        }
    }

    public static T Decode<T>(Dictionary<string, object?> document) =>
        Decode(document) is T model ? model : throw new ManifestException($"{document.Describe()} is not a {typeof(T).Name}");

    private static string Key(string group, string version, string kind) =>
        (string.IsNullOrEmpty(group) ? version : group + "/" + version) + "/" + kind;
}

/// <summary>A manifest the API server would refuse.</summary>
internal sealed class ManifestException(string message, Exception? inner = null) : Exception(message, inner);
