using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using ScaiVault.CsiProvider.Hosting;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Tests.Infrastructure;

/// <summary>
/// Dials the provider as the Secrets Store CSI driver v1.6 does (<c>pkg/secrets-store/provider_client.go</c>):
/// <c>unix:</c> socket, authority <c>localhost</c>, HTTP/2 prior knowledge, a 4 MiB receive limit, wait-for-ready,
/// and its retry policy (3 attempts on <c>UNAVAILABLE</c>, backoff 1 s to 10 s, multiplier 1.1).
/// </summary>
public sealed class FakeDriver : IDisposable
{
    private readonly GrpcChannel _channel;

    public FakeDriver(string socket)
    {
        _channel = UnixSocketChannel.Create(socket, options =>
        {
            options.MaxReceiveMessageSize = 4 * 1024 * 1024;
            options.ServiceConfig = new ServiceConfig
            {
                MethodConfigs =
                {
                    new MethodConfig
                    {
                        Names = { MethodName.Default },
                        RetryPolicy = new RetryPolicy
                        {
                            MaxAttempts = 3,
                            InitialBackoff = TimeSpan.FromSeconds(1),
                            MaxBackoff = TimeSpan.FromSeconds(10),
                            BackoffMultiplier = 1.1,
                            RetryableStatusCodes = { StatusCode.Unavailable },
                        },
                    },
                },
            };
        });
        Client = new CSIDriverProvider.CSIDriverProviderClient(_channel);
    }

    public CSIDriverProvider.CSIDriverProviderClient Client { get; }

    /// <summary>The driver's health check: <c>{version: "v1alpha1"}</c> with a 5 s timeout.</summary>
    public async Task<VersionResponse> VersionAsync() =>
        await Client.VersionAsync(new VersionRequest { Version = "v1alpha1" }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5)));

    /// <summary>A Mount as the kubelet bounds it (2 minutes), waiting for the provider to be ready.</summary>
    public async Task<MountResponse> MountAsync(MountRequest request) =>
        await Client.MountAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(2)).WithWaitForReady());

    public void Dispose() => _channel.Dispose();
}
