using LeaseAgent.Configuration;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Hosting;

/// <summary>Configuration the agent accepts but that is weaker than its defaults, said once at start (run and init).</summary>
public static class StartupWarnings
{
    private static readonly string[] SslModesWithoutTls = ["disable", "allow", "prefer"];

    public static void Log(AgentOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var scaiVault = options.ScaiVault;
        if (scaiVault.AllowInsecureHttp)
        {
            InsecureIfHttp("SCAIVAULT_URL", scaiVault.BaseUrl, logger);
            if (scaiVault.ClientCredentials is { } client)
            {
                InsecureIfHttp("SCAIKEY_TOKEN_URL", client.TokenUrl, logger);
            }
        }

        // Once per database setting: credentials that share the agent-wide DB_* keys warn once.
        var warned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var database in options.Credentials.Select(c => c.Database).Where(d => warned.Add($"{d.Host} {d.SslMode} {string.Join(',', d.RequireAuth)}")))
        {
            if (SslModesWithoutTls.Contains(database.SslMode))
            {
                Diagnostics.Log.DatabaseTlsNotRequired(logger, database.SslMode, database.Host);
            }

            if (database.RequireAuth.Any(AuthMethods.Weak.Contains))
            {
                Diagnostics.Log.DatabaseAuthWeak(logger, string.Join(',', database.RequireAuth), database.Host);
            }
        }
    }

    private static void InsecureIfHttp(string key, Uri url, ILogger logger)
    {
        if (url.Scheme == Uri.UriSchemeHttp && !AgentConfiguration.IsLoopback(url))
        {
            Diagnostics.Log.InsecureHttpAllowed(logger, key, url.Authority);
        }
    }
}
