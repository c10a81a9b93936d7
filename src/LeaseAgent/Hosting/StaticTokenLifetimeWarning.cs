using LeaseAgent.ScaiVault;
using LeaseAgent.Status;
using Microsoft.Extensions.Hosting;
using ScaiVault.Client;

namespace LeaseAgent.Hosting;

/// <summary>
/// With a static <c>SCAIVAULT_TOKEN</c> (development only), warns once the first lease is published if the
/// token expires before that lease's hard end: renewals and the rotation would fail from then on.
/// </summary>
public sealed class StaticTokenLifetimeWarning(StatusReporter status, TokenLifetimeCheck check, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var lease = (await status.FirstPublishedAsync(stoppingToken)).Published!;
            if (lease.HardEndAt == long.MaxValue)
            {
                return;
            }

            var hardEnd = time.GetUtcNow() + time.GetElapsedTime(time.GetTimestamp(), lease.HardEndAt);
            check.WarnIfDiesBefore(await check.GetTokenExpiryAsync(stoppingToken), hardEnd);
        }
        catch (Exception e) when (e is OperationCanceledException or ScaiVaultException)
        {
            // Advice only: a failed whoami must not disturb the agent.
        }
    }
}
