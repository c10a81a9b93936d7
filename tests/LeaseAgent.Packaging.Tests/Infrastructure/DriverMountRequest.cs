using System.Runtime.Versioning;
using System.Text.Json;
using ScaiVault.CsiProvider.V1Alpha1;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>
/// The <see cref="MountRequest"/> the Secrets Store CSI driver (v1.6) sends for a pod: the class's parameters with the
/// kubelet's pod-info keys and, when the CSIDriver requests one, the pod's token for the audience; <c>secrets</c>
/// <c>"null"</c> and <c>permission</c> <c>"420"</c>. For checking manifests and docs with the provider's own parser.
/// </summary>
[SupportedOSPlatform("linux")] // the provider is a Linux-only assembly
internal static class DriverMountRequest
{
    public static MountRequest For(IReadOnlyDictionary<string, string> parameters, string secretProviderClass, string podNamespace, string? tokenAudience)
    {
        var attributes = new Dictionary<string, string>(parameters)
        {
            ["secretProviderClass"] = secretProviderClass,
            ["csi.storage.k8s.io/pod.name"] = "reporting-service-7d9f-abcde",
            ["csi.storage.k8s.io/pod.namespace"] = podNamespace,
            ["csi.storage.k8s.io/pod.uid"] = "5a3c0000-0000-4000-8000-000000000001",
            ["csi.storage.k8s.io/serviceAccount.name"] = "reporting-service",
            ["csi.storage.k8s.io/ephemeral"] = "true",
        };
        if (tokenAudience is not null)
        {
            attributes["csi.storage.k8s.io/serviceAccount.tokens"] = JsonSerializer.Serialize(
                new Dictionary<string, Dictionary<string, string>> { [tokenAudience] = new() { ["token"] = "header.payload.signature", ["expirationTimestamp"] = "2026-12-01T22:00:00Z" } });
        }

        return new MountRequest
        {
            Attributes = JsonSerializer.Serialize(attributes),
            Secrets = "null",
            Permission = "420",
            TargetPath = "/var/lib/kubelet/pods/5a3c0000-0000-4000-8000-000000000001/volumes/kubernetes.io~csi/scaivault-secrets/mount",
        };
    }
}
