using System.Text.Json.Serialization;

namespace LeaseAgent.Kubernetes;

/// <summary>
/// The API server's <c>Status</c> (the body of every error). Secrets themselves are handled as
/// <see cref="System.Text.Json.Nodes.JsonObject"/>: a PUT replaces the whole object, so every field this agent does not
/// model (owner references, finalizers, <c>immutable</c>, <c>type</c>, other managers' metadata) must go back as read.
/// </summary>
internal sealed record KubernetesStatus(
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("details")] KubernetesStatusDetails? Details);

internal sealed record KubernetesStatusDetails([property: JsonPropertyName("causes")] IReadOnlyList<KubernetesStatusCause>? Causes);

internal sealed record KubernetesStatusCause([property: JsonPropertyName("field")] string? Field);

[JsonSerializable(typeof(KubernetesStatus))]
internal sealed partial class KubernetesJsonContext : JsonSerializerContext;
