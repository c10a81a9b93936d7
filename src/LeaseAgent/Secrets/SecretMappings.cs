using LeaseAgent.Kubernetes;

namespace LeaseAgent.Secrets;

/// <summary>Every line of <c>SECRETS</c>, by target: files, and Kubernetes Secrets (written by <c>init</c> only).</summary>
public sealed record SecretMappings(IReadOnlyList<SecretMapping> Files, IReadOnlyList<KubernetesSecretMapping> KubernetesSecrets);
