using LeaseAgent.Publishing;

namespace LeaseAgent.Tests.Publishing;

public sealed class DirectorySyncTests
{
    [Fact]
    public void TrySync_ExistingDirectory_Syncs()
    {
        var directory = Directory.CreateTempSubdirectory("dir-sync-");
        try
        {
            Assert.True(DirectorySync.TrySync(directory.FullName));
        }
        finally
        {
            directory.Delete();
        }
    }

    [Fact]
    public void TrySync_MissingDirectory_ReportsFailure_WithoutThrowing() =>
        Assert.False(DirectorySync.TrySync(Path.Combine(Path.GetTempPath(), "lease-agent-no-such-directory", "x")));
}
