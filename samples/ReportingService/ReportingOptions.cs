using System.Globalization;

namespace ReportingService;

/// <summary>The service's settings, read from environment variables (or <c>--KEY=value</c> arguments).</summary>
public sealed record ReportingOptions
{
    public const string DefaultCredentialsFile = "/run/secrets/db.json";

    public const string DefaultReportQuery = "SELECT current_user AS served_by, count(*) AS rows FROM report";

    /// <summary><c>DB_CREDENTIALS_FILE</c>: the JSON document lease-agent publishes (<c>OUTPUT_FILE</c>).</summary>
    public string CredentialsFile { get; init; } = DefaultCredentialsFile;

    /// <summary><c>REPORT_QUERY</c>: what <c>GET /report</c> runs; its rows are returned as JSON.</summary>
    public string ReportQuery { get; init; } = DefaultReportQuery;

    /// <summary><c>DB_CREDENTIALS_WATCH</c>, default true: reload when the file's directory changes.</summary>
    public bool WatchDirectory { get; init; } = true;

    /// <summary>Reload on SIGHUP (lease-agent's default <c>RELOAD_SIGNAL</c>). Always on in the real service.</summary>
    public bool ReloadOnSighup { get; init; } = true;

    /// <summary><c>DB_CREDENTIALS_RECHECK_SECONDS</c>, default 30: re-read the file this often as a safety net; 0 turns it off.</summary>
    public TimeSpan RecheckInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>LOG_FORMAT</c>: <c>json</c> (one object per line, the default) or <c>text</c>.</summary>
    public string LogFormat { get; init; } = "json";

    /// <summary>Reads the options; a bad value throws <see cref="ReportingConfigurationException"/> naming the key.</summary>
    public static ReportingOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new ReportingOptions
        {
            CredentialsFile = Text(configuration, "DB_CREDENTIALS_FILE") ?? DefaultCredentialsFile,
            ReportQuery = Text(configuration, "REPORT_QUERY") ?? DefaultReportQuery,
            WatchDirectory = Boolean(configuration, "DB_CREDENTIALS_WATCH", fallback: true),
            LogFormat = (Text(configuration, "LOG_FORMAT") ?? "json").ToLowerInvariant(),
        };

        if (Text(configuration, "DB_CREDENTIALS_RECHECK_SECONDS") is { } recheck)
        {
            if (!int.TryParse(recheck, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                throw new ReportingConfigurationException($"DB_CREDENTIALS_RECHECK_SECONDS: '{recheck}' is not a whole number of seconds (0 turns the re-check off)");
            }

            options = options with { RecheckInterval = TimeSpan.FromSeconds(seconds) };
        }

        if (options.LogFormat is not ("json" or "text"))
        {
            throw new ReportingConfigurationException($"LOG_FORMAT: '{options.LogFormat}' is neither 'json' nor 'text'");
        }

        return options;
    }

    private static string? Text(IConfiguration configuration, string key) =>
        configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static bool Boolean(IConfiguration configuration, string key, bool fallback) =>
        Text(configuration, key) switch
        {
            null => fallback,
            var value when bool.TryParse(value, out var parsed) => parsed,
            "1" or "yes" or "on" => true,
            "0" or "no" or "off" => false,
            var value => throw new ReportingConfigurationException($"{key}: '{value}' is not true or false"),
        };
}

/// <summary>A bad setting: the message names the key, the value and what is expected.</summary>
public sealed class ReportingConfigurationException(string message) : Exception(message);
