using Grpc.Core;
using Microsoft.Extensions.Logging;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.Diagnostics;
using ScaiVault.CsiProvider.Hosting;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>The <c>v1alpha1.CSIDriverProvider</c> service the driver calls over the Unix socket.</summary>
internal sealed class CsiDriverProviderService(ProviderOptions options, ILogger<CsiDriverProviderService> logger)
    : CSIDriverProvider.CSIDriverProviderBase
{
    public override Task<VersionResponse> Version(VersionRequest request, ServerCallContext context) =>
        Task.FromResult(new VersionResponse
        {
            Version = ProviderVersion.ApiVersion,
            RuntimeName = ProviderVersion.RuntimeName,
            RuntimeVersion = ProviderVersion.Version,
        });

    public override Task<MountResponse> Mount(MountRequest request, ServerCallContext context)
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

        // Next: exchange plan.Token per pod, read each distinct (path, version) once, render, version (issue 12).
        Log.MountNotImplemented(logger, plan.Pod.ToString(), plan.Objects.Count, plan.ScaiVaultUrl.ToString(), plan.Audience);
        throw new RpcException(new Status(StatusCode.Unimplemented, "reading from ScaiVault is not built yet"));
    }
}
