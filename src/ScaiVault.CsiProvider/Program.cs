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

    private const string Usage = """
        usage: scaivault-csi-provider [FLAGS]         serve the Secrets Store CSI driver on a Unix socket until SIGTERM
               scaivault-csi-provider probe [--endpoint PATH]
                                                      exit 0 when the provider on PATH answers Version within 3 s, else 1
               scaivault-csi-provider version         print the version

        flags (each also an environment variable: --max-concurrency 8 is MAX_CONCURRENCY=8; the flag wins):
          --endpoint PATH           the socket the driver dials (default /provider/scaivault.sock; the driver looks for
                                    <providers-dir>/<SecretProviderClass provider>.sock)
          --scaivault-url URL       ScaiVault's base URL, for every SecretProviderClass without scaivaultUrl (required)
          --allowed-url URL         another server a SecretProviderClass may name in scaivaultUrl; repeatable
                                    (ALLOWED_URL: comma-separated)
          --ca-file PATH            a PEM CA bundle trusted for ScaiVault besides the system store (default none)
          --default-audience NAME   the service-account token audience without an SPC audience (default scaivault)
          --token-cache-size N      ScaiVault tokens kept, one per pod; least recently used evicted (default 1000)
          --max-concurrency N       concurrent ScaiVault calls (exchanges and reads) per node, 1-1024 (default 16)
          --max-response-bytes N    the largest Mount answer; keep it <= the driver's --max-call-recv-msg-size
                                    (default 4194304)
          --request-timeout D       the longest one Mount may take, capped by the driver's deadline, 1s-2m
                                    (default 45s)
          --log-format F            json (default) or text

        exit codes: 0 stopped cleanly; 1 failed; 2 bad configuration (one line naming the key); 3 another process
        answers on the endpoint.
        """;

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
