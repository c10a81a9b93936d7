using Grpc.Core;
using Microsoft.Extensions.Logging;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.Diagnostics;
using ScaiVault.CsiProvider.Hosting;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>The <c>v1alpha1.CSIDriverProvider</c> service the driver calls over the Unix socket.</summary>
internal sealed class CsiDriverProviderService(
    ProviderOptions options,
    SecretMounter mounter,
    TimeProvider time,
    ILogger<CsiDriverProviderService> logger)
    : CSIDriverProvider.CSIDriverProviderBase
{
    public override Task<VersionResponse> Version(VersionRequest request, ServerCallContext context) =>
        Task.FromResult(new VersionResponse
        {
            Version = ProviderVersion.ApiVersion,
            RuntimeName = ProviderVersion.RuntimeName,
            RuntimeVersion = ProviderVersion.Version,
        });

    public override async Task<MountResponse> Mount(MountRequest request, ServerCallContext context)
    {
        MountPlan plan;
        try
        {
            plan = MountRequestParser.Parse(request, options);
        }
        catch (MountRequestException e)
        {
            Log.MountRefused(logger, request.TargetPath, e.Code.ToString(), e.Message);
            throw new RpcException(new Status(e.Code, e.Message));
        }

        // current_object_version is not read: driver v1.6 always sends it empty, and every Mount reads afresh anyway.
        var started = time.GetTimestamp();
        var pod = plan.Pod;
        try
        {
            var result = await mounter.MountAsync(plan, context.Deadline, context.CancellationToken);
            Log.MountServed(logger, pod.Namespace ?? "?", pod.Name ?? "?", pod.Uid ?? "?", plan.Objects.Count, result.Reads, result.PayloadBytes, time.GetElapsedTime(started).TotalMilliseconds);
            return result.Response;
        }
        catch (MountRequestException e)
        {
            Log.MountFailed(logger, pod.Namespace ?? "?", pod.Name ?? "?", pod.Uid ?? "?", e.Code.ToString(), e.Message, time.GetElapsedTime(started).TotalMilliseconds);
            throw new RpcException(new Status(e.Code, e.Message));
        }
    }
}
