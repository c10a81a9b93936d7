using LeaseAgent.Testing;
using Xunit;

namespace ScaiVault.Emulator.Tests.Infrastructure;

/// <summary>One emulator per test class (classes run in parallel, each on its own database).</summary>
public class EmulatorFixture : IAsyncLifetime
{
    private ScaiVaultEmulator? _host;

    public ScaiVaultEmulator Host => _host ?? throw new InvalidOperationException("Not started");

    /// <summary>The emulator of the class (a fixture declares its own to test other options).</summary>
    protected virtual ScaiVaultEmulatorBuilder Emulator => new ScaiVaultEmulatorBuilder().WithDevEndpoints().WithSweepInterval("200ms");

    public virtual async Task InitializeAsync() => _host = await Emulator.StartAsync();

    public virtual async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
