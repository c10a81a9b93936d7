using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.Hosting;
using ScaiVault.Hosting.Configuration;

namespace ScaiVault.CsiProvider;

/// <summary>The <c>scaivault-csi-provider</c> command line.</summary>
public static class Program
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitBadConfiguration = 2;
    public const int ExitEndpointInUse = 3;

    private const string UsageCommands = """
        usage: scaivault-csi-provider [FLAGS]         serve the Secrets Store CSI driver on a Unix socket until SIGTERM
               scaivault-csi-provider probe [--endpoint PATH]
                                                      exit 0 when the provider on PATH answers Version within 3 s, else 1
               scaivault-csi-provider version         print the version

        flags (each also an environment variable: --max-concurrency 8 is MAX_CONCURRENCY=8; the flag wins):

        """;

    private const string UsageExitCodes = """

        exit codes: 0 stopped cleanly; 1 failed; 2 bad configuration (one line naming the key); 3 another process
        answers on the endpoint.
        """;

    /// <summary>The flags from <see cref="ProviderKeys"/>, so that <c>--help</c> cannot drift from what is read.</summary>
    private static string Usage =>
        UsageCommands
        + string.Concat(ProviderKeys.All.Select(key => $"  {key.Flag,-22}{Wrap($"{Plain(key.Help)} (default: {Plain(key.ShownDefault)})", indent: 24)}\n"))
        + UsageExitCodes;

    public static async Task<int> Main(string[] args)
    {
        var command = args.Length > 0 ? args[0] : "";
        try
        {
            return command switch
            {
                "probe" => await ProbeCommand.RunAsync(args[1..], Environment.GetEnvironmentVariable, Console.Out, Console.Error),
                "version" or "--version" => Print($"{ProviderVersion.RuntimeName} {ProviderVersion.Version} (provider API {ProviderVersion.ApiVersion})"),
                "help" or "--help" or "-h" => Print(Usage),
                _ => await ProviderHost.RunAsync(ProviderConfiguration.Load(args, Environment.GetEnvironmentVariable)),
            };
        }
        catch (ConfigurationException e)
        {
            return Fail(e.Message, ExitBadConfiguration);
        }
        catch (ScaiVault.Client.ScaiVaultSettingException e)
        {
            // An unusable --ca-file, found when the ScaiVault client is built at start.
            return Fail(e.Message, ExitBadConfiguration);
        }
        catch (EndpointInUseException e)
        {
            return Fail(e.Message, ExitEndpointInUse);
        }
        catch (IOException e)
        {
            // Kestrel's bind failures (address in use when another instance won a race, permission denied).
            return Fail(e.Message.ReplaceLineEndings(" "), ExitFailure);
        }
    }

    /// <summary>Markdown's code marks dropped for a terminal.</summary>
    private static string Plain(string markdown) => markdown.Replace("`", "", StringComparison.Ordinal);

    /// <summary>Breaks <paramref name="text"/> into lines of at most 118 columns, every line after the first indented.</summary>
    private static string Wrap(string text, int indent)
    {
        const int Width = 118;
        var lines = new List<string> { "" };
        foreach (var word in text.Split(' '))
        {
            if (lines[^1].Length > 0 && indent + lines[^1].Length + 1 + word.Length > Width)
            {
                lines.Add("");
            }

            lines[^1] += lines[^1].Length > 0 ? " " + word : word;
        }

        return string.Join("\n" + new string(' ', indent), lines);
    }

    private static int Print(string text)
    {
        Console.Out.Write(text.EndsWith('\n') ? text : text + "\n");
        return ExitOk;
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"scaivault-csi-provider: {message}");
        return code;
    }
}
