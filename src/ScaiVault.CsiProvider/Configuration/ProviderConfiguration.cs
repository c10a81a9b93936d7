using ScaiVault.Hosting.Configuration;

namespace ScaiVault.CsiProvider.Configuration;

/// <summary>
/// Reads and validates the provider's configuration (<see cref="ProviderKeys"/>), in the agent's style: each key is
/// an environment variable and a flag (<c>MAX_CONCURRENCY</c> → <c>--max-concurrency</c>), the flag winning; every bad
/// value is a <see cref="ConfigurationException"/> naming the key. <c>--allowed-url</c> may be repeated; its
/// environment variable takes a comma-separated list.
/// </summary>
public static class ProviderConfiguration
{
    public const string DefaultEndpoint = ProviderKeys.DefaultEndpoint;

    /// <summary>Every key the provider understands, in <c>--help</c> order.</summary>
    public static readonly IReadOnlyList<string> Keys = [.. ProviderKeys.All.Select(key => key.Name)];

    public static string FlagOf(string key) => Setting.FlagOf(key);

    /// <summary>The flags as key → values (several only for <c>--allowed-url</c>).</summary>
    public static Dictionary<string, List<string>> ParseFlags(IReadOnlyList<string> args, IReadOnlyCollection<string> keys)
    {
        var byFlag = keys.ToDictionary(FlagOf, key => key, StringComparer.Ordinal);
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = equals < 0 ? arg : arg[..equals];
            if (!byFlag.TryGetValue(flag, out var key))
            {
                throw new ConfigurationException(flag, "is not a flag of scaivault-csi-provider; see --help");
            }

            var value = equals >= 0 ? arg[(equals + 1)..]
                : i + 1 < args.Count ? args[++i]
                : throw new ConfigurationException(flag, "needs a value");
            if (values.TryGetValue(key, out var list) && key != ProviderKeys.AllowedUrls.Name)
            {
                throw new ConfigurationException(flag, "is given twice; give it once");
            }

            (list ??= values[key] = []).Add(value);
        }

        return values;
    }

    /// <param name="args">The flags (no command).</param>
    /// <param name="environment">Reads an environment variable (<see cref="Environment.GetEnvironmentVariable(string)"/> outside tests).</param>
    public static ProviderOptions Load(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var reader = Reader(ParseFlags(args, [.. Keys]), environment);
        return new ProviderOptions
        {
            Endpoint = ProviderKeys.Endpoint.Read(reader),
            ScaiVaultUrl = ProviderKeys.ScaiVaultUrl.Read(reader),
            AllowedUrls = ProviderKeys.AllowedUrls.Read(reader) ?? [],
            CaFile = ProviderKeys.CaFile.Read(reader),
            DefaultAudience = ProviderKeys.DefaultAudience.Read(reader),
            TokenCacheSize = ProviderKeys.TokenCacheSize.Read(reader),
            MaxConcurrency = ProviderKeys.MaxConcurrency.Read(reader),
            MaxResponseBytes = ProviderKeys.MaxResponseBytes.Read(reader),
            RequestTimeout = ProviderKeys.RequestTimeout.Read(reader),
            JsonLogs = ProviderKeys.LogFormat.Read(reader) == "json",
        };
    }

    /// <summary><c>ENDPOINT</c> alone, for <c>probe</c>: an absolute socket path that fits <c>sun_path</c>.</summary>
    public static string Endpoint(IReadOnlyList<string> args, Func<string, string?> environment) =>
        ProviderKeys.Endpoint.Read(Reader(ParseFlags(args, [ProviderKeys.Endpoint.Name]), environment));

    /// <summary>Flag before environment; a repeated flag's values form one comma-separated list, as in the environment.</summary>
    private static SettingReader Reader(Dictionary<string, List<string>> flags, Func<string, string?> environment) =>
        new(key => flags.TryGetValue(key, out var values) ? string.Join(',', values) : environment(key));
}
