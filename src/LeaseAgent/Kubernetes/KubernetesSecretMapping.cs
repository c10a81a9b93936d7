namespace LeaseAgent.Kubernetes;

/// <summary>
/// One <c>SECRETS</c> line whose target is a Kubernetes Secret in the pod's own namespace (<c>-> secret:name</c> or
/// <c>-> secret:name/key</c>), written by <c>lease-agent init</c> only.
/// </summary>
/// <param name="Path">The ScaiVault secret path.</param>
/// <param name="Field">One field of it, or null for the whole secret.</param>
/// <param name="SecretName">The Kubernetes Secret (a DNS subdomain).</param>
/// <param name="Key">
/// The Secret key; null only for a whole secret without a key (<c>path -> secret:name</c>), which writes one key per
/// top-level field of the secret's <c>data</c>. A field without a key (<c>path#field -> secret:name</c>) is keyed by
/// the field's name.
/// </param>
public sealed record KubernetesSecretMapping(string Path, string? Field, string SecretName, string? Key)
{
    /// <summary>The <c>path[#field]</c> whose bytes the key holds: the same rendering as a file mapping's.</summary>
    public string Source => Field is null ? Path : $"{Path}#{Field}";

    public override string ToString() => $"{Source} -> secret:{SecretName}{(Key is null ? string.Empty : "/" + Key)}";
}
