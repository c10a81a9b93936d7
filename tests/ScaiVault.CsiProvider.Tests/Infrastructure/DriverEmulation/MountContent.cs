using Grpc.Core;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;

/// <summary>What the driver made of one MountResponse.</summary>
/// <param name="ObjectVersions">id → version as the driver keeps them (a later duplicate id wins, as in its map).</param>
/// <param name="Warnings">What the driver would log at info level (the 1 MiB size warning).</param>
/// <param name="EmptyFilesMount">
/// True when the response had no files: the driver then reports success and writes nothing, so the pod starts with
/// an empty volume. The provider must never cause it.
/// </param>
/// <param name="Write">The atomic writer's result, or null for an empty-files mount.</param>
public sealed record MountOutcome(
    IReadOnlyDictionary<string, string> ObjectVersions,
    IReadOnlyList<string> Warnings,
    bool EmptyFilesMount,
    AtomicWriteResult? Write);

/// <summary>
/// How the driver handles a MountResponse, ported for behaviour from secrets-store-csi-driver v1.6.0
/// <c>pkg/secrets-store/provider_client.go</c> <c>MountContent</c> and <c>pkg/util/fileutil/writer.go</c>
/// <c>WritePayloads</c>/<c>cleanupProviderFiles</c>.
/// </summary>
public static class MountContent
{
    /// <summary>Above this <c>proto.Size(resp)</c> the driver logs that secret sync may fail (a Secret's limit).</summary>
    public const int SizeWarningBytes = 1048576;

    public const string SizeWarning = "proto above 1MiB, secret sync may fail";

    /// <summary>Calls Mount through <paramref name="driver"/>, then handles the answer as <see cref="Handle"/>.</summary>
    public static async Task<MountOutcome> MountAsync(FakeDriver driver, MountRequest request, string targetPath)
    {
        MountResponse response;
        try
        {
            response = await driver.MountAsync(request);
        }
        catch (RpcException e)
        {
            // The driver returns the gRPC error as is; its status message is what the pod's events show.
            throw new DriverMountException(DriverErrorCode.GrpcProviderError, e.Message, e);
        }

        return Handle(response, targetPath);
    }

    /// <summary>
    /// The response checks in <c>MountContent</c>'s order (provider error code, object versions, size, files), then
    /// <c>WritePayloads</c> into <paramref name="targetPath"/> (which must exist, as the driver's tmpfs does).
    /// </summary>
    public static MountOutcome Handle(MountResponse response, string targetPath)
    {
        if (response.Error is { Code.Length: > 0 } error)
        {
            throw new DriverMountException(error.Code, $"mount request failed with provider error code {error.Code}");
        }

        // Go's `ov == nil`: an empty repeated field decodes to nil.
        if (response.ObjectVersion.Count == 0)
        {
            throw new DriverMountException(DriverErrorCode.GrpcProviderError, "missing object versions");
        }

        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var version in response.ObjectVersion)
        {
            versions[version.Id] = version.Version;
        }

        var warnings = new List<string>();
        if (response.CalculateSize() > SizeWarningBytes)
        {
            warnings.Add(SizeWarning);
        }

        if (response.Files.Count == 0)
        {
            // driver#551: treated as a provider that writes its own files; success with nothing written.
            return new MountOutcome(versions, warnings, EmptyFilesMount: true, Write: null);
        }

        try
        {
            return new MountOutcome(versions, warnings, EmptyFilesMount: false, WritePayloads(targetPath, response.Files));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DriverMountException(DriverErrorCode.FileWriteError, e.Message, e);
        }
    }

    /// <summary><c>WritePayloads</c>: validate every path, remove non-link leftovers, then the atomic write.</summary>
    public static AtomicWriteResult WritePayloads(string targetPath, IReadOnlyList<V1Alpha1.File> payloads)
    {
        DriverPaths.Validate(payloads.Select(p => p.Path));
        CleanupProviderFiles(targetPath, payloads);

        var writer = new AtomicWriter(targetPath);
        var files = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        foreach (var payload in payloads)
        {
            files[payload.Path] = new FileProjection(payload.Contents.ToByteArray(), payload.Mode);
        }

        return writer.Write(files);
    }

    /// <summary>
    /// <c>cleanupProviderFiles</c>: a top-level entry that is not a symlink was written by an old provider itself
    /// (before driver-written files); it is removed so the writer's link can take its place.
    /// </summary>
    private static void CleanupProviderFiles(string targetPath, IEnumerable<V1Alpha1.File> payloads)
    {
        foreach (var payload in payloads)
        {
            var first = Path.Combine(targetPath, payload.Path.Split('/')[0]);
            var info = new FileInfo(first);
            if (info.LinkTarget is not null)
            {
                continue;
            }

            if (Directory.Exists(first))
            {
                Directory.Delete(first, recursive: true);
            }
            else if (info.Exists)
            {
                info.Delete();
            }
        }
    }
}
