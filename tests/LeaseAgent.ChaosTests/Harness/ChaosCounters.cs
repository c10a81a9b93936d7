using System.Collections.Concurrent;
using System.Globalization;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// The figures of the whole run. <see cref="Kills"/> counts the signals delivered to an agent at a random moment
/// (the SIGKILLs of scenarios 1 and 2, the SIGTERMs of scenario 3; not the orderly SIGTERM that ends most
/// iterations); every other count is a broken invariant and must stay zero. Each violation also leaves a finding
/// (scenario, iteration, what was seen) for the report.
/// </summary>
public sealed class ChaosCounters
{
    private long _kills;
    private long _leakedUsers;
    private long _partialReads;
    private long _secretsInLogs;
    private long _unrevokedAfterSigterm;
    private long _failedQueries;

    public long Kills => Interlocked.Read(ref _kills);

    public long LeakedUsers => Interlocked.Read(ref _leakedUsers);

    public long PartialReads => Interlocked.Read(ref _partialReads);

    public long SecretsInLogs => Interlocked.Read(ref _secretsInLogs);

    public long UnrevokedAfterSigterm => Interlocked.Read(ref _unrevokedAfterSigterm);

    public long FailedQueries => Interlocked.Read(ref _failedQueries);

    public ConcurrentQueue<string> Findings { get; } = new();

    public bool AllZero => LeakedUsers == 0 && PartialReads == 0 && SecretsInLogs == 0 && UnrevokedAfterSigterm == 0 && FailedQueries == 0;

    public void Kill() => Interlocked.Increment(ref _kills);

    public void LeakedUsersFound(long count, string finding) => Add(ref _leakedUsers, count, "leaked_users", finding);

    public void PartialReadsFound(long count, string finding) => Add(ref _partialReads, count, "partial_reads", finding);

    public void SecretsInLogsFound(long count, string finding) => Add(ref _secretsInLogs, count, "secrets_in_logs", finding);

    public void UnrevokedAfterSigtermFound(long count, string finding) => Add(ref _unrevokedAfterSigterm, count, "unrevoked_after_sigterm", finding);

    public void FailedQueriesFound(long count, string finding) => Add(ref _failedQueries, count, "failed_queries", finding);

    public string SummaryLine(int seed, int iterations) => string.Create(CultureInfo.InvariantCulture, $"chaos: seed={seed} iterations={iterations} {Figures()}");

    public string Figures() => string.Create(
        CultureInfo.InvariantCulture,
        $"kills={Kills} leaked_users={LeakedUsers} partial_reads={PartialReads} secrets_in_logs={SecretsInLogs} unrevoked_after_sigterm={UnrevokedAfterSigterm} failed_queries={FailedQueries}");

    private void Add(ref long counter, long count, string name, string finding)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref counter, count);
        Findings.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{name} +{count}: {finding}"));
    }
}
