using System.Runtime.InteropServices;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Hosting;
using LeaseAgent.Init;
using LeaseAgent.Kubernetes;
using LeaseAgent.Leasing;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.ScaiVault;
using LeaseAgent.Status;
using LeaseAgent.SupervisorMode;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;

namespace LeaseAgent;

/// <summary>The <c>lease-agent</c> command line.</summary>
public static class Program
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitBadConfiguration = 2;
    public const int ExitVolumeLocked = 3;

    private const string Usage = """
        usage: lease-agent <command>

          run                      keep a probed, renewed, rotated database credential published until SIGTERM
          run -- CMD [ARGS...]     supervisor mode: publish, start CMD with PG* and DATABASE_URL set, revoke and
                                   exit with CMD's exit code when it ends (Jobs, local runs)
          init                     write SECRETS (and one probed credential) once, all files or none, then exit
          probe ready|live         exit 0 when the running agent is ready (credential published) / live (heartbeat fresh)
          graph [--format F]       print the lease state machine (F: mermaid (default), dot, markdown)
          version                  print version, commit and runtime

        Configuration comes from environment variables (see README.md), or the same keys as flags:
        LEASE_TTL=90s is --lease-ttl 90s. Secrets (SCAIVAULT_TOKEN) are never accepted as flags.
        """;

    public static async Task<int> Main(string[] args)
    {
        // First, before any configuration (and so any secret) is read: see ProcessHardening.
        if (ProcessHardening.Apply() is { } hardeningFailed)
        {
            Console.Error.WriteLine($"lease-agent: warning: {hardeningFailed}; other processes of this uid may read the agent's memory");
        }

        var command = args.Length > 0 ? args[0] : "help";
        var rest = args.Skip(1).ToArray();
        try
        {
            return command switch
            {
                "run" => await RunAsync(rest),
                "init" => await InitAsync(rest),
                "probe" => ProbeCommand.Run(rest),
                "graph" => Graph(rest),
                "version" or "--version" => Print(AgentVersion.Describe()),
                "help" or "--help" or "-h" => Print(Usage),
                _ => Fail($"unknown command '{command}'\n{Usage}", ExitBadConfiguration),
            };
        }
        catch (ConfigurationException e)
        {
            return Fail(e.Message, ExitBadConfiguration);
        }
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var separator = Array.IndexOf(args, "--");
        var options = LoadOptions(separator < 0 ? args : args[..separator]);
        if (options.Secrets.KubernetesSecrets is [var secretTarget, ..])
        {
            // run would keep the Secret fresh for the pod's lifetime, so the app pod would need update rights on it
            // all that time, and pods that read a Secret as env never see an update anyway.
            throw new ConfigurationException(
                "SECRETS",
                $"'{secretTarget}' writes a Kubernetes Secret, which only lease-agent init does (once, from a pre-deploy Job with a Role for that Secret); run keeps files fresh: give the mapping a file target");
        }

        if (separator >= 0)
        {
            if (separator == args.Length - 1)
            {
                throw new ConfigurationException("run --", "names no command; use lease-agent run -- CMD [ARGS...]");
            }

            if (options.Credentials.Count == 0)
            {
                throw new ConfigurationException("LEASE_ENGINE", "is required by run -- CMD (or CREDENTIALS): the command is started with the leased credential in its environment");
            }

            options = options with { ChildCommand = args[(separator + 1)..] };
        }

        // Each file's directory is checked before the state directory beside the first one is created.
        foreach (var credential in options.Credentials)
        {
            new CredentialPublisher(credential.Output).Prepare(fileKey: options.Lease is null ? CredentialListParser.Key : AgentKeys.OutputFile.Name);
        }

        if (options.Credentials.Count == 0)
        {
            new CredentialPublisher(options.Output).Prepare(publishesCredential: false);
        }

        VolumeLock volumeLock;
        try
        {
            volumeLock = VolumeLock.Acquire(options.Output.StateDirectory);
        }
        catch (VolumeLockedException e)
        {
            return Fail(e.Message, ExitVolumeLocked);
        }

        using var heldLock = volumeLock;
        var staleTempFiles = RemoveStaleTempFiles(options);
        using var host = AgentHost.Build(options);
        // The first token exchange runs while the rest starts (the supervisors, the host, the first status and journal
        // writes), instead of after them: see TokenPrefetch.
        TokenPrefetch.Start(
            host.Services.GetRequiredService<IScaiVaultTokenSource>(),
            options.ScaiVault.RequestTimeout,
            host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        var supervisors = host.Services.GetService<LeaseSupervisors>(); // resolved now: RunAsync disposes the container
        var child = host.Services.GetService<ChildProcessRunner>();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LeaseAgent");
        foreach (var (_, lease, database, output) in options.Credentials)
        {
            Log.Starting(logger, AgentVersion.Version, lease.Engine, lease.Role, output.File, output.Format.ToString().ToLowerInvariant(), database.Host, database.Port, database.Name);
        }

        if (staleTempFiles > 0)
        {
            Log.StaleTempFilesRemoved(logger, staleTempFiles);
        }

        StartupWarnings.Log(options, logger);
        if (options.Secrets.Mappings.Count > 0)
        {
            Log.StartingSecrets(logger, AgentVersion.Version, options.Secrets.Mappings.Count, options.Secrets.RefreshInterval.TotalSeconds, options.Secrets.Subscribe);
        }

        await host.RunAsync();
        return child?.ExitCode ?? supervisors?.ExitCode ?? ExitOk;
    }

    private static async Task<int> InitAsync(string[] args)
    {
        var options = LoadOptions(args);
        if (options is { Lease: null, Credentials.Count: > 0 })
        {
            throw new ConfigurationException(CredentialListParser.Key, "is for run: init writes one probed credential, from LEASE_ENGINE and LEASE_ROLE, and SECRETS");
        }

        using var host = AgentHost.Build(options); // for its services only: init is one pass, not a host run
        var services = host.Services;
        StartupWarnings.Log(options, services.GetRequiredService<ILogger<InitCommand>>());

        // Built first: a missing ca.crt or namespace file is a configuration error (exit 2) before ScaiVault is asked.
        using var kubernetes = options.Kubernetes is { } cluster ? KubernetesApiClient.Create(cluster, options.ScaiVault.RequestTimeout) : null;
        var time = services.GetRequiredService<TimeProvider>();
        var init = new InitCommand(
            options,
            services.GetRequiredService<IScaiVaultClient>(),
            services.GetService<ICredentialProbe>(),
            time,
            services.GetRequiredService<ILogger<InitCommand>>(),
            kubernetes is null ? null : new KubernetesSecretWriter(kubernetes, time, services.GetRequiredService<ILogger<KubernetesSecretWriter>>()));

        // SIGTERM or Ctrl-C while init retries: stop, write nothing, revoke what was generated.
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        return await init.RunAsync(stop.Token);

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    /// <summary>Every file run writes atomically; under the volume lock no other agent is writing them.</summary>
    private static int RemoveStaleTempFiles(AgentOptions options)
    {
        var files = options.Secrets.Mappings.Select(m => m.File)
            .Append(StatusFile.In(options.Output.StateDirectory))
            .Append(Path.Combine(options.Output.StateDirectory, LeaseJournal.FileName));
        return files.Concat(options.Credentials.Select(c => c.Output.File)).Sum(AtomicFileWriter.RemoveStaleTempFiles);
    }

    /// <summary>Reads and validates the configuration shared by run and init.</summary>
    private static AgentOptions LoadOptions(string[] args)
    {
        var options = AgentConfiguration.Load(AgentConfiguration.Build(args));
        TokenSources.RequireUsable(options.ScaiVault);
        return options;
    }

    private static int Graph(string[] args)
    {
        var format = args.Length >= 2 && args[0] == "--format" ? args[1] : args.Length == 0 ? "mermaid" : null;
        return format switch
        {
            "mermaid" => Print(LifecycleDiagram.Mermaid()),
            "dot" => Print(LifecycleDiagram.Dot()),
            "markdown" => Print(LifecycleDiagram.Markdown()),
            _ => Fail("graph: use --format mermaid, dot or markdown", ExitBadConfiguration),
        };
    }

    private static int Print(string text)
    {
        Console.Out.Write(text.EndsWith('\n') ? text : text + "\n");
        return ExitOk;
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"lease-agent: {message}");
        return code;
    }
}
