using ScaiVault.Emulator.Tests.Infrastructure;

namespace ScaiVault.Emulator.Tests.Leases;

/// <summary>An emulator with one engine and three roles (max TTL 8h, 20s and 2s) and two workload identities.</summary>
public sealed class LeaseFixture : EmulatorFixture
{
    public const string AliceSubject = "system:serviceaccount:team:alice";
    public const string BobSubject = "system:serviceaccount:team:bob";

    public TestEngine Engine { get; private set; } = null!;

    public HttpClient Alice { get; private set; } = null!;

    public HttpClient Bob { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Engine = await TestEngine.CreateAsync(Host);
        await Engine.AddRoleAsync("app", defaultTtl: "1h", maxTtl: "8h");
        await Engine.AddRoleAsync("short", defaultTtl: "10s", maxTtl: "20s");
        await Engine.AddRoleAsync("tiny", defaultTtl: "2s", maxTtl: "2s");
        Alice = await Host.WorkloadClientAsync(AliceSubject);
        Bob = await Host.WorkloadClientAsync(BobSubject);
    }
}
