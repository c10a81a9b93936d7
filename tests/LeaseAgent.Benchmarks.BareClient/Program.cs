using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Runtime.Versioning;
using Npgsql;

// Unix file modes, like the agent: Linux (macOS for development).
[assembly: SupportedOSPlatform("linux")]
[assembly: SupportedOSPlatform("macos")]

namespace LeaseAgent.Benchmarks.BareClient;

/// <summary>
/// The bare protocol, as the baseline of the agent's benchmarks. It reads the agent's own environment keys
/// (<c>SCAIVAULT_URL</c>, <c>SCAIVAULT_TOKEN_FILE</c>, <c>LEASE_ENGINE</c>, <c>LEASE_ROLE</c>, <c>DB_HOST</c>,
/// <c>DB_PORT</c>, <c>DB_NAME</c>, <c>DB_SSLMODE</c>, <c>OUTPUT_FILE</c>) and, in one process:
/// <list type="number">
/// <item>cold: one token exchange, one generate, one login (<c>Pooling=false</c>, <c>SELECT current_user</c>) and
/// one atomic file write (exclusive temp file, flushed to disk, renamed): the harness times this from outside,
/// from process start to the rename, exactly as it times the agent;</item>
/// <item>warm: generate, login and write again, timed here (the rotation baseline);</item>
/// <item>one revoke, timed here (the shutdown baseline), then the second revoke and the file's removal.</item>
/// </list>
/// It prints one JSON line of timings in milliseconds on stdout. No retries, no journal, no status, no logging.
/// With <c>BARE_CLIENT_HOLD=1</c> it then stays idle until SIGTERM, as a memory baseline.
/// </summary>
public static class Program
{
    public static async Task<int> Main()
    {
        try
        {
            var settings = Settings.FromEnvironment();
            using var http = new HttpClient { BaseAddress = settings.BaseUrl };
            var timings = new Dictionary<string, double>();

            var clock = Stopwatch.StartNew();
            var token = await ExchangeAsync(http, settings);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            timings["cold_exchange_ms"] = Lap(clock);
            var first = await GenerateAsync(http, settings);
            timings["cold_generate_ms"] = Lap(clock);
            await LoginAsync(settings, first);
            timings["cold_login_ms"] = Lap(clock);
            Publish(settings, first, generation: 1);
            timings["cold_write_ms"] = Lap(clock);

            var second = await GenerateAsync(http, settings);
            timings["warm_generate_ms"] = Lap(clock);
            await LoginAsync(settings, second);
            timings["warm_login_ms"] = Lap(clock);
            Publish(settings, second, generation: 2);
            timings["warm_write_ms"] = Lap(clock);
            timings["warm_generate_login_write_ms"] = timings["warm_generate_ms"] + timings["warm_login_ms"] + timings["warm_write_ms"];

            await RevokeAsync(http, first.LeaseId);
            timings["revoke_ms"] = Lap(clock);
            await RevokeAsync(http, second.LeaseId);
            File.Delete(settings.OutputFile);

            Console.Out.WriteLine(ToJson(timings));
            if (Environment.GetEnvironmentVariable("BARE_CLIENT_HOLD") == "1")
            {
                // For the memory baseline: a process that has done exactly this much, now idle until SIGTERM.
                using var stop = new ManualResetEventSlim();
                using var registration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
                {
                    context.Cancel = true;
                    stop.Set();
                });
                stop.Wait();
            }

            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or NpgsqlException or IOException or InvalidOperationException or JsonException or KeyNotFoundException)
        {
            Console.Error.WriteLine($"bare-client: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    private static double Lap(Stopwatch clock)
    {
        var elapsed = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        return elapsed;
    }

    private static async Task<string> ExchangeAsync(HttpClient http, Settings settings)
    {
        var subjectToken = (await File.ReadAllTextAsync(settings.TokenFile)).Trim();
        var body = Json(writer =>
        {
            writer.WriteString("subject_token", subjectToken);
            writer.WriteString("subject_token_type", "urn:ietf:params:oauth:token-type:jwt");
        });
        using var document = await PostAsync(http, "v1/auth/exchange", body);
        return document.RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<Lease> GenerateAsync(HttpClient http, Settings settings)
    {
        var path = $"v1/dynamic/engines/{Uri.EscapeDataString(settings.Engine)}/creds/{Uri.EscapeDataString(settings.Role)}";
        using var document = await PostAsync(http, path, "{}");
        var root = document.RootElement;
        var data = root.GetProperty("data");
        return new Lease(root.GetProperty("lease_id").GetString()!, data.GetProperty("username").GetString()!, data.GetProperty("password").GetString()!);
    }

    private static async Task RevokeAsync(HttpClient http, string leaseId)
    {
        using var response = await http.PostAsync($"v1/dynamic/leases/{Uri.EscapeDataString(leaseId)}/revoke", null);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<JsonDocument> PostAsync(HttpClient http, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(path, content);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        }

        return JsonDocument.Parse(body);
    }

    private static async Task LoginAsync(Settings settings, Lease lease)
    {
        await using var connection = new NpgsqlConnection(settings.ConnectionString(lease));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user", connection);
        var user = (string?)await command.ExecuteScalarAsync();
        if (user != lease.Username)
        {
            throw new InvalidOperationException($"logged in as {user}, expected {lease.Username}");
        }
    }

    /// <summary>The agent's atomic publish: exclusive temp file with the final mode, flushed to disk, renamed.</summary>
    private static void Publish(Settings settings, Lease lease, int generation)
    {
        var content = Encoding.UTF8.GetBytes(Json(writer =>
        {
            writer.WriteString("username", lease.Username);
            writer.WriteString("password", lease.Password);
            writer.WriteString("host", settings.DbHost);
            writer.WriteNumber("port", settings.DbPort);
            writer.WriteString("database", settings.DbName);
            writer.WriteString("connection_string", settings.ConnectionString(lease, pooling: true));
            writer.WriteString("lease_id", lease.LeaseId);
            writer.WriteNumber("generation", generation);
        }));
        var directory = Path.GetDirectoryName(Path.GetFullPath(settings.OutputFile))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(settings.OutputFile)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, settings.OutputFile, overwrite: true);
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string ToJson(Dictionary<string, double> timings) =>
        Json(writer =>
        {
            foreach (var (key, value) in timings)
            {
                writer.WriteNumber(key, Math.Round(value, 3));
            }
        });

    private sealed record Lease(string LeaseId, string Username, string Password);

    private sealed record Settings(Uri BaseUrl, string TokenFile, string Engine, string Role, string DbHost, int DbPort, string DbName, string SslMode, string OutputFile)
    {
        public static Settings FromEnvironment()
        {
            static string Get(string key) => Environment.GetEnvironmentVariable(key) is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"{key} is not set");

            var url = Get("SCAIVAULT_URL");
            return new Settings(
                new Uri(url.EndsWith('/') ? url : url + "/"),
                Get("SCAIVAULT_TOKEN_FILE"),
                Get("LEASE_ENGINE"),
                Get("LEASE_ROLE"),
                Get("DB_HOST"),
                int.Parse(Get("DB_PORT"), CultureInfo.InvariantCulture),
                Get("DB_NAME"),
                Environment.GetEnvironmentVariable("DB_SSLMODE") ?? "prefer",
                Get("OUTPUT_FILE"));
        }

        public string ConnectionString(Lease lease, bool pooling = false) => new NpgsqlConnectionStringBuilder
        {
            Host = DbHost,
            Port = DbPort,
            Database = DbName,
            Username = lease.Username,
            Password = lease.Password,
            SslMode = Enum.Parse<SslMode>(SslMode, ignoreCase: true),
            Pooling = pooling,
        }.ConnectionString;
    }
}
