using System.Diagnostics;
using LeaseAgent.Configuration;
using LeaseAgent.Publishing;

namespace LeaseAgent.Tests.Publishing;

/// <summary>
/// <see cref="CredentialPublisher.Prepare"/>: the state directory (journal, status, lock) is created 0700 or must
/// already be a directory of this user that nobody else can write; anything else is exit 2 naming STATE_DIR.
/// </summary>
public sealed class CredentialPublisherTests : IDisposable
{
    private const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _directory = Directory.CreateTempSubdirectory("publisher-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static CredentialPublisher Publisher(string directory, string? stateDirectory = null) =>
        new(new OutputOptions { File = Path.Combine(directory, "db.json"), StateDirectory = stateDirectory ?? Path.Combine(directory, ".lease-agent") });

    [Fact]
    public void Prepare_CreatesTheStateDirectory0700_AndAcceptsItOnEveryRestart()
    {
        var publisher = Publisher(_directory);

        publisher.Prepare();
        publisher.Prepare(); // the next start finds the directory its predecessor created

        Assert.Equal(Mode0700, File.GetUnixFileMode(Path.Combine(_directory, ".lease-agent")));
    }

    [Fact]
    public void Prepare_InAGroupOwnedSetgidVolume_LikeAnEmptyDirWithFsGroup_Works()
    {
        // The kubelet makes an fsGroup volume 2777 (group-owned, set-group-ID); the agent's own subdirectory
        // inherits the set-group-ID bit, which grants nothing.
        var volume = Path.Combine(_directory, "volume");
        Directory.CreateDirectory(volume);
        File.SetUnixFileMode(volume, (UnixFileMode)Convert.ToInt32("2777", 8));

        Publisher(volume).Prepare();

        Assert.True(Directory.Exists(Path.Combine(volume, ".lease-agent")));
    }

    [Fact]
    public void Prepare_StateDirectoryUnderARegularFile_ThrowsNamingStateDir()
    {
        File.WriteAllText(Path.Combine(_directory, "a-file"), "x");

        var error = Assert.Throws<ConfigurationException>(() => Publisher(_directory, Path.Combine(_directory, "a-file", "state")).Prepare());

        Assert.Equal("STATE_DIR", error.Key);
    }

    [Fact]
    public void Prepare_ExistingWorldWritableStateDirectory_IsRefused()
    {
        var state = Path.Combine(_directory, "state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, (UnixFileMode)Convert.ToInt32("0777", 8));

        var error = Assert.Throws<ConfigurationException>(() => Publisher(_directory, state).Prepare());

        Assert.Equal("STATE_DIR", error.Key);
        Assert.Contains("writable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_ExistingGroupWritableStateDirectory_IsRefused()
    {
        var state = Path.Combine(_directory, "state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, (UnixFileMode)Convert.ToInt32("0770", 8));

        Assert.Equal("STATE_DIR", Assert.Throws<ConfigurationException>(() => Publisher(_directory, state).Prepare()).Key);
    }

    [Fact]
    public void Prepare_StateDirectoryThatIsASymlink_IsRefused()
    {
        var real = Path.Combine(_directory, "real");
        Directory.CreateDirectory(real, Mode0700);
        var link = Path.Combine(_directory, "state");
        Directory.CreateSymbolicLink(link, real);

        var error = Assert.Throws<ConfigurationException>(() => Publisher(_directory, link).Prepare());

        Assert.Equal("STATE_DIR", error.Key);
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_StateDirectoryOfAnotherUser_IsRefused()
    {
        // As root: a directory given to another uid. Otherwise "/" serves, which belongs to root.
        string state;
        if (Environment.UserName == "root")
        {
            state = Path.Combine(_directory, "foreign");
            Directory.CreateDirectory(state, Mode0700);
            using var chown = Process.Start("chown", ["12345", state]);
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }
        else
        {
            state = "/";
        }

        var error = Assert.Throws<ConfigurationException>(() => Publisher(_directory, state).Prepare());

        Assert.Equal("STATE_DIR", error.Key);
        Assert.Contains("owned by uid", error.Message, StringComparison.Ordinal);
    }
}
