using LeaseAgent.Configuration;
using LeaseAgent.Status;
using Microsoft.Extensions.Configuration;

namespace LeaseAgent.Hosting;

/// <summary>
/// <c>lease-agent probe ready|live</c>: exit-code probes for Kubernetes <c>startupProbe</c>, <c>readinessProbe</c>
/// and <c>livenessProbe</c>, from <c>STATE_DIR/status.json</c>. It runs every few seconds in every pod, so it
/// reads the few keys that place the state directory and one small file: no host, no DI, no logging framework.
/// </summary>
public static class ProbeCommand
{
    public const int ExitOk = 0;
    public const int ExitNotReady = 1;
    public const int ExitBadUsage = 2;

    public const string Usage = "usage: lease-agent probe ready|live [--max-age DURATION] [--state-dir DIR | --output-file FILE]";

    private const string MaxAgeFlag = "--max-age";

    /// <summary>Flags <c>run</c> understands: accepted (so a probe can repeat the agent's own arguments), but only the paths are read.</summary>
    private static readonly HashSet<string> ConfigurationFlags = [.. AgentKeys.All.Select(key => key.Flag)];

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error, TimeProvider.System);

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, TimeProvider time)
    {
        if (args.Count == 0 || args[0] is not ("ready" or "live"))
        {
            return BadUsage(stderr, args.Count == 0 ? "probe: say what to check, ready or live" : $"probe: unknown check '{args[0]}'; use ready or live");
        }

        var readiness = args[0] == "ready";
        var maxAge = StatusCheck.DefaultMaxAge;
        var configurationArgs = new List<string>();
        for (var i = 1; i < args.Count; i++)
        {
            var (flag, value) = SplitFlag(args[i]);
            if (flag == MaxAgeFlag)
            {
                value ??= i + 1 < args.Count ? args[++i] : null;
                if (!Duration.TryParse(value, out maxAge) || maxAge <= TimeSpan.Zero)
                {
                    return BadUsage(stderr, $"probe: --max-age '{value}' is not a positive duration; use e.g. 30s or 2m");
                }
            }
            else if (ConfigurationFlags.Contains(flag))
            {
                configurationArgs.Add(args[i]);
                if (value is null && i + 1 < args.Count)
                {
                    configurationArgs.Add(args[++i]);
                }
            }
            else
            {
                return BadUsage(stderr, $"probe: unknown argument '{args[i]}'");
            }
        }

        string statusFile;
        try
        {
            statusFile = StatusFile(AgentConfiguration.Build(configurationArgs));
        }
        catch (Exception e) when (e is ConfigurationException or FormatException or InvalidDataException)
        {
            stderr.WriteLine($"lease-agent: {e.Message}");
            return ExitBadUsage;
        }

        var verdict = StatusCheck.Evaluate(statusFile, maxAge, time.GetUtcNow());
        var ok = readiness ? verdict.Ready : verdict.Live;
        if (!ok)
        {
            stderr.WriteLine($"lease-agent: {verdict.Reason}");
            return ExitNotReady;
        }

        stdout.WriteLine(readiness ? verdict.Reason : $"live: {StatusCheck.Describe(verdict.Status!)}");
        return ExitOk;
    }

    /// <summary>Where <c>run</c> writes its status file: in <see cref="AgentConfiguration.StateDirectory(IConfiguration)"/>, as <c>run</c> finds it.</summary>
    public static string StatusFile(IConfiguration config) => Status.StatusFile.In(AgentConfiguration.StateDirectory(config));

    private static (string Flag, string? Value) SplitFlag(string arg)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? (arg[..equals], arg[(equals + 1)..]) : (arg, null);
    }

    private static int BadUsage(TextWriter stderr, string message)
    {
        stderr.WriteLine($"lease-agent: {message}\n{Usage}");
        return ExitBadUsage;
    }
}
