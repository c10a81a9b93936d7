namespace LeaseAgent.Kubernetes;

/// <summary>
/// How <c>lease-agent init</c> reaches the Kubernetes API for <c>secret:</c> targets: in-cluster, as the pod's own
/// service account. Read only when <c>SECRETS</c> has such a target.
/// </summary>
public sealed record KubernetesOptions
{
    /// <summary>The default <see cref="ServiceAccountDirectory"/>, where the kubelet mounts the API credentials.</summary>
    public const string DefaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>
    /// <c>https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT</c>: the variables the kubelet sets in every
    /// container (required; the port defaults to 443).
    /// </summary>
    public required Uri ApiServer { get; init; }

    /// <summary>
    /// <c>KUBERNETES_SERVICE_ACCOUNT_DIR</c>, default <c>/var/run/secrets/kubernetes.io/serviceaccount</c>: holds
    /// <c>token</c> (re-read for every request, as the kubelet rotates it), <c>ca.crt</c> (the only CA trusted for
    /// the API server) and <c>namespace</c> (where every Secret is written).
    /// </summary>
    public string ServiceAccountDirectory { get; init; } = DefaultServiceAccountDirectory;

    public string TokenFile => Path.Combine(ServiceAccountDirectory, "token");

    public string CaFile => Path.Combine(ServiceAccountDirectory, "ca.crt");

    public string NamespaceFile => Path.Combine(ServiceAccountDirectory, "namespace");
}
