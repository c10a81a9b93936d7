using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;

/// <summary>
/// One pod's CSI volume as the driver keeps it: a directory standing in for the tmpfs the driver mounts at the
/// kubelet's target path, filled by <see cref="MountContent"/> from the provider's answers through a
/// <see cref="FakeDriver"/>, and read back as the driver's Secret sync reads it. The request keeps its kubelet-shaped
/// <c>target_path</c>; the provider must not touch it, and the files land here instead.
/// </summary>
public sealed class PodVolume : IDisposable
{
    private readonly FakeDriver _driver;

    public PodVolume(FakeDriver driver)
    {
        _driver = driver;
        TargetPath = Directory.CreateTempSubdirectory("sv-volume-").FullName;
    }

    public string TargetPath { get; }

    /// <summary>A NodePublish: Mount, then the driver's handling of the answer into <see cref="TargetPath"/>.</summary>
    public Task<MountOutcome> MountAsync(MountRequest request) => MountContent.MountAsync(_driver, request, TargetPath);

    /// <summary>The mounted files as the pod reads them: relative path → bytes (through <c>GetMountedFiles</c>).</summary>
    public IReadOnlyDictionary<string, byte[]> ReadFiles() =>
        MountedFiles.Get(TargetPath).ToDictionary(f => f.Key, f => System.IO.File.ReadAllBytes(f.Value), StringComparer.Ordinal);

    /// <summary>The permission bits of a mounted file, through its user-visible link.</summary>
    public UnixFileMode ModeOf(string relativePath) => System.IO.File.GetUnixFileMode(MountedFiles.Get(TargetPath)[relativePath]);

    /// <summary>The data of the Kubernetes Secret the driver would sync for <paramref name="secretObject"/>.</summary>
    public IReadOnlyDictionary<string, byte[]> SyncSecret(SecretObject secretObject) => SecretSync.SecretData(TargetPath, secretObject);

    public void Dispose() => Directory.Delete(TargetPath, recursive: true);
}
