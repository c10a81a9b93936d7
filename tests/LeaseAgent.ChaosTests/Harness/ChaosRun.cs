using System.Globalization;
using LeaseAgent.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// One chaos run, shared by every scenario: the settings, the binary under test, the counters and the secret
/// ledger. It prints the summary line if the summary test did not (e.g. a filtered run), so the line appears
/// exactly once per run.
/// </summary>
public sealed class ChaosRun(IMessageSink diagnostics) : IAsyncLifetime
{
    private int _summaryPrinted;

    public ChaosSettings Settings { get; } = ChaosSettings.FromEnvironment();

    public ChaosCounters Counters { get; } = new();

    public SecretLedger Ledger { get; } = new();

    public string Binary { get; private set; } = "";

    /// <summary>Where the logs of failing iterations are written (secrets redacted).</summary>
    public string LogDirectory => Path.Combine(RepositoryRoot.Path, "artifacts", "chaos", "logs", "seed-" + Settings.Seed.ToString(CultureInfo.InvariantCulture));

    public string SummaryLine => Counters.SummaryLine(Settings.Seed, Settings.Iterations);

    public async Task InitializeAsync()
    {
        var start = $"chaos: starting with seed={Settings.Seed} iterations={Settings.Iterations} (replay: CHAOS_SEED={Settings.Seed} CHAOS_ITERATIONS={Settings.Iterations})";
        Console.WriteLine(start);
        diagnostics.OnMessage(new DiagnosticMessage(start));
        Binary = await AgentBinary.GetPathAsync("chaos");
    }

    /// <summary>Prints the summary line once per run; returns it.</summary>
    public string PrintSummary(ITestOutputHelper? output)
    {
        var line = SummaryLine;
        if (Interlocked.Exchange(ref _summaryPrinted, 1) == 0)
        {
            Console.WriteLine(line);
            output?.WriteLine(line);

            // xunit.runner.json turns diagnostics on: dotnet test shows them as warnings, so at any verbosity (CI's too).
            diagnostics.OnMessage(new DiagnosticMessage(line));
        }

        return line;
    }

    public Task DisposeAsync()
    {
        PrintSummary(null);
        return Task.CompletedTask;
    }
}
