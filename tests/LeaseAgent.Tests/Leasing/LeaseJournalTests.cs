using LeaseAgent.Leasing;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Leasing;

public sealed class LeaseJournalTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("journal-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Write_HoldsOnlyTheJournalsFields_NotComputedOnes()
    {
        var journal = new LeaseJournal(_directory.FullName, new FakeTimeProvider());

        journal.Write(new JournalDocument { Intents = [new JournalIntent("la-1", 1)] });

        var text = File.ReadAllText(journal.Path);
        Assert.DoesNotContain("IsEmpty", text, StringComparison.Ordinal);
        var (read, problem) = journal.Load();
        Assert.Null(problem);
        Assert.Equal([new JournalIntent("la-1", 1)], read.Intents);
    }
}
