using LeaseAgent.Testing;
using Microsoft.Extensions.Logging;

namespace ScaiVault.CsiProvider.Tests.Infrastructure;

/// <summary>
/// What reached the emulator, counted from its own access log (event 100: method, path without query, status,
/// identity), so a Mount test can assert "one GET per distinct path" or "no request at all" without any counter in
/// the provider.
/// </summary>
public static class EmulatorAccessLog
{
    private const int AccessLogEvent = 100;

    /// <summary>Keeps the emulator's access log (it logs one line per request at Information).</summary>
    public static ScaiVaultEmulatorBuilder WithAccessLog(this ScaiVaultEmulatorBuilder builder) =>
        builder.WithLogLevel(LogLevel.Information).WithLogCapture();

    extension(ScaiVaultEmulator emulator)
    {
        /// <summary>Every request the emulator answered so far, as <c>"GET /v1/secrets/a/b -> 200 identity"</c> (no query string).</summary>
        public IReadOnlyList<string> Requests =>
            [.. emulator.Log.Where(e => e.EventId.Id == AccessLogEvent).Select(e => $"{e.Value("Method")} {e.Value("Path")} -> {e.Value("StatusCode")} {e.Value("Identity")}")];

        /// <summary>Exchanges of workload tokens that arrived (successful or not).</summary>
        public int Exchanges => emulator.Count("POST", "/v1/auth/exchange");

        /// <summary>Requests from anyone but the test's admin client, emulator-only endpoints (minting JWTs, faults) excluded.</summary>
        public int WorkloadRequests => emulator.Requests.Count(l => !l.EndsWith(" admin", StringComparison.Ordinal) && !l.Contains(" /_emulator/", StringComparison.Ordinal));

        /// <summary>How many requests of <paramref name="method"/> to exactly <paramref name="path"/> arrived (identity admin excluded).</summary>
        public int Count(string method, string path) =>
            emulator.Requests.Count(l => l.StartsWith($"{method} {path} -> ", StringComparison.Ordinal) && !l.EndsWith(" admin", StringComparison.Ordinal));

        /// <summary>A workload JWT as the kubelet projects it for <c>system:serviceaccount:ns:sa</c>, and its expiry.</summary>
        public Task<(string Jwt, DateTimeOffset ExpiresAt)> MintAsync(string @namespace = "reporting", string serviceAccount = "reporting", string audience = "scaivault", string ttl = "1h") =>
            emulator.MintTokenWithExpiryAsync($"system:serviceaccount:{@namespace}:{serviceAccount}", audience, ttl);
    }
}
