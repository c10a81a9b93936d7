using System.Text;
using LeaseAgent.Leasing;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Leasing;

/// <summary>The journal is read only from a regular file of bounded size in STATE_DIR; anything else is moved aside, unread.</summary>
public sealed class LeaseJournalTests : IDisposable
{
    private const string Journal = """{"version":1,"intents":[],"leases":[{"lease_id":"planted","generation":1,"current":false,"state":"Revoking"}]}""";

    private readonly string _directory = Directory.CreateTempSubdirectory("journal-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_RegularFile_ReadsIt()
    {
        var journal = new LeaseJournal(_directory, _time);
        File.WriteAllText(journal.Path, Journal);

        var (document, problem) = journal.Load();

        Assert.Null(problem);
        Assert.Equal("planted", Assert.Single(document.Leases).LeaseId);
    }

    [Fact]
    public void Load_SymlinkedJournal_IsNotFollowed_AndTheLinkIsMovedAside()
    {
        var elsewhere = Path.Combine(_directory, "elsewhere.json");
        File.WriteAllText(elsewhere, Journal);
        var journal = new LeaseJournal(_directory, _time);
        File.CreateSymbolicLink(journal.Path, elsewhere);

        var (document, problem) = journal.Load();

        Assert.True(document.IsEmpty, "the agent read a journal through a symbolic link");
        Assert.Contains("not a regular file", problem, StringComparison.Ordinal);
        Assert.False(File.Exists(journal.Path));
        Assert.Equal(Journal, File.ReadAllText(elsewhere)); // the link's target is untouched
    }

    [Fact]
    public void Load_OversizedJournal_IsMovedAside_Unread()
    {
        var journal = new LeaseJournal(_directory, _time);
        File.WriteAllText(journal.Path, Journal + new string(' ', 2 * 1024 * 1024), Encoding.ASCII);

        var (document, problem) = journal.Load();

        Assert.True(document.IsEmpty);
        Assert.Contains("larger than", problem, StringComparison.Ordinal);
        Assert.False(File.Exists(journal.Path));
    }

    [Fact]
    public void Write_HoldsOnlyTheJournalsFields_NotComputedOnes()
    {
        var journal = new LeaseJournal(_directory, _time);

        journal.Write(new JournalDocument { Intents = [new JournalIntent("la-1", 1)] });

        var text = File.ReadAllText(journal.Path);
        Assert.DoesNotContain("IsEmpty", text, StringComparison.Ordinal);
        var (read, problem) = journal.Load();
        Assert.Null(problem);
        Assert.Equal([new JournalIntent("la-1", 1)], read.Intents);
    }
}
