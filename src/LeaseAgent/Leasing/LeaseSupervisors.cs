using Microsoft.Extensions.Hosting;

namespace LeaseAgent.Leasing;

/// <summary>
/// The agent's credentials, one <see cref="LeaseSupervisor"/> each (its own leases, loop and timers), hosted as one
/// service so that they stop together: the host stops its services one after another, which would spend
/// <c>SHUTDOWN_TIMEOUT</c> revoking the first credential before the next one even started. Supervisor mode's child is
/// registered after this service, so the host stops it before any credential is revoked.
/// </summary>
public sealed class LeaseSupervisors(IReadOnlyList<LeaseSupervisor> supervisors) : IHostedService, IDisposable
{
    /// <summary>In the order of <c>CREDENTIALS</c>.</summary>
    public IReadOnlyList<LeaseSupervisor> All => supervisors;

    /// <summary>0 only when every credential's leases were revoked on shutdown.</summary>
    public int ExitCode => supervisors.Max(s => s.ExitCode);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var supervisor in supervisors)
        {
            await supervisor.StartAsync(cancellationToken); // returns once its loop is running: nothing waits here
        }
    }

    /// <summary>Every credential revokes at once, each within the same shutdown budget.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.WhenAll(supervisors.Select(s => s.StopAsync(cancellationToken)));

    public void Dispose()
    {
        foreach (var supervisor in supervisors)
        {
            supervisor.Dispose();
        }
    }
}
