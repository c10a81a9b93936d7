using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaiVault.Emulator.Hosting;

namespace ScaiVault.CsiProvider.Tests.Infrastructure;

/// <summary>
/// A real ScaiVault emulator, in process (<c>--dev</c>), over its own fresh database of the test Postgres, for Mount
/// tests. It counts what reaches it from its own access log (event 100: method, path without query, status), so a
/// test can assert "one GET per distinct path" or "no request at all" without any counter in the provider.
/// </summary>
public sealed class CsiEmulator : IAsyncDisposable
{
    public const string AdminToken = "csi-test-admin-token";

    private readonly WebApplication _app;
    private readonly AccessLog _log = new();

    private CsiEmulator(WebApplication app)
    {
        _app = app;
        BaseAddress = app.GetBaseAddress();
        Admin = new HttpClient { BaseAddress = BaseAddress };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(_log);
    }

    public Uri BaseAddress { get; }

    public HttpClient Admin { get; }

    /// <summary>Every request the emulator answered so far, as <c>"GET /v1/secrets/a/b -> 200"</c> (no query string).</summary>
    public IReadOnlyList<string> Requests => [.. _log.Lines];

    public static async Task<CsiEmulator> StartAsync()
    {
        var database = await TestPostgres.CreateDatabaseAsync("csi");
        var app = EmulatorApp.Build(["--urls", "http://127.0.0.1:0", "--postgres", database, "--admin-token", AdminToken, "--dev", "--log-level", "Information"]);
        await app.StartAsync();
        return new CsiEmulator(app);
    }

    /// <summary>How many requests of <paramref name="method"/> to exactly <paramref name="path"/> arrived (identity admin excluded).</summary>
    public int Count(string method, string path) =>
        _log.Lines.Count(l => l.StartsWith($"{method} {path} -> ", StringComparison.Ordinal) && !l.EndsWith(" admin", StringComparison.Ordinal));

    /// <summary>Exchanges of workload tokens that arrived (successful or not).</summary>
    public int Exchanges => Count("POST", "/v1/auth/exchange");

    /// <summary>Requests from anyone but the test's admin client, emulator-only endpoints (minting JWTs, faults) excluded.</summary>
    public int WorkloadRequests => _log.Lines.Count(l => !l.EndsWith(" admin", StringComparison.Ordinal) && !l.Contains(" /_emulator/", StringComparison.Ordinal));

    /// <summary>A workload JWT as the kubelet projects it for <c>system:serviceaccount:ns:sa</c>, and its expiry.</summary>
    public async Task<(string Jwt, DateTimeOffset ExpiresAt)> MintAsync(string @namespace = "reporting", string serviceAccount = "reporting", string audience = "scaivault", string ttl = "1h")
    {
        var response = await Admin.PostAsJsonAsync("/_emulator/tokens", new { sub = $"system:serviceaccount:{@namespace}:{serviceAccount}", aud = audience, ttl });
        await TutorialSetup.EnsureSuccessAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (body!["token"]!.GetValue<string>(), DateTimeOffset.Parse(body["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Writes a new version of a static secret (as the admin) and returns that version.</summary>
    public async Task<int> PutSecretAsync(string path, object data)
    {
        var response = await Admin.PutAsJsonAsync($"/v1/secrets/{path}", new { data, secret_type = "kv" });
        await TutorialSetup.EnsureSuccessAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["version"]!.GetValue<int>();
    }

    /// <summary>The secret's <c>data</c> as ScaiVault answers it, read as the admin (what <c>lease-agent init</c> would render).</summary>
    public async Task<JsonObject> ReadSecretAsync(string path) =>
        (await Admin.GetFromJsonAsync<JsonObject>($"/v1/secrets/{path}"))!;

    /// <summary><c>PUT /_emulator/faults</c>, e.g. <c>new { route = "secrets", status = 503 }</c>.</summary>
    public async Task SetFaultAsync(object fault) =>
        await TutorialSetup.EnsureSuccessAsync(await Admin.PutAsJsonAsync("/_emulator/faults", fault));

    public async Task ClearFaultsAsync() =>
        await TutorialSetup.EnsureSuccessAsync(await Admin.DeleteAsync("/_emulator/faults"));

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The emulator's access-log lines (event 100), as <c>"METHOD /path -> status identity"</c>.</summary>
    private sealed class AccessLog : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 100 && state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                string? Value(string key) => values.FirstOrDefault(v => v.Key == key).Value?.ToString();
                Lines.Enqueue($"{Value("Method")} {Value("Path")} -> {Value("StatusCode")} {Value("Identity")}");
            }
        }

        public void Dispose()
        {
        }
    }
}
