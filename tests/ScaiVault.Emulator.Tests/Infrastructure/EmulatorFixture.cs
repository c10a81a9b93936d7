using Xunit;

namespace ScaiVault.Emulator.Tests.Infrastructure;

/// <summary>One emulator per test class (classes run in parallel, each on its own database).</summary>
public class EmulatorFixture : IAsyncLifetime
{
    private EmulatorHost? _host;

    public EmulatorHost Host => _host ?? throw new InvalidOperationException("Not started");

    /// <summary>Arguments beyond --urls, --postgres, --admin-token and --log-level.</summary>
    protected virtual string[] Arguments => ["--dev", "--sweep-interval", "200ms"];

    public virtual async Task InitializeAsync() => _host = await EmulatorHost.StartAsync(Arguments);

    public virtual async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
