using System.Text;
using LeaseAgent.Publishing;

namespace LeaseAgent.Tests.Publishing;

public sealed class AtomicFileWriterTests : IDisposable
{
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _directory = Directory.CreateTempSubdirectory("atomic-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Write_CreatesFileWithExactMode_AndNoLeftovers()
    {
        var path = Path.Combine(_directory, "db.json");

        AtomicFileWriter.Write(path, "first"u8, Mode0600);

        Assert.Equal("first", File.ReadAllText(path));
        Assert.Equal(Mode0600, File.GetUnixFileMode(path));
        Assert.Equal(["db.json"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_Mode0640_SurvivesTheUmask()
    {
        var path = Path.Combine(_directory, "db.json");
        const UnixFileMode mode0640 = Mode0600 | UnixFileMode.GroupRead;

        AtomicFileWriter.Write(path, "x"u8, mode0640);

        Assert.Equal(mode0640, File.GetUnixFileMode(path));
    }

    [Fact]
    public void RemoveStaleTempFiles_RemovesOnlyThisFilesTempFiles_NeverFollowingALink()
    {
        var path = Path.Combine(_directory, "db.json");
        var victim = Path.Combine(_directory, "victim");
        File.WriteAllText(victim, "keep");
        string[] stale = [Path.Combine(_directory, ".db.json.0123456789ab.tmp"), Path.Combine(_directory, ".db.json.ffffffffffff.tmp")];
        string[] others =
        [
            Path.Combine(_directory, "db.json"),
            Path.Combine(_directory, ".db.json.backup.tmp"),
            Path.Combine(_directory, ".db.json.0123456789AB.tmp"),
            Path.Combine(_directory, ".db.json.0123456789ab.tmp.keep"),
            Path.Combine(_directory, ".other.json.0123456789ab.tmp"),
        ];
        foreach (var file in stale.Skip(1).Concat(others))
        {
            File.WriteAllText(file, "x");
        }

        File.CreateSymbolicLink(stale[0], victim);

        Assert.Equal(2, AtomicFileWriter.RemoveStaleTempFiles(path));

        Assert.All(stale, file => Assert.False(File.Exists(file) || new FileInfo(file).LinkTarget is not null, file));
        Assert.All(others, file => Assert.True(File.Exists(file), file));
        Assert.Equal("keep", File.ReadAllText(victim));
    }

    [Fact]
    public void RemoveStaleTempFiles_MissingDirectory_RemovesNothing() =>
        Assert.Equal(0, AtomicFileWriter.RemoveStaleTempFiles(Path.Combine(_directory, "missing", "db.json")));

    [Fact]
    public void Write_ReplacesContent_AndNeverLeavesABackup()
    {
        var path = Path.Combine(_directory, "db.json");
        AtomicFileWriter.Write(path, "old-password"u8, Mode0600);

        AtomicFileWriter.Write(path, "new-password"u8, Mode0600);

        Assert.Equal("new-password", File.ReadAllText(path));
        foreach (var file in Directory.GetFiles(_directory))
        {
            Assert.DoesNotContain("old-password", File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Write_IntoMissingDirectory_ThrowsAndKeepsNothing()
    {
        var path = Path.Combine(_directory, "missing", "db.json");

        Assert.ThrowsAny<IOException>(() => AtomicFileWriter.Write(path, "x"u8, Mode0600));
        Assert.Empty(Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public void Write_WhenRenameFails_OldFileIntact_AndTempRemoved()
    {
        // A directory where the file should be makes the final rename fail after the temp file was written.
        var path = Path.Combine(_directory, "db.json");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "keep"), "old");

        Assert.ThrowsAny<IOException>(() => AtomicFileWriter.Write(path, "new"u8, Mode0600));

        Assert.Equal(["db.json"], Directory.GetFileSystemEntries(_directory).Select(Path.GetFileName));
        Assert.Equal("old", File.ReadAllText(Path.Combine(path, "keep")));
    }

    [Fact]
    public async Task Write_ConcurrentReader_NeverSeesAPartialFile()
    {
        var path = Path.Combine(_directory, "db.json");
        var versions = Enumerable.Range(0, 200).Select(i => new string((char)('a' + (i % 26)), 64 * 1024)).ToArray();
        AtomicFileWriter.Write(path, Encoding.ASCII.GetBytes(versions[0]), Mode0600);
        using var done = new CancellationTokenSource();
        var partialReads = 0;
        var reads = 0;
        using var readerStarted = new SemaphoreSlim(0);

        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                var text = File.ReadAllText(path);
                if (Interlocked.Increment(ref reads) == 1)
                {
                    readerStarted.Release();
                }

                if (text.Length != 64 * 1024 || text.Distinct().Count() != 1)
                {
                    partialReads++;
                }
            }
        });

        Assert.True(await readerStarted.WaitAsync(TimeSpan.FromSeconds(10)), "the reader never read");
        foreach (var version in versions)
        {
            AtomicFileWriter.Write(path, Encoding.ASCII.GetBytes(version), Mode0600);
        }

        await done.CancelAsync();
        await reader;

        Assert.Equal(0, partialReads);
    }
}
