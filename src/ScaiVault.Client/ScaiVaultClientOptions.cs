namespace ScaiVault.Client;

/// <summary>
/// Where ScaiVault is and how to reach it. Each executable maps its own configuration onto this (the agent its
/// environment, the CSI provider its flags) and names its settings, so that an error says what to fix.
/// </summary>
public sealed record ScaiVaultClientOptions
{
    /// <summary>ScaiVault's base URL, e.g. <c>https://scaivault.scailabs.ai</c>.</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>The caller's name for the setting that holds <see cref="BaseUrl"/> (<c>SCAIVAULT_URL</c>, <c>--scaivault-url</c>).</summary>
    public required string UrlSetting { get; init; }

    /// <summary>A PEM CA bundle trusted in addition to the system store; default none. Verification is never off.</summary>
    public string? CaFile { get; init; }

    /// <summary>The caller's name for the setting that holds <see cref="CaFile"/> (<c>SCAIVAULT_CA_FILE</c>, <c>--ca-file</c>).</summary>
    public required string CaFileSetting { get; init; }

    /// <summary>The budget of one HTTP attempt; default 10 s. A call retries within four of them at most.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The workload token exchange; default <c>/v1/auth/exchange</c>.</summary>
    public string ExchangePath { get; init; } = "/v1/auth/exchange";
}

/// <summary>
/// A server the client calls, and the settings that point at it, for error messages: ScaiVault, or (the agent's
/// client-credentials fallback) ScaiKey.
/// </summary>
internal sealed record ScaiVaultPeer(string Name, string UrlSetting, string CaFileSetting)
{
    public const string ScaiVaultName = "ScaiVault";

    public static ScaiVaultPeer ScaiVault(ScaiVaultClientOptions options) => new(ScaiVaultName, options.UrlSetting, options.CaFileSetting);
}
