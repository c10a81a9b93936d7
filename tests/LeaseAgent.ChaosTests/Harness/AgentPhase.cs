using System.Globalization;
using System.Text.RegularExpressions;
using LeaseAgent.Testing;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>Where an agent stands in its lifecycle, read from its transition log lines: what a kill moment is tallied by.</summary>
public static partial class AgentPhase
{
    /// <summary>
    /// The state the newest lease last entered, prefixed with "rotation:" when an older generation was already
    /// published, and suffixed with "+Retiring" while an older lease drains; "starting" before any transition.
    /// </summary>
    public static string Phase(this AgentProcess agent)
    {
        var states = new SortedDictionary<int, string>();
        var published = 0;
        foreach (var line in agent.Lines)
        {
            var transition = TransitionPattern().Match(line);
            if (transition.Success)
            {
                states[int.Parse(transition.Groups["generation"].Value, CultureInfo.InvariantCulture)] = transition.Groups["to"].Value;
            }

            var publish = PublishedPattern().Match(line);
            if (publish.Success)
            {
                published = Math.Max(published, int.Parse(publish.Groups["generation"].Value, CultureInfo.InvariantCulture));
            }
        }

        if (states.Count == 0)
        {
            return "starting";
        }

        var (newest, state) = states.Last();
        var phase = published > 0 && newest > published ? "rotation:" + state : state;
        return states.Any(s => s.Key < newest && s.Value == "Retiring") ? phase + "+Retiring" : phase;
    }

    [GeneratedRegex(@"Lease generation (?<generation>\d+) \([^)]*\): (?<from>\w+) -> (?<to>\w+)")]
    private static partial Regex TransitionPattern();

    [GeneratedRegex(@"Published generation (?<generation>\d+) as user")]
    private static partial Regex PublishedPattern();
}
