using System.Text;
using System.Text.Json.Nodes;
using LeaseAgent.Leasing;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Leasing;

/// <summary>The journal is read only from a regular file of bounded size in STATE_DIR; anything else is moved aside, unread.</summary>
public sealed class LeaseJournalTests : IDisposable
{
    private const string Journal = """{"version":1,"intents":[],"leases":[{"lease_id":"planted","generation":1,"current":false,"state":"Revoking"}]}""";

    private const string Credential = "reporting-db/readonly";
    private const string Other = "billing-db/readwrite";

    private readonly string _directory = Directory.CreateTempSubdirectory("journal-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_RegularFile_ReadsIt()
    {
        var journal = new LeaseJournal(_directory, Credential, _time).Section(Credential);
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
        var journal = new LeaseJournal(_directory, Credential, _time).Section(Credential);
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
        var journal = new LeaseJournal(_directory, Credential, _time).Section(Credential);
        File.WriteAllText(journal.Path, Journal + new string(' ', 2 * 1024 * 1024), Encoding.ASCII);

        var (document, problem) = journal.Load();

        Assert.True(document.IsEmpty);
        Assert.Contains("larger than", problem, StringComparison.Ordinal);
        Assert.False(File.Exists(journal.Path));
    }

    [Fact]
    public void Write_HoldsOnlyTheJournalsFields_NotComputedOnes()
    {
        var journal = new LeaseJournal(_directory, Credential, _time).Section(Credential);

        journal.Write(new JournalDocument { Intents = [new JournalIntent("la-1", 1)] });

        var text = File.ReadAllText(journal.Path);
        Assert.DoesNotContain("IsEmpty", text, StringComparison.Ordinal);
        var (read, problem) = journal.Load();
        Assert.Null(problem);
        Assert.Equal([new JournalIntent("la-1", 1)], read.Intents);
    }

    [Fact]
    public void Load_Version1Journal_IsTheSectionOfTheCredentialItBelongsTo()
    {
        var journal = new LeaseJournal(_directory, Credential, _time);
        File.WriteAllText(journal.Path, Journal);

        var (mine, problem) = journal.Section(Credential).Load();
        var (other, _) = journal.Section(Other).Load();

        Assert.Null(problem);
        Assert.Equal("planted", Assert.Single(mine.Leases).LeaseId);
        Assert.True(other.IsEmpty, "a version-1 journal belongs to one credential only");
    }

    [Fact]
    public void Write_Version1JournalRead_IsRewrittenAsVersion2WithSections()
    {
        var journal = new LeaseJournal(_directory, Credential, _time);
        File.WriteAllText(journal.Path, Journal);

        journal.Section(Other).Write(new JournalDocument { Intents = [new JournalIntent("la-2", 4)] });

        var file = JsonNode.Parse(File.ReadAllText(journal.Path))!;
        Assert.Equal(2, file["version"]!.GetValue<int>());
        var sections = file["credentials"]!.AsArray();
        Assert.Equal([Other, Credential], sections.Select(s => s!["credential"]!.GetValue<string>()));
        Assert.Equal("planted", sections[1]!["leases"]![0]!["lease_id"]!.GetValue<string>());
        Assert.Equal("la-2", sections[0]!["intents"]![0]!["client_ref"]!.GetValue<string>());
        Assert.Null(file["leases"]);
    }

    [Fact]
    public void Write_EachSection_IsReadBackByTheNextAgent_AsItsOwn()
    {
        var first = new LeaseJournal(_directory, Credential, _time);
        first.Section(Credential).Write(new JournalDocument { Intents = [new JournalIntent("la-1", 1)] });
        first.Section(Other).Write(new JournalDocument { Leases = [Lease("dyn_2")] });

        var next = new LeaseJournal(_directory, Credential, _time);
        var (mine, problem) = next.Section(Credential).Load();
        var (other, _) = next.Section(Other).Load();

        Assert.Null(problem);
        Assert.Equal([new JournalIntent("la-1", 1)], mine.Intents);
        Assert.Empty(mine.Leases);
        Assert.Equal("dyn_2", Assert.Single(other.Leases).LeaseId);
        Assert.Empty(other.Intents);
    }

    [Fact]
    public void Write_OneSection_KeepsTheSectionsOfOthersFromTheFile()
    {
        var previous = new LeaseJournal(_directory, Credential, _time);
        previous.Section(Other).Write(new JournalDocument { Leases = [Lease("dyn_2")] });

        // A restarted agent whose first supervisor writes before the other one has loaded its section.
        var next = new LeaseJournal(_directory, Credential, _time);
        next.Section(Credential).Write(new JournalDocument { Leases = [Lease("dyn_1")] });

        Assert.Equal("dyn_2", Assert.Single(next.Section(Other).Load().Journal.Leases).LeaseId);
        Assert.Equal("dyn_2", Assert.Single(new LeaseJournal(_directory, Credential, _time).Section(Other).Load().Journal.Leases).LeaseId);
    }

    [Fact]
    public void Delete_OneSectionWhileAnotherHoldsLeases_KeepsTheFileWithTheOther()
    {
        var journal = new LeaseJournal(_directory, Credential, _time);
        journal.Section(Credential).Write(new JournalDocument { Leases = [Lease("dyn_1")] });
        journal.Section(Other).Write(new JournalDocument { Leases = [Lease("dyn_2")] });

        journal.Section(Credential).Delete();

        var next = new LeaseJournal(_directory, Credential, _time);
        Assert.True(next.Section(Credential).Load().Journal.IsEmpty);
        Assert.Equal("dyn_2", Assert.Single(next.Section(Other).Load().Journal.Leases).LeaseId);
    }

    [Fact]
    public void Delete_WhenEveryOtherSectionIsEmpty_RemovesTheFile()
    {
        var journal = new LeaseJournal(_directory, Credential, _time);
        journal.Section(Credential).Write(new JournalDocument { Leases = [Lease("dyn_1")] });
        journal.Section(Other).Write(new JournalDocument { Leases = [Lease("dyn_2")] });

        journal.Section(Other).Delete();
        journal.Section(Credential).Write(new JournalDocument());
        Assert.True(File.Exists(journal.Path), "a section that is empty but not deleted still has a file to be written to");
        journal.Section(Credential).Delete();

        Assert.False(File.Exists(journal.Path));
    }

    private static JournalLease Lease(string leaseId) => new() { LeaseId = leaseId, Generation = 1, Current = true, State = "Published" };
}
