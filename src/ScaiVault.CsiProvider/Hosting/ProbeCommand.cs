using Grpc.Core;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Hosting;

/// <summary>
/// <c>scaivault-csi-provider probe [--endpoint PATH]</c>: the DaemonSet's exec liveness probe. Dials the socket as
/// the driver does and calls <c>Version</c>; exit 0 when it answers within <see cref="Timeout"/>, else 1 with one
/// line saying why (no socket, refused, too slow, a wrong answer). No port, no HTTP: the socket is what the driver uses.
/// </summary>
public static class ProbeCommand
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, Func<string, string?> environment, TextWriter stdout, TextWriter stderr)
    {
        var endpoint = ProviderConfiguration.Endpoint(args, environment);
        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            using var channel = UnixSocketChannel.Create(endpoint);
            var client = new CSIDriverProvider.CSIDriverProviderClient(channel);
            var answer = await client.VersionAsync(
                new VersionRequest { Version = ProviderVersion.ApiVersion },
                deadline: DateTime.UtcNow + Timeout,
                cancellationToken: deadline.Token);
            if (answer.Version != ProviderVersion.ApiVersion)
            {
                return Fail($"{endpoint} answers API version '{answer.Version}', not {ProviderVersion.ApiVersion}");
            }

            await stdout.WriteLineAsync($"probe: ok: {answer.RuntimeName} {answer.RuntimeVersion} ({answer.Version}) on {endpoint}");
            return Program.ExitOk;
        }
        catch (RpcException e)
        {
            var reason = e.StatusCode is StatusCode.DeadlineExceeded or StatusCode.Cancelled
                ? $"no answer within {Timeout.TotalSeconds:0} s"
                : $"{e.StatusCode}: {e.Status.Detail}";
            return Fail($"{endpoint}: {reason}");
        }
        catch (OperationCanceledException)
        {
            return Fail($"{endpoint}: no answer within {Timeout.TotalSeconds:0} s");
        }

        int Fail(string reason)
        {
            stderr.WriteLine("probe: " + reason.ReplaceLineEndings(" "));
            return Program.ExitFailure;
        }
    }
}
