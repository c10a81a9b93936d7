using System.Text.Json.Serialization;
using k8s.Models;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>
/// The Secrets Store CSI driver's custom resource (<c>secrets-store.csi.x-k8s.io/v1</c>), field for field as its
/// CRD (the driver's <c>apis/v1/secretproviderclass_types.go</c>) declares it; KubernetesClient models only
/// built-in kinds.
/// </summary>
internal sealed class SecretProviderClass
{
    public const string Group = "secrets-store.csi.x-k8s.io";
    public const string Version = "v1";
    public const string KubeKind = "SecretProviderClass";

    [JsonPropertyName("apiVersion")]
    public required string ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public required string Kind { get; set; }

    [JsonPropertyName("metadata")]
    public required V1ObjectMeta Metadata { get; set; }

    [JsonPropertyName("spec")]
    public required SecretProviderClassSpec Spec { get; set; }
}

internal sealed class SecretProviderClassSpec
{
    [JsonPropertyName("provider")]
    public string? Provider { get; set; }

    /// <summary>map[string]string: an unquoted number or bool is refused.</summary>
    [JsonPropertyName("parameters")]
    public IDictionary<string, string>? Parameters { get; set; }

    [JsonPropertyName("secretObjects")]
    public IList<SecretObject>? SecretObjects { get; set; }
}

internal sealed class SecretObject
{
    [JsonPropertyName("secretName")]
    public string? SecretName { get; set; }

    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("labels")]
    public IDictionary<string, string>? Labels { get; set; }

    [JsonPropertyName("annotations")]
    public IDictionary<string, string>? Annotations { get; set; }

    [JsonPropertyName("data")]
    public IList<SecretObjectData>? Data { get; set; }
}

internal sealed class SecretObjectData
{
    [JsonPropertyName("objectName")]
    public string? ObjectName { get; set; }

    [JsonPropertyName("key")]
    public string? Key { get; set; }
}
