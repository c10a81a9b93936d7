using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Hosting;

/// <summary>Parses and validates the command line; every problem is an <see cref="EmulatorArgumentException"/>.</summary>
internal static partial class EmulatorArguments
{
    public const string Usage =
        """
        Usage: scaivault-emulator --postgres <connection string> --admin-token-file <file> [options]

          --urls <url[;url]>              Where to listen (default http://127.0.0.1:8200; port 0 picks a free port).
          --postgres <connection string>  Npgsql connection string of the database that holds the emulator's state
                                          (schema "scaivault", created at start).
          --admin-token-file <file>       Bearer token with every scope, read from <file> (one trailing newline
                                          dropped). Or set SCAIVAULT_EMULATOR_ADMIN_TOKEN, or pass
                                          --admin-token <token> (visible to every local user in ps).
          --trust-issuer <iss>=<file>     Accept workload JWTs from issuer <iss>, verified with the keys in <file>
                                          (a JWKS document or a PEM public key or certificate). Repeatable.
          --dev                           Trust a built-in issuer and serve POST /_emulator/tokens; /_emulator/*
                                          needs no admin token. Loopback --urls only, unless --dev-allow-remote.
          --dev-allow-remote              Allow --dev on a non-loopback address: anyone who reaches it can mint
                                          workload tokens and inject faults.
          --metrics-require-admin         /v1/metrics needs the admin token (default: open, as ScaiVault's is by
                                          default).
          --client <id>=<secret>          A client for POST /oauth/token (client credentials); <id>=@<file> reads
                                          the secret from <file>. Repeatable.
          --token-ttl <duration>          Lifetime of issued access tokens (default 1h).
          --sweep-interval <duration>     How often expired leases are revoked (default 1s; e.g. 250ms).
          --rate-limit-generate <n>       Credential generations per identity per minute (default 100; 0 = off).
          --rate-limit-lease-ops <n>      Renewals + revocations per identity per minute (default 100; 0 = off).
          --rate-limit-reads <n>          Secret reads per identity per minute (default 1000; 0 = off).
          --rate-limit-polls <n>          Subscription polls per identity per minute (default 240; 0 = off).
          --rate-limit-subscription-ops <n>
                                          Subscription creates, gets, deletes and acks per identity per minute
                                          (default 20; 0 = off).
          --rate-limit-other <n>          Requests to every other route per identity (per client address when
                                          unauthenticated) per minute (default 10000; 0 = off).
          --subscription-redelivery <duration>
                                          How long a polled event stays hidden; un-acked, it is then delivered
                                          again (default 30s; e.g. 500ms).
          --log-level <level>             Trace, Debug, Information, Warning, Error (default Information).
          --help                          Show this text.
        """;

    private const string Dev = "--dev";
    private const string DevAllowRemote = "--dev-allow-remote";
    private const string MetricsRequireAdmin = "--metrics-require-admin";

    private static readonly HashSet<string> Flags = [Dev, DevAllowRemote, MetricsRequireAdmin];

    private static readonly HashSet<string> Options =
    [
        "--urls", "--postgres", "--admin-token", "--admin-token-file", "--trust-issuer", "--client", "--token-ttl", "--sweep-interval",
        "--rate-limit-generate", "--rate-limit-lease-ops", "--rate-limit-reads", "--rate-limit-polls", "--subscription-redelivery",
        "--rate-limit-subscription-ops", "--rate-limit-other",
        "--log-level",
    ];

    public const string AdminTokenVariable = "SCAIVAULT_EMULATOR_ADMIN_TOKEN";

    public static bool IsHelp(IReadOnlyList<string> args) => args.Any(a => a is "--help" or "-h");

    /// <param name="environment">Reads an environment variable (tests pass their own); the process environment by default.</param>
    public static EmulatorOptions Parse(IReadOnlyList<string> args, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? arg[..equals] : arg;
            if (Flags.Contains(name))
            {
                if (equals > 0)
                {
                    throw new EmulatorArgumentException($"{name} takes no value.");
                }

                flags.Add(name);
                continue;
            }

            if (!Options.Contains(name))
            {
                throw new EmulatorArgumentException(
                    arg.StartsWith('-') ? $"unknown option '{name}'; see --help." : $"unexpected argument '{arg}'; options start with '--', see --help.");
            }

            string value;
            if (equals > 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                throw new EmulatorArgumentException($"{name} needs a value; see --help.");
            }

            if (!values.TryGetValue(name, out var list))
            {
                values[name] = list = [];
            }

            list.Add(value);
        }

        string? Single(string name)
        {
            if (!values.TryGetValue(name, out var list))
            {
                return null;
            }

            return list.Count == 1 ? list[0] : throw new EmulatorArgumentException($"{name} may be given only once.");
        }

        var urls = ParseUrls(Single("--urls"));
        var dev = flags.Contains(Dev);
        var devAllowRemote = flags.Contains(DevAllowRemote);
        CheckDevIsLocal(urls, dev, devAllowRemote);
        return new EmulatorOptions
        {
            Urls = urls,
            PostgresConnectionString = ParsePostgres(Single("--postgres")),
            AdminToken = ParseAdminToken(Single("--admin-token"), Single("--admin-token-file"), environment(AdminTokenVariable)),
            TrustedIssuerFiles = ParsePairs(values.GetValueOrDefault("--trust-issuer"), "--trust-issuer", "<issuer>=<file>")
                .Select(p => KeyValuePair.Create(p.Key, p.Value)).ToList(),
            Dev = dev,
            DevAllowRemote = devAllowRemote,
            MetricsRequireAdmin = flags.Contains(MetricsRequireAdmin),
            Clients = ParseClients(values.GetValueOrDefault("--client")),
            TokenTtl = ParseDuration(Single("--token-ttl"), "--token-ttl", TimeSpan.FromHours(1), TimeSpan.FromSeconds(1)),
            SweepInterval = ParseDuration(Single("--sweep-interval"), "--sweep-interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(10)),
            RateLimitGenerate = ParseLimit(Single("--rate-limit-generate"), "--rate-limit-generate", 100),
            RateLimitLeaseOperations = ParseLimit(Single("--rate-limit-lease-ops"), "--rate-limit-lease-ops", 100),
            RateLimitReads = ParseLimit(Single("--rate-limit-reads"), "--rate-limit-reads", 1000),
            RateLimitPolls = ParseLimit(Single("--rate-limit-polls"), "--rate-limit-polls", 240),
            RateLimitSubscriptionOperations = ParseLimit(Single("--rate-limit-subscription-ops"), "--rate-limit-subscription-ops", 20),
            RateLimitOther = ParseLimit(Single("--rate-limit-other"), "--rate-limit-other", 10000),
            SubscriptionRedelivery = ParseDuration(
                Single("--subscription-redelivery"), "--subscription-redelivery", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)),
            LogLevel = ParseLogLevel(Single("--log-level")),
        };
    }

    private static List<string> ParseUrls(string? text)
    {
        if (text is null)
        {
            return ["http://127.0.0.1:8200"];
        }

        var urls = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new EmulatorArgumentException($"--urls: '{url}' is not an http:// or https:// URL such as http://127.0.0.1:8200.");
            }

            if (uri.Port == 0 && uri.IsLoopback && uri.HostNameType == UriHostNameType.Dns)
            {
                throw new EmulatorArgumentException($"--urls: port 0 needs an IP address; use http://127.0.0.1:0 instead of '{url}'.");
            }
        }

        return urls.Count > 0 ? urls : throw new EmulatorArgumentException("--urls needs at least one URL.");
    }

    /// <summary>
    /// <c>--dev</c> lets anyone who reaches the emulator mint workload tokens for any subject and change faults
    /// without a token, so it listens on loopback only unless the operator says otherwise.
    /// </summary>
    private static void CheckDevIsLocal(List<string> urls, bool dev, bool devAllowRemote)
    {
        if (devAllowRemote && !dev)
        {
            throw new EmulatorArgumentException($"{DevAllowRemote} only applies together with {Dev}.");
        }

        if (dev && !devAllowRemote && urls.FirstOrDefault(url => !new Uri(url).IsLoopback) is { } remote)
        {
            throw new EmulatorArgumentException(
                $"{Dev} on '{remote}', which is not a loopback address, would let anyone who reaches it mint workload tokens; " +
                $"listen on http://127.0.0.1:<port>, or add {DevAllowRemote} if that is really intended.");
        }
    }

    private static string ParsePostgres(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new EmulatorArgumentException(
                "--postgres is required: the connection string of the database for the emulator's state, e.g. \"Host=127.0.0.1;Username=postgres;Password=…;Database=scaivault\".");
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(text);
            return string.IsNullOrEmpty(builder.Host)
                ? throw new EmulatorArgumentException("--postgres: the connection string names no Host.")
                : text;
        }
        catch (ArgumentException e)
        {
            // The message names the offending keyword, never its value, so no password is echoed.
            throw new EmulatorArgumentException($"--postgres: not a valid connection string: {e.Message}");
        }
    }

    /// <summary>
    /// <c>--admin-token</c> or <c>--admin-token-file</c> (one of them), else <see cref="AdminTokenVariable"/>. A file
    /// or the environment keeps the token out of <c>ps</c>, <c>docker inspect</c> and pod specs.
    /// </summary>
    private static string ParseAdminToken(string? text, string? file, string? variable)
    {
        if (text is not null && file is not null)
        {
            throw new EmulatorArgumentException("--admin-token and --admin-token-file: give the admin token only one way.");
        }

        var (token, source) = file is not null ? (ReadSecretFile(file, "--admin-token-file", "the admin token"), "--admin-token-file")
            : text is not null ? (text, "--admin-token")
            : (variable, AdminTokenVariable);
        if (token is null)
        {
            throw new EmulatorArgumentException($"an admin token is required: --admin-token-file <file>, {AdminTokenVariable}, or --admin-token <token>.");
        }

        return token.Length == 0 || token.Any(char.IsWhiteSpace)
            ? throw new EmulatorArgumentException($"{source}: the admin token may not be empty or contain whitespace.")
            : token;
    }

    /// <summary>A secret kept in a file, as Kubernetes and Docker mount them: the file's text without one trailing newline.</summary>
    private static string ReadSecretFile(string path, string option, string what)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new EmulatorArgumentException($"{option}: cannot read {what} from '{path}': {e.Message}");
        }
    }

    private static List<KeyValuePair<string, string>> ParsePairs(List<string>? items, string option, string shape)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var item in items ?? [])
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == item.Length - 1)
            {
                throw new EmulatorArgumentException($"{option}: '{Redacted(option, item)}' is not of the form {shape}.");
            }

            var key = item[..equals];
            if (pairs.Any(p => p.Key == key))
            {
                throw new EmulatorArgumentException($"{option}: '{key}' is given twice.");
            }

            pairs.Add(KeyValuePair.Create(key, item[(equals + 1)..]));
        }

        return pairs;
    }

    private static Dictionary<string, string> ParseClients(List<string>? items)
    {
        var clients = ParsePairs(items, "--client", "<id>=<secret>");
        foreach (var (id, _) in clients)
        {
            if (!ClientId().IsMatch(id))
            {
                throw new EmulatorArgumentException($"--client: the id '{id}' may only contain letters, digits, '.', '_' and '-'.");
            }
        }

        // <id>=@<file>: the secret stays out of argv.
        return clients.ToDictionary(
            p => p.Key,
            p => p.Value.StartsWith('@') ? ReadSecretFile(p.Value[1..], "--client", $"the secret of '{p.Key}'") : p.Value,
            StringComparer.Ordinal);
    }

    private static TimeSpan ParseDuration(string? text, string option, TimeSpan fallback, TimeSpan minimum)
    {
        if (text is null)
        {
            return fallback;
        }

        return Duration.TryParse(text, allowMilliseconds: true, out var value) && value >= minimum
            ? value
            : throw new EmulatorArgumentException($"{option}: '{text}' is not a duration of at least {minimum.TotalMilliseconds} ms, such as 500ms, 90s, 15m or 1h.");
    }

    private static int ParseLimit(string? text, string option, int fallback)
    {
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new EmulatorArgumentException($"{option}: '{text}' is not a whole number of requests per minute (0 turns the limit off).");
    }

    private static LogLevel ParseLogLevel(string? text)
    {
        if (text is null)
        {
            return LogLevel.Information;
        }

        return Enum.TryParse<LogLevel>(text, ignoreCase: true, out var level) && Enum.IsDefined(level)
            ? level
            : throw new EmulatorArgumentException($"--log-level: '{text}' is not one of Trace, Debug, Information, Warning, Error, Critical, None.");
    }

    private static string Redacted(string option, string item) =>
        option == "--client" && item.IndexOf('=', StringComparison.Ordinal) is var at and > 0 ? item[..at] + "=…" : item;

    [GeneratedRegex("^[A-Za-z0-9._-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ClientId();
}
