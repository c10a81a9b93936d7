using System.Text;
using LeaseAgent.Postgres;

namespace LeaseAgent.Diagnostics;

/// <summary>
/// One credential's counters in <see cref="LeaseMetrics"/> (<see cref="LeaseMetrics.For"/>): what its lease supervisor
/// records, at the cost of an interlocked increment, exported under its name (the <c>credential</c> label).
/// </summary>
public sealed class CredentialMetrics
{
    internal CredentialMetrics(string credential) => Credential = credential;

    public string Credential { get; }

    internal Tally Renewals { get; } = new("ok", "capped", "failed", "lost");

    internal Tally Rotations { get; } = new("ok", "failed");

    internal Tally ProbeFailures { get; } = new([.. Enum.GetNames<ProbeFailure>().Where(n => n != nameof(ProbeFailure.None)).Select(SnakeCase), "crashed"]);

    internal Tally Revocations { get; } = new("ok", "failed");

    /// <summary>A renewal finished: <c>ok</c>, <c>capped</c> (only up to the max TTL), <c>failed</c> or <c>lost</c>.</summary>
    public void RenewalCompleted(string result) => Renewals.Add(result);

    /// <summary>A replacement credential was published (<c>ok</c>) or could not be had while one was in service (<c>failed</c>).</summary>
    public void RotationCompleted(string result) => Rotations.Add(result);

    /// <summary>A probe did not pass; <paramref name="reason"/> is a <see cref="ProbeFailure"/> name or <c>ProbeCrashed</c>.</summary>
    public void ProbeFailed(string reason) => ProbeFailures.Add(reason == "ProbeCrashed" ? "crashed" : SnakeCase(reason));

    /// <summary>A revocation finished: <c>ok</c> or <c>failed</c>.</summary>
    public void RevocationCompleted(string result) => Revocations.Add(result);

    /// <summary><c>AuthenticationFailed</c> → <c>authentication_failed</c>.</summary>
    private static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            if (char.IsAsciiLetterUpper(c) && builder.Length > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }
}

/// <summary>Counts per label value of a fixed set, plus <c>other</c> for anything outside it.</summary>
internal sealed class Tally
{
    private readonly string[] _values;
    private readonly long[] _counts;

    public Tally(params string[] values)
    {
        _values = values;
        _counts = new long[values.Length + 1];
    }

    public IReadOnlyList<string> Values => _values;

    public void Add(string value)
    {
        var index = Array.IndexOf(_values, value);
        Interlocked.Increment(ref _counts[index < 0 ? _values.Length : index]);
    }

    public long Count(int index) => Interlocked.Read(ref _counts[index]);

    public long OtherCount => Count(_values.Length);
}
