using System.Text.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using ScaiVault.CsiProvider.Tests.Infrastructure;
using ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;
using ScaiVault.CsiProvider.Tests.Mounting;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Tests.Acceptance;

/// <summary>Which provider a check drives.</summary>
public enum ProviderHostKind
{
    /// <summary>The provider's services in the test process (<see cref="InProcessProvider"/>).</summary>
    InProcess,

    /// <summary>The published Native AOT <c>scaivault-csi-provider</c> as a process.</summary>
    Aot,
}

/// <summary>
/// One test class's world for the brief's §8 acceptance checks: a real ScaiVault emulator (<c>--dev</c>) over its own
/// database of the test Postgres, the provider in process against it, and, on first use, the published AOT provider
/// against it too. Every test uses its own secret paths and pods, so the tests of a class share it. When disposed,
/// it checks that no token or secret value it handed out reached either provider's log.
/// </summary>
public sealed class AcceptanceWorld : IAsyncLifetime
{
    private readonly List<string> _secrets = [];
    private readonly SemaphoreSlim _aotStart = new(1, 1);
    private SocketDirectory? _aotDirectory;
    private AgentProcess? _aot;
    private FakeDriver? _aotDriver;

    public ScaiVaultEmulator Emulator { get; private set; } = null!;

    public InProcessProvider InProcess { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Emulator = await new ScaiVaultEmulatorBuilder().WithDevEndpoints().WithAccessLog().StartAsync();
        InProcess = await InProcessProvider.StartAsync(Emulator.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        _aotDriver?.Dispose();
        if (_aot is not null)
        {
            await _aot.DisposeAsync();
        }

        _aotDirectory?.Dispose();
        if (InProcess is not null)
        {
            await InProcess.DisposeAsync();
        }

        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }

        var lines = (InProcess?.Log.Lines.Select(l => l.Text) ?? []).Concat(_aot?.Lines ?? []).ToList();
        foreach (var secret in _secrets.Where(s => s.Length >= 8))
        {
            var leak = lines.FirstOrDefault(l => l.Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"a token or secret value appears in the provider's log: {leak?[..Math.Min(leak.Length, 120)]}…");
        }

        _aotStart.Dispose();
    }

    /// <summary>A driver dialling the provider of <paramref name="kind"/> (the AOT one is published and started once).</summary>
    public async Task<FakeDriver> DriverAsync(ProviderHostKind kind)
    {
        if (kind == ProviderHostKind.InProcess)
        {
            return InProcess.Driver;
        }

        await _aotStart.WaitAsync();
        try
        {
            if (_aotDriver is null)
            {
                _aotDirectory = new SocketDirectory();
                _aot = await ProviderInstance.StartAsync(_aotDirectory.Socket, "provider", "--scaivault-url", Emulator.BaseAddress.ToString());
                _aotDriver = new FakeDriver(_aotDirectory.Socket);
            }

            return _aotDriver;
        }
        finally
        {
            _aotStart.Release();
        }
    }

    /// <summary>A pod's volume, filled through the driver emulation from the provider of <paramref name="kind"/>.</summary>
    public async Task<PodVolume> NewVolumeAsync(ProviderHostKind kind = ProviderHostKind.InProcess) => new(await DriverAsync(kind));

    /// <summary>A fresh secret path for one test, so tests sharing the emulator never see each other's versions.</summary>
    public static string NewPath(string name) => $"apps/{Guid.NewGuid():N}/{name}";

    /// <summary>Writes a new version of a secret and returns it; its string values are remembered for the log scan.</summary>
    public async Task<int> PutSecretAsync(string path, JsonObject data)
    {
        _secrets.AddRange(data.Select(p => p.Value).OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()));
        return await Emulator.PutSecretAsync(path, data);
    }

    /// <summary>The secret's current ScaiVault version, as the admin reads it.</summary>
    public async Task<int> SecretVersionAsync(string path) => (await Emulator.ReadSecretAsync(path))["version"]!.GetValue<int>();

    /// <summary>A pod's projected service-account token for audience <c>scaivault</c>, minted by the emulator.</summary>
    public async Task<(string Jwt, DateTimeOffset ExpiresAt)> MintPodTokenAsync()
    {
        var token = await Emulator.MintAsync();
        _secrets.Add(token.Jwt);
        return token;
    }

    /// <summary>
    /// A Mount as driver v1.6 builds it for a pod (brief §1.4) with a freshly minted token, as every republish carries
    /// one: the SecretProviderClass's <c>objects</c>, the kubelet's pod-info keys, <c>secrets</c> "null",
    /// <c>permission</c> "420" and the kubelet's target path for the pod.
    /// </summary>
    public async Task<MountRequest> RequestAsync(string objects, string? podUid = null) =>
        MountRequests.ForPod(await MintPodTokenAsync(), objects, podUid ?? Guid.NewGuid().ToString());
}
