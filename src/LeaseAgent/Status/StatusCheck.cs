using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace LeaseAgent.Status;

/// <summary>
/// Judges the agent from <c>STATE_DIR/status.json</c>, which <see cref="StatusReporter"/> rewrites on every change and
/// at least every <see cref="StatusReporter.HeartbeatInterval"/>: <em>live</em> when the file is fresh and the
/// process that wrote it runs, <em>ready</em> when live and it says a probed credential is published. Used by
/// <c>lease-agent probe</c> and by <c>/healthz</c>. Reasons name the state and the last error code only.
/// </summary>
public static class StatusCheck
{
    /// <summary>Three missed heartbeats.</summary>
    public static readonly TimeSpan DefaultMaxAge = StatusReporter.HeartbeatInterval * 3;

    private const int MaxShownLength = 64;

    public static StatusVerdict Evaluate(string statusFile, TimeSpan maxAge, DateTimeOffset now) =>
        Evaluate(statusFile, maxAge, now, IsRunning);

    public static StatusVerdict Evaluate(string statusFile, TimeSpan maxAge, DateTimeOffset now, Func<int, bool> isRunning)
    {
        AgentStatus? status;
        try
        {
            status = StatusFile.Read(statusFile);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return NotLive($"no status file at {statusFile}; the agent has not started yet, or it runs with another STATE_DIR or OUTPUT_FILE");
        }
        catch (UnauthorizedAccessException)
        {
            return NotLive($"cannot read {statusFile}: permission denied; run the probe as the agent's user");
        }
        catch (IOException e)
        {
            return NotLive($"cannot read {statusFile}: {e.Message}");
        }
        catch (JsonException)
        {
            return NotLive($"{statusFile} is not a status file of lease-agent");
        }

        if (status is null)
        {
            return NotLive($"{statusFile} is not a status file of lease-agent");
        }

        var age = now - status.UpdatedAt;
        if (age > maxAge)
        {
            return NotLive($"the status was last updated {Math.Ceiling(age.TotalSeconds).ToString("0", CultureInfo.InvariantCulture)} s ago (limit {maxAge.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s); the agent is hung or stopped", status);
        }

        if (status.Pid <= 0)
        {
            return NotLive($"{statusFile} names no process", status);
        }

        if (!isRunning(status.Pid))
        {
            return NotLive($"the agent's process {status.Pid.ToString(CultureInfo.InvariantCulture)} is not running", status);
        }

        return status.Ready
            ? new StatusVerdict(true, true, $"ready: {Describe(status)}", status)
            : new StatusVerdict(true, false, $"not ready: {Describe(status)}{NotReadyCredentials(status)}", status);
    }

    /// <summary>With several credentials, each one that is not ready and why: <c>; billing-db/readwrite: state Generating</c>.</summary>
    private static string NotReadyCredentials(AgentStatus status) =>
        status.Credentials is { Count: > 1 } credentials
            ? string.Concat(credentials.Where(c => !c.Ready).Select(c =>
                $"; {SanitizeName(c.Name)}: state {c.State}{(c.LastError is { Length: > 0 } error ? $", last error {Sanitize(error)}" : "")}"))
            : "";

    /// <summary><c>state Active, generation 3</c> or <c>state Generating, last error rate_limited</c>; never an identifier or secret.</summary>
    public static string Describe(AgentStatus status)
    {
        var text = $"state {status.State}";
        if (status.Ready && status.Generation > 0)
        {
            text += $", generation {status.Generation.ToString(CultureInfo.InvariantCulture)}";
        }

        if (status.Degraded)
        {
            text += ", degraded";
        }

        return status.LastError is { Length: > 0 } error ? $"{text}, last error {Sanitize(error)}" : text;
    }

    /// <summary>
    /// Whether a process with this id exists and is not a zombie: <c>/proc/PID</c> on Linux. The probe must run in
    /// the agent's PID namespace (the agent's own container, or a pod with <c>shareProcessNamespace</c>).
    /// </summary>
    public static bool IsRunning(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        if (!OperatingSystem.IsLinux())
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                return false;
            }
        }

        var directory = "/proc/" + pid.ToString(CultureInfo.InvariantCulture);
        if (!Directory.Exists(directory))
        {
            return false;
        }

        try
        {
            // "PID (comm) S …": the state follows the last ')', since comm may hold spaces and parentheses.
            var stat = File.ReadAllText(directory + "/stat");
            var end = stat.LastIndexOf(')');
            return end < 0 || end + 2 >= stat.Length || stat[end + 2] != 'Z';
        }
        catch (IOException)
        {
            return Directory.Exists(directory);
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static StatusVerdict NotLive(string reason, AgentStatus? status = null) => new(false, false, $"not live: {reason}", status);

    /// <summary>A credential's name (<c>ENGINE/ROLE</c> or <c>name=</c>): as <see cref="Sanitize"/>, keeping its slash.</summary>
    private static string SanitizeName(string name) => string.Join('/', name.Split('/').Select(Sanitize));

    /// <summary>Status values are codes; keep them to one short line of safe characters.</summary>
    private static string Sanitize(string value)
    {
        var chars = value.Take(MaxShownLength).Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' ? c : '_').ToArray();
        return chars.Length == 0 ? "unknown" : new string(chars);
    }
}

/// <summary>What <see cref="StatusCheck"/> found: whether the agent is live and ready, and one line saying why.</summary>
public sealed record StatusVerdict(bool Live, bool Ready, string Reason, AgentStatus? Status);
