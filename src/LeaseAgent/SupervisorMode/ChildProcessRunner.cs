using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Publishing;
using LeaseAgent.Reload;
using LeaseAgent.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.SupervisorMode;

/// <summary>
/// Supervisor mode, <c>lease-agent run -- CMD ARGS…</c>: once every credential is published (every file is in place),
/// starts CMD with the first credential in its environment (libpq's <c>PG*</c> variables and <c>DATABASE_URL</c>: one
/// set of variables can describe one credential, and the first line of <c>CREDENTIALS</c> is the one the operator put
/// first), makes it the target of the reload signal, forwards SIGTERM/SIGINT to it, and when it exits stops the agent
/// (which revokes everything) so that the agent exits with the child's code. Registered after the lease supervisors,
/// so on shutdown the child stops first and the credentials are revoked only once nothing uses them.
/// </summary>
/// <param name="credentials">The names of every credential, the one whose variables the child gets first.</param>
public sealed class ChildProcessRunner(
    IReadOnlyList<string> command,
    IReadOnlyList<string> credentials,
    StatusReporter status,
    AppReloader reloader,
    ShutdownOptions shutdown,
    IHostApplicationLifetime lifetime,
    ILogger<ChildProcessRunner> logger) : BackgroundService
{
    /// <summary>The shell's convention for a command that could not be started.</summary>
    public const int ExitCannotStart = 127;

    private const int SigInt = 2;
    private const int SigKill = 9;
    private const int SigTerm = 15;

    // The agent's settings stay with the agent: the child gets the database credential, not the ScaiVault token, the
    // client-secret path or the config file that may hold them. This keeps them out of the child's own environment
    // only: a child of the same uid can still open the token file itself (see README, "Supervisor mode").
    private static readonly string[] WithheldPrefixes = ["SCAIVAULT_", "SCAIKEY_"];
    private static readonly string[] WithheldKeys = [AgentConfiguration.ConfigFileKey];

    private readonly List<PosixSignalRegistration> _signals = [];
    private Process? _child;
    private int _stopSignal = SigTerm;

    /// <summary>The child's exit code once it has exited (128 + n when a signal n ended it); null before.</summary>
    public int? ExitCode { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The host stops on SIGTERM and SIGINT alike; remember which came so the child gets the same one.
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => _stopSignal = SigInt));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => _stopSignal = SigTerm));
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CredentialDocument credential;
        try
        {
            credential = (await status.EveryPublishedAsync(credentials, stoppingToken))[0].Published!.Document;
        }
        catch (OperationCanceledException)
        {
            return; // stopped before anything was published: there is no child to run
        }

        try
        {
            _child = Process.Start(StartInfo(command, credential))!;
        }
        catch (Win32Exception e)
        {
            Log.ChildStartFailed(logger, command[0], e.Message);
            ExitCode = ExitCannotStart;
            lifetime.StopApplication();
            return;
        }

        reloader.TargetChild(_child.Id);
        Log.ChildStarted(logger, command[0], _child.Id, credential.Username);
        await _child.WaitForExitAsync(CancellationToken.None);
        ExitCode = _child.ExitCode;
        Log.ChildExited(logger, _child.Id, ExitCode.Value);
        lifetime.StopApplication();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_child is { HasExited: false } child)
        {
            // Half the shutdown budget for the child; the other half is the supervisor's, to revoke.
            Log.ChildStopping(logger, child.Id, ReloadSignal.Name(_stopSignal));
            NativeSignals.Send(child.Id, _stopSignal);
            using var grace = new CancellationTokenSource(shutdown.Timeout / 2);
            try
            {
                await child.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Log.ChildKilled(logger, child.Id, (shutdown.Timeout / 2).TotalSeconds);
                NativeSignals.Send(child.Id, SigKill);
                await child.WaitForExitAsync(CancellationToken.None);
            }
        }

        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _signals.ForEach(s => s.Dispose());
        _child?.Dispose();
        base.Dispose();
    }

    /// <summary>CMD with the agent's environment, minus its ScaiVault settings and config file, plus the credential.</summary>
    public static ProcessStartInfo StartInfo(IReadOnlyList<string> command, CredentialDocument credential)
    {
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var key in start.Environment.Keys.Where(k => WithheldKeys.Contains(k) || WithheldPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["PGHOST"] = credential.Host;
        start.Environment["PGPORT"] = credential.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGDATABASE"] = credential.Database;
        start.Environment["PGUSER"] = credential.Username;
        start.Environment["PGPASSWORD"] = credential.Password;
        start.Environment["PGSSLMODE"] = credential.SslMode;
        start.Environment["DATABASE_URL"] = credential.Uri;
        return start;
    }
}
