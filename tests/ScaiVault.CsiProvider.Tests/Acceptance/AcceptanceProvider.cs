using System.Text.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using LeaseAgent.Tests.Integration;
using ScaiVault.CsiProvider.Tests.Infrastructure;
using ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;
using ScaiVault.CsiProvider.Tests.Mounting;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Tests.Acceptance;

/// <summary>
/// One test class's world for the brief's §8 acceptance checks: a real ScaiVault emulator (<c>--dev</c>) over its own
/// database of the test Postgres, and the published Native AOT <c>scaivault-csi-provider</c> pointed at it, dialled by a
/// <see cref="FakeDriver"/>. Every test uses its own secret paths and pod, so the tests of a class share it.
/// When disposed, it checks that no token or secret value it handed out reached the provider's log.
/// </summary>
public sealed class AcceptanceProvider : IAsyncLifetime
{
    private const string ServiceAccount = "reporting";
    private const string Namespace = "reporting";

    private readonly SocketDirectory _socketDirectory = new();
    private readonly List<string> _secrets = [];

    public ScaiVaultEmulator Emulator { get; private set; } = null!;

    public AgentProcess Provider { get; private set; } = null!;

    public FakeDriver Driver { get; private set; } = null!;

    /// <summary>What the pods' service account is called in ScaiVault (the projected token's <c>sub</c>).</summary>
    public static string Subject => $"system:serviceaccount:{Namespace}:{ServiceAccount}";

    public async Task InitializeAsync()
    {
        Emulator = await ScaiVaultEmulator.StartAsync();
        Provider = AgentProcess.Start(
            await ProviderBinary.GetPathAsync(),
            new Dictionary<string, string>(),
            ["--endpoint", _socketDirectory.Socket, "--scaivault-url", Emulator.BaseAddress.ToString(), "--log-format", "json"],
            "provider");
        await Eventually.TrueAsync(() => Provider.Logged(ProviderInstance.ListeningLine) || Provider.HasExited, ProviderInstance.StartTimeout, "the provider to listen", () => Provider.Output);
        Assert.False(Provider.HasExited, $"the provider exited before listening:\n{Provider.Output}");
        Driver = new FakeDriver(_socketDirectory.Socket);
    }

    public async Task DisposeAsync()
    {
        Driver?.Dispose();
        if (Provider is not null)
        {
            await Provider.DisposeAsync();
            foreach (var line in Provider.Lines)
            {
                foreach (var secret in _secrets.Where(s => s.Length >= 8))
                {
                    Assert.False(line.Contains(secret, StringComparison.Ordinal), $"a token or secret value appears in the provider's log: {line[..Math.Min(line.Length, 120)]}…");
                }
            }
        }

        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }

        _socketDirectory.Dispose();
    }

    /// <summary>A fresh secret path for one test, so tests sharing the emulator never see each other's versions.</summary>
    public static string NewPath(string name) => $"apps/{Guid.NewGuid():N}/{name}";

    /// <summary>Writes a new version of a secret; its string values are remembered for the log scan.</summary>
    public async Task PutSecretAsync(string path, JsonObject data)
    {
        _secrets.AddRange(data.Select(p => p.Value).OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()));
        await Emulator.PutSecretAsync(path, data);
    }

    /// <summary>The secret's current ScaiVault version, as the admin reads it.</summary>
    public async Task<int> SecretVersionAsync(string path)
    {
        var response = await Emulator.Admin.GetAsync($"/v1/secrets/{path}");
        await TutorialSetup.EnsureSuccessAsync(response);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return body["version"]!.GetValue<int>();
    }

    /// <summary>A pod's projected service-account token for audience <c>scaivault</c>, minted by the emulator.</summary>
    public async Task<string> MintPodTokenAsync()
    {
        var token = await Emulator.MintWorkloadTokenAsync(Subject);
        _secrets.Add(token);
        return token;
    }

    /// <summary>
    /// A Mount request as driver v1.6 builds it for a pod (brief §1.4): the SecretProviderClass's <c>objects</c>, the
    /// kubelet's pod-info keys, the pod's token under <c>serviceAccount.tokens</c>, <c>secrets</c> "null",
    /// <c>permission</c> "420" and the kubelet's target path for the pod.
    /// </summary>
    public async Task<MountRequest> RequestAsync(string objects, string? podUid = null)
    {
        podUid ??= Guid.NewGuid().ToString();
        var attributes = MountRequests.Attributes(objects);
        attributes["csi.storage.k8s.io/pod.uid"] = podUid;
        attributes["csi.storage.k8s.io/serviceAccount.name"] = ServiceAccount;
        attributes["csi.storage.k8s.io/pod.namespace"] = Namespace;
        attributes["csi.storage.k8s.io/serviceAccount.tokens"] = MountRequests.Tokens(("scaivault", await MintPodTokenAsync()));
        var request = MountRequests.Request(attributes);
        request.TargetPath = $"/var/lib/kubelet/pods/{podUid}/volumes/kubernetes.io~csi/secrets-store-inline/mount";
        return request;
    }

    /// <summary>A pod's volume, filled through the driver emulation.</summary>
    public PodVolume NewVolume() => new(Driver);
}
