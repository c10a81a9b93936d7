using System.Text.Json;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Tests.Mounting;

/// <summary>Mount requests shaped exactly as driver v1.6 builds them (the brief's §1.4 example), to vary one thing at a time.</summary>
internal static class MountRequests
{
    public const string Token = "eyJhbGciOiJSUzI1NiJ9.sentinel-pod-token.c2ln";
    public const string SecretSentinel = "sentinel-node-publish-secret";
    public const string Objects = "- objectName: db.json\n  path: environments/production/billing/database\n";

    public static readonly ProviderOptions Options = new()
    {
        Endpoint = "/tmp/sv-test/scaivault.sock",
        ScaiVaultUrl = new Uri("https://scaivault.scailabs.ai"),
        AllowedUrls = [new Uri("https://scaivault.eu.scailabs.ai/")],
        DefaultAudience = "scaivault",
        MaxConcurrency = 16,
        RequestTimeout = TimeSpan.FromSeconds(45),
        JsonLogs = true,
    };

    /// <summary>The driver's attributes with <paramref name="objects"/> and one token, for <paramref name="tokenAudience"/>; tests edit the dictionary.</summary>
    public static Dictionary<string, string> Attributes(string objects = Objects, string tokenAudience = "scaivault")
    {
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["csi.storage.k8s.io/ephemeral"] = "true",
            ["csi.storage.k8s.io/pod.name"] = "reporting-7d9f-abcde",
            ["csi.storage.k8s.io/pod.namespace"] = "reporting",
            ["csi.storage.k8s.io/pod.uid"] = "5a3c0000-0000-4000-8000-000000000001",
            ["csi.storage.k8s.io/serviceAccount.name"] = "reporting",
            ["csi.storage.k8s.io/serviceAccount.tokens"] = Tokens((tokenAudience, Token)),
            ["objects"] = objects,
            ["secretProviderClass"] = "reporting-secrets",
        };
    }

    public static string Tokens(params (string Audience, string Token)[] tokens) =>
        Tokens(DateTimeOffset.Parse("2026-12-01T22:00:00Z", System.Globalization.CultureInfo.InvariantCulture), tokens);

    /// <summary>The kubelet's token map, every token expiring at <paramref name="expiresAt"/>.</summary>
    public static string Tokens(DateTimeOffset expiresAt, params (string Audience, string Token)[] tokens) =>
        JsonSerializer.Serialize(tokens.ToDictionary(t => t.Audience, t => new Dictionary<string, string>
        {
            ["token"] = t.Token,
            ["expirationTimestamp"] = expiresAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        }));

    /// <summary>
    /// A Mount for one pod with a real JWT (e.g. minted by the emulator), as the driver sends it; the pod's UID also
    /// goes into the kubelet-shaped target path.
    /// </summary>
    public static MountRequest ForPod(
        (string Jwt, DateTimeOffset ExpiresAt) token,
        string objects,
        string podUid = "5a3c0000-0000-4000-8000-000000000001",
        string podName = "reporting-7d9f-abcde",
        string @namespace = "reporting",
        string serviceAccount = "reporting",
        string tokenAudience = "scaivault",
        Action<Dictionary<string, string>>? edit = null)
    {
        var attributes = Attributes(objects);
        attributes["csi.storage.k8s.io/pod.uid"] = podUid;
        attributes["csi.storage.k8s.io/pod.name"] = podName;
        attributes["csi.storage.k8s.io/pod.namespace"] = @namespace;
        attributes["csi.storage.k8s.io/serviceAccount.name"] = serviceAccount;
        attributes["csi.storage.k8s.io/serviceAccount.tokens"] = Tokens(token.ExpiresAt, (tokenAudience, token.Jwt));
        edit?.Invoke(attributes);
        var request = Request(attributes);
        request.TargetPath = $"/var/lib/kubelet/pods/{podUid}/volumes/kubernetes.io~csi/secrets/mount";
        return request;
    }

    public static MountRequest Request(Dictionary<string, string> attributes, string secrets = "null", string permission = "420") => new()
    {
        Attributes = JsonSerializer.Serialize(attributes),
        Secrets = secrets,
        Permission = permission,
        TargetPath = "/var/lib/kubelet/pods/5a3c0000-0000-4000-8000-000000000001/volumes/kubernetes.io~csi/secrets/mount",
    };

    public static MountRequest WithObjects(string objects) => Request(Attributes(objects));
}
