using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using LeaseAgent.Benchmarks.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using ScaiVault.Client;
using ScaiVault.CsiProvider.Hosting;
using ScaiVault.CsiProvider.V1Alpha1;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 9: the published Native AOT <c>scaivault-csi-provider</c>, a real process on a Unix socket in its default
/// configuration, dialled as the Secrets Store CSI driver dials it. Every Mount is a distinct pod (its own UID) of one
/// service account and mounts two fields of one secret. Its baseline is the bare read by the same client library
/// (<c>ScaiVault.Client</c>'s <see cref="WorkloadTokenExchange"/> + <see cref="ScaiVaultSecretReader"/>, one exchange
/// and one read per pod) in this process, in the same run. Both reach the emulator through a
/// <see cref="RecordingProxy"/> (as <c>provider/</c> and <c>bare/</c>), which counts the provider's ScaiVault calls.
/// </summary>
public sealed class CsiProvider
{
    private const string SecretPath = "apps/billing/database";
    private const string Namespace = "reporting";
    private const string ServiceAccount = "reporting-service";
    private const int ObjectsPerMount = 2;
    private const int SequentialPerRun = 10;

    /// <summary>The chart's container memory (charts/scaivault-csi-provider/values.yaml).</summary>
    private const double ChartRequestMiB = 32;
    private const double ChartLimitMiB = 96;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Two objects of one secret: the driver's naive floor is one exchange and one read per object.</summary>
    private static readonly string Objects = $"""
        - objectName: db-password
          path: {SecretPath}
          field: password
        - objectName: db-username
          path: {SecretPath}
          field: username

        """;

    private readonly List<FigureResult> _results = [];

    public IReadOnlyList<FigureResult> Results => _results;

    public async Task MeasureAsync(Bench bench)
    {
        var options = bench.Options;
        var emulator = bench.Emulator;
        await emulator.PutSecretAsync(SecretPath, new Dictionary<string, object> { ["username"] = "billing", ["password"] = "bench-password-not-logged", ["port"] = 5432 });
        var token = await emulator.MintTokenWithExpiryAsync($"system:serviceaccount:{Namespace}:{ServiceAccount}", ttl: "2h");
        await using var proxy = await RecordingProxy.StartAsync(emulator.BaseAddress);

        // A socket path has at most 107 bytes: directly under /tmp, not in the scratch directory.
        var socketDirectory = Directory.CreateTempSubdirectory("sv-");
        try
        {
            var socket = Path.Combine(socketDirectory.FullName, "scaivault.sock");
            await using var provider = ChildProcess.Start(
                "scaivault-csi-provider",
                bench.Binaries.CsiProvider,
                new Dictionary<string, string>(),
                bench.NewDirectory("csi-provider"),
                "--endpoint", socket, "--scaivault-url", new Uri(proxy.BaseAddress, "provider/").ToString(), "--log-format", "json");
            await WaitForListeningAsync(provider);
            await Task.Delay(options.Settle);
            var idle = (ProcFs.ReadMemory(provider.Pid), ProcFs.ReadPeakRssKiB(provider.Pid));

            using var driver = new Driver(socket);
            using var bare = new BareRead(new Uri(proxy.BaseAddress, "bare/"), token.Jwt);
            var mounts = 0;
            async Task<double> MountAsync()
            {
                var pod = Interlocked.Increment(ref mounts);
                return await driver.MountAsync(Request(token, pod));
            }

            // The first of each opens its connections (socket, HTTP/1.1 to the proxy): not what is measured.
            await MountAsync();
            await bare.ReadAsync();

            Samples sequentialMount = new("ms"), sequentialBare = new("ms"), concurrentMount = new("ms"), concurrentBare = new("ms");
            var calls = new List<double>();
            for (var run = 1; run <= options.Runs; run++)
            {
                Console.Error.WriteLine($"  run {run}/{options.Runs}: {SequentialPerRun} Mounts one at a time, then {options.CsiPods} at once, each beside the bare read");
                for (var i = 0; i < SequentialPerRun; i++)
                {
                    sequentialBare.Add(await bare.ReadAsync());
                    sequentialMount.Add(await MountAsync());
                }

                concurrentBare.AddRange(await Task.WhenAll(Enumerable.Range(0, options.CsiPods).Select(_ => bare.ReadAsync())));
                var before = ProviderCalls(proxy);
                concurrentMount.AddRange(await Task.WhenAll(Enumerable.Range(0, options.CsiPods).Select(_ => MountAsync())));
                calls.Add((ProviderCalls(proxy) - before) / (double)options.CsiPods);
            }

            Console.Error.WriteLine($"  Mounts of distinct pods, {options.CsiPods} at a time, up to {options.CsiMounts} in all");
            while (mounts < options.CsiMounts)
            {
                await Task.WhenAll(Enumerable.Range(0, Math.Min(options.CsiPods, options.CsiMounts - mounts)).Select(_ => MountAsync()));
            }

            await Task.Delay(options.Settle);
            var loaded = (ProcFs.ReadMemory(provider.Pid), ProcFs.ReadPeakRssKiB(provider.Pid));
            var failed = proxy.Requests.Count(r => r.Agent == "provider" && r.Status != 200);
            if (await provider.StopAsync(Timeout) != 0)
            {
                throw new HarnessException($"the provider exited with {provider.ExitCode}:\n{provider.Output}");
            }

            Analyse(options, mounts, sequentialMount, sequentialBare, concurrentMount, concurrentBare, calls, failed, idle, loaded);
        }
        finally
        {
            socketDirectory.Delete(recursive: true);
        }
    }

    private void Analyse(
        BenchOptions options,
        int mounts,
        Samples sequentialMount,
        Samples sequentialBare,
        Samples concurrentMount,
        Samples concurrentBare,
        List<double> calls,
        int failed,
        (ProcFs.Memory Status, long PeakKiB) idle,
        (ProcFs.Memory Status, long PeakKiB) loaded)
    {
        static string P(Samples s, double percent) => Measurements.F(Measurements.Percentile(s.Values, percent));

        var pods = options.CsiPods;
        _results.Add(new FigureResult(
            "9",
            $"CSI Mount, one pod at a time ({ObjectsPerMount} fields of one secret; exchange + read + gRPC)",
            sequentialMount.Format(),
            $"{sequentialBare.Format()} (bare exchange + read, ScaiVault.Client)",
            Measurements.Ratio(sequentialMount.Median, sequentialBare.Median),
            "(context)",
            Verdict.Info,
            [
                $"Mount: {sequentialMount.Describe()}; bare read: {sequentialBare.Describe()}. Timed by the caller: the driver's gRPC call over the Unix socket (default configuration: --max-concurrency 16), and the bare client's exchange + read in this process. Each Mount is a new pod UID, so each exchanges its own token.",
                "Both reach the emulator over the same recording proxy (one extra loopback hop each way); the emulator, over the test Postgres, has no rate limits.",
            ]));

        _results.Add(new FigureResult(
            "9b",
            $"CSI Mount, {pods} distinct pods at once: p50 / p99",
            $"{P(concurrentMount, 50)} / {P(concurrentMount, 99)} ms",
            $"{P(concurrentBare, 50)} / {P(concurrentBare, 99)} ms (bare exchange + read, {pods} at once, no bulkhead)",
            Measurements.Ratio(Measurements.Percentile(concurrentMount.Values, 50), Measurements.Percentile(concurrentBare.Values, 50)),
            "(context)",
            Verdict.Info,
            [
                $"Mount: {concurrentMount.Describe()}, p99 {P(concurrentMount, 99)} ms; bare: {concurrentBare.Describe()}, p99 {P(concurrentBare, 99)} ms. {options.Runs} wave(s) of {pods}. Ratio of the p50s; p99 ratio {Measurements.Ratio(Measurements.Percentile(concurrentMount.Values, 99), Measurements.Percentile(concurrentBare.Values, 99))}.",
                "The provider lets 16 ScaiVault calls run at a time (its default --max-concurrency), the bare client all of them: the rest of a wave waits in the provider's bulkhead.",
            ]));

        var floor = 1 + ObjectsPerMount;
        var perMount = Measurements.Median(calls);
        _results.Add(new FigureResult(
            "9c",
            $"ScaiVault calls per Mount ({pods} pods at once, {ObjectsPerMount} objects of one secret)",
            Measurements.F(perMount, "0.00"),
            $"{floor} (naive floor: 1 exchange + 1 read per object)",
            Measurements.Ratio(perMount, floor),
            "≤ naive floor",
            perMount <= floor ? Verdict.Holds : Verdict.Misses,
            [
                $"Counted at the proxy per wave: {string.Join(", ", calls.Select(c => Measurements.F(c, "0.00")))}. {failed} of the provider's requests were not answered 200.",
                "Tokens are exchanged per pod by design (ADR 0011: each pod keeps its own identity), so distinct pods never share an exchange; reads are shared within one Mount (one GET per secret path and version).",
            ]));

        var rss = loaded.Status.RssMiB;
        var peak = loaded.PeakKiB / 1024.0;
        _results.Add(new FigureResult(
            "9d",
            $"CSI provider RSS after {mounts} Mounts (VmRSS / VmHWM)",
            $"{Measurements.F(rss)} / {Measurements.F(peak)} MiB",
            $"{Measurements.F(idle.Status.RssMiB)} / {Measurements.F(idle.PeakKiB / 1024.0)} MiB (idle, listening)",
            Measurements.Ratio(rss, idle.Status.RssMiB),
            $"VmHWM ≤ {ChartLimitMiB:0} MiB (chart limit)",
            peak <= ChartLimitMiB ? Verdict.Holds : Verdict.Misses,
            [
                $"Idle: VmRSS {Measurements.F(idle.Status.RssMiB)} MiB (anon {Measurements.F(idle.Status.AnonKiB / 1024.0)}, file {Measurements.F(idle.Status.FileKiB / 1024.0)}), read {options.Settle.TotalSeconds:0} s after it listened; after {mounts} Mounts of distinct pods ({pods} at a time) and {options.Settle.TotalSeconds:0} s: VmRSS {Measurements.F(rss)} MiB (anon {Measurements.F(loaded.Status.AnonKiB / 1024.0)}, file {Measurements.F(loaded.Status.FileKiB / 1024.0)}), VmHWM {Measurements.F(peak)} MiB.",
                $"The chart requests {ChartRequestMiB:0} MiB and limits {ChartLimitMiB:0} MiB; VmRSS after the Mounts is {(rss <= ChartRequestMiB ? "within" : "above")} the request. The token cache holds up to 1000 pods (--token-cache-size).",
            ]));
    }

    private static int ProviderCalls(RecordingProxy proxy) => proxy.Requests.Count(r => r.Agent == "provider");

    private static async Task WaitForListeningAsync(ChildProcess provider)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Timeout.TotalSeconds * Stopwatch.Frequency);
        while (!provider.Lines.Any(l => l.Text.Contains("listening on", StringComparison.Ordinal)))
        {
            if (provider.HasExited || Stopwatch.GetTimestamp() > deadline)
            {
                throw new HarnessException($"the CSI provider did not listen within {Timeout.TotalSeconds:0} s:\n{provider.Output}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>A Mount as driver v1.6 sends it for one pod: the kubelet's attributes, one projected token, mode 0644.</summary>
    private static MountRequest Request((string Jwt, DateTimeOffset ExpiresAt) token, int pod)
    {
        var uid = $"5a3c0000-0000-4000-8000-{pod:000000000000}";
        var tokens = new Dictionary<string, Dictionary<string, string>>
        {
            ["scaivault"] = new()
            {
                ["token"] = token.Jwt,
                ["expirationTimestamp"] = token.ExpiresAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            },
        };
        var attributes = new Dictionary<string, string>
        {
            ["csi.storage.k8s.io/ephemeral"] = "true",
            ["csi.storage.k8s.io/pod.name"] = $"reporting-{pod}",
            ["csi.storage.k8s.io/pod.namespace"] = Namespace,
            ["csi.storage.k8s.io/pod.uid"] = uid,
            ["csi.storage.k8s.io/serviceAccount.name"] = ServiceAccount,
            ["csi.storage.k8s.io/serviceAccount.tokens"] = JsonSerializer.Serialize(tokens),
            ["objects"] = Objects,
            ["secretProviderClass"] = "reporting-secrets",
        };
        return new MountRequest
        {
            Attributes = JsonSerializer.Serialize(attributes),
            Secrets = "null",
            Permission = "420",
            TargetPath = $"/var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~csi/secrets/mount",
        };
    }

    /// <summary>Dials the provider as the driver does: <c>unix:</c> socket, authority <c>localhost</c>, 4 MiB receive limit.</summary>
    private sealed class Driver : IDisposable
    {
        private readonly GrpcChannel _channel;
        private readonly CSIDriverProvider.CSIDriverProviderClient _client;

        public Driver(string socket)
        {
            _channel = UnixSocketChannel.Create(socket, options => options.MaxReceiveMessageSize = 4 * 1024 * 1024);
            _client = new CSIDriverProvider.CSIDriverProviderClient(_channel);
        }

        /// <summary>One Mount, bounded as the kubelet bounds it; returns its milliseconds.</summary>
        public async Task<double> MountAsync(MountRequest request)
        {
            var start = Stopwatch.GetTimestamp();
            var response = await _client.MountAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(2)));
            var end = Stopwatch.GetTimestamp();
            if (response.Files.Count != ObjectsPerMount || response.Error is { Code.Length: > 0 })
            {
                throw new HarnessException($"a Mount answered {response.Files.Count} file(s), error '{response.Error?.Code}'");
            }

            return Measurements.Ms(start, end);
        }

        public void Dispose() => _channel.Dispose();
    }

    /// <summary>The baseline: what a Mount must do at least, by the same client library, with nothing around it.</summary>
    private sealed class BareRead : IDisposable
    {
        private readonly ScaiVaultClientOptions _options;
        private readonly HttpClient _http;
        private readonly ScaiVaultSecretReader _reader;
        private readonly string _jwt;

        public BareRead(Uri scaiVault, string jwt)
        {
            _options = new ScaiVaultClientOptions { BaseUrl = scaiVault, UrlSetting = "--scaivault-url", CaFileSetting = "--ca-file" };
            _http = ScaiVaultHttpClient.Create(_options);
            _reader = new ScaiVaultSecretReader(_http, _options, TimeProvider.System);
            _jwt = jwt;
        }

        /// <summary>A new pod's exchange (a fresh token cache) and one read, both fields rendered; returns its milliseconds.</summary>
        public async Task<double> ReadAsync()
        {
            var start = Stopwatch.GetTimestamp();
            using var exchange = new WorkloadTokenExchange(_http, _options, _ => ValueTask.FromResult(_jwt), TimeProvider.System, NullLogger<WorkloadTokenExchange>.Instance);
            var deadline = start + (long)(Timeout.TotalSeconds * Stopwatch.Frequency);
            var secret = await _reader.ReadAsync(exchange, SecretPath, version: null, deadline, CancellationToken.None);
            _ = secret.Render("password", "object 'db-password'");
            _ = secret.Render("username", "object 'db-username'");
            return Measurements.Ms(start, Stopwatch.GetTimestamp());
        }

        public void Dispose() => _http.Dispose();
    }
}
