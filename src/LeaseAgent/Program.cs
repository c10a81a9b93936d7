using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Hosting;
using LeaseAgent.Leasing;
using LeaseAgent.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
          probe ready|live         exit 0 when the running agent is ready (credential published) / live (heartbeat fresh)
          graph [--format F]       print the lease state machine (F: mermaid (default), dot, markdown)
          version                  print version, commit and runtime

        Configuration comes from environment variables (see README.md), or the same keys as flags:
        LEASE_TTL=90s is --lease-ttl 90s.
        """;

    public static async Task<int> Main(string[] args)
    {
        var command = args.Length > 0 ? args[0] : "help";
        var rest = args.Skip(1).ToArray();
        try
        {
            return command switch
            {
                "run" => await RunAsync(rest),
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
        var options = AgentConfiguration.Load(AgentConfiguration.Build(args));
        if (options.ScaiVault is { StaticToken: null, ClientCredentials: null } && !File.Exists(options.ScaiVault.TokenFile))
        {
            throw new ConfigurationException(
                "SCAIVAULT_TOKEN_FILE",
                $"'{options.ScaiVault.TokenFile}' does not exist; mount a projected service-account token there (audience scaivault), configure SCAIVAULT_CLIENT_ID with its secret file and SCAIKEY_TOKEN_URL, or set SCAIVAULT_TOKEN for development");
        }

        new CredentialPublisher(options.Output).Prepare();
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
        using var host = AgentHost.Build(options);
        var supervisor = host.Services.GetRequiredService<LeaseSupervisor>(); // RunAsync disposes the container
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LeaseAgent");
        Log.Starting(logger, AgentVersion.Version, options.Lease.Engine, options.Lease.Role, options.Output.File, options.Output.Format.ToString().ToLowerInvariant(), options.Database.Host, options.Database.Port, options.Database.Name);
        await host.RunAsync();
        return supervisor.ExitCode;
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
