using LeaseAgent.Configuration;
using LeaseAgent.Hosting;

namespace LeaseAgent.Tests.Hosting;

/// <summary>Only lock contention means "another agent" (exit 3); any other failure is a STATE_DIR problem (exit 2).</summary>
public sealed class VolumeLockTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("volume-lock-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Acquire_HeldByAnotherHolder_ThrowsVolumeLocked()
    {
        using var first = VolumeLock.Acquire(_directory);

        Assert.Throws<VolumeLockedException>(() => VolumeLock.Acquire(_directory));
    }

    [Fact]
    public void Acquire_AfterTheHolderReleased_Succeeds()
    {
        VolumeLock.Acquire(_directory).Dispose();

        using var second = VolumeLock.Acquire(_directory);
    }

    [Fact]
    public void Acquire_LockPathIsADirectory_ThrowsNamingStateDir_NotAnotherAgent()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "lock"));

        var error = Assert.Throws<ConfigurationException>(() => VolumeLock.Acquire(_directory));

        Assert.Equal("STATE_DIR", error.Key);
    }

    [Fact]
    public void Acquire_StateDirectoryMissing_ThrowsNamingStateDir()
    {
        var error = Assert.Throws<ConfigurationException>(() => VolumeLock.Acquire(Path.Combine(_directory, "missing")));

        Assert.Equal("STATE_DIR", error.Key);
    }
}
