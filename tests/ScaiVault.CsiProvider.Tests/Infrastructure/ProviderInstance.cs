using LeaseAgent.Testing;

namespace ScaiVault.CsiProvider.Tests.Infrastructure;

/// <summary>Starts the AOT provider as a real process on a socket and waits until it says it listens.</summary>
public static class ProviderInstance
{
    /// <summary>Startup under a loaded CI machine; a healthy provider listens within a fraction of a second.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    public const string ListeningLine = "listening on";

    public static async Task<AgentProcess> StartAsync(string socket, string name = "provider", params string[] extraArgs)
    {
        var process = Start(await ProviderBinary.GetPathAsync(), socket, name, extraArgs);
        await Eventually.TrueAsync(() => process.Logged(ListeningLine) || process.HasExited, StartTimeout, $"{name} to listen on {socket}", () => process.Output);
        Assert.False(process.HasExited, $"{name} exited before listening:\n{process.Output}");
        return process;
    }

    /// <summary>
    /// Starts the provider on <paramref name="socket"/> with JSON logs. Without <c>--scaivault-url</c> in
    /// <paramref name="extraArgs"/>, ScaiVault is an address where nothing listens (every read fails UNAVAILABLE).
    /// </summary>
    public static AgentProcess Start(string binary, string socket, string name = "provider", params string[] extraArgs) =>
        AgentProcess.Start(
            binary,
            new Dictionary<string, string>(),
            [
                "--endpoint", socket, "--log-format", "json",
                .. extraArgs.Any(a => a.StartsWith("--scaivault-url", StringComparison.Ordinal)) ? [] : new[] { "--scaivault-url", "http://127.0.0.1:1" },
                .. extraArgs,
            ],
            name);
}
