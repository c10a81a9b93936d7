using LeaseAgent.Testing;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using ScaiVault.Client;
using ScaiVault.CsiProvider.Tests.Infrastructure;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Tests.Mounting;

/// <summary>
/// Mount served for real (brief §7.2, §8): the provider in process, called over its Unix socket as the driver calls
/// it, reading from a real emulator over the test Postgres.
/// </summary>
public sealed partial class SecretMounterTests : IAsyncLifetime
{
    private const string DatabasePath = "apps/billing/database";
    private const string Password = "sentinel-password-Zq81";
    private static readonly byte[] Certificate = [0x30, 0x82, 0x00, 0xff, 0x10, 0x0a];

    private ScaiVaultEmulator _emulator = null!;
    private InProcessProvider _provider = null!;
    private (string Jwt, DateTimeOffset ExpiresAt) _token;

    public async Task InitializeAsync()
    {
        _emulator = await new ScaiVaultEmulatorBuilder().WithDevEndpoints().WithAccessLog().StartAsync();
        _provider = await InProcessProvider.StartAsync(_emulator.BaseAddress);
        _token = await _emulator.MintAsync();
        await _emulator.PutSecretAsync(DatabasePath, new Dictionary<string, object>
        {
            ["username"] = "billing",
            ["password"] = Password,
            ["port"] = 5432,
            ["certificate"] = Convert.ToBase64String(Certificate),
            ["certificate_hex"] = Convert.ToHexString(Certificate),
        });
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task Mount_WholeStringNumberAndBase64Objects_ReturnsTheFilesLeaseAgentInitWrites()
    {
        var response = await _provider.Driver.MountAsync(MountRequests.ForPod(_token, $"""
            - objectName: db.json
              path: {DatabasePath}
            - objectName: db-password
              path: {DatabasePath}
              field: password
              mode: "0640"
            - objectName: port
              path: {DatabasePath}
              field: port
            - objectName: tls/cert.der
              path: {DatabasePath}
              field: certificate
              encoding: base64
            """));

        var data = (await _emulator.ReadSecretAsync(DatabasePath))["data"]!.ToJsonString();
        var agent = new SecretValue(DatabasePath, 1, Encoding.UTF8.GetBytes(data)); // what lease-agent init renders
        Assert.Equal(["db.json", "db-password", "port", "tls/cert.der"], response.Files.Select(f => f.Path));
        Assert.Equal(agent.Render(null), response.Files[0].Contents.ToByteArray());
        Assert.Equal(Password, response.Files[1].Contents.ToStringUtf8());
        Assert.Equal(agent.Render("password"), response.Files[1].Contents.ToByteArray());
        Assert.Equal("5432", response.Files[2].Contents.ToStringUtf8());
        Assert.Equal(Certificate, response.Files[3].Contents.ToByteArray());
        Assert.Equal([420, 416, 420, 420], response.Files.Select(f => f.Mode));
        Assert.Equal(response.Files.Select(f => f.Path), response.ObjectVersion.Select(v => v.Id));
        Assert.All(response.ObjectVersion, v => Assert.Matches(VersionFormat(), v.Version));
        Assert.All(response.ObjectVersion, v => Assert.StartsWith("1-", v.Version, StringComparison.Ordinal));
        Assert.Equal(4, response.ObjectVersion.Select(v => v.Version).Distinct().Count()); // each object's own config
        Assert.True(string.IsNullOrEmpty(response.Error?.Code));
        Assert.Equal(1, _emulator.Count("GET", "/v1/secrets/" + DatabasePath));
        Assert.Equal(1, _emulator.Exchanges);
    }


    [Fact]
    public async Task Mount_ObjectsOnDistinctPathsAndVersions_ReadsEachOnce()
    {
        await _emulator.PutSecretAsync(DatabasePath, new { password = "v2-password", username = "billing" }); // version 2
        await _emulator.PutSecretAsync("apps/billing/api", new { key = "k" });

        var response = await _provider.Driver.MountAsync(MountRequests.ForPod(_token, Objects(
            ("db.json", DatabasePath, null),
            ("password", DatabasePath, "field: password"),
            ("user", DatabasePath, "field: username"),
            ("old-password", DatabasePath, "version: \"1\"\n  field: password"),
            ("old.json", DatabasePath, "version: \"1\""),
            ("api-key", "apps/billing/api", "field: key"))));

        Assert.Equal(6, response.Files.Count);
        Assert.Equal(2, _emulator.Count("GET", "/v1/secrets/" + DatabasePath)); // latest and version 1
        Assert.Equal(1, _emulator.Count("GET", "/v1/secrets/apps/billing/api"));
        Assert.Equal(["v2-password", Password], new[] { response.Files[1], response.Files[3] }.Select(f => f.Contents.ToStringUtf8()));
        Assert.Equal(["2", "2", "2", "1", "1", "1"], response.ObjectVersion.Select(v => v.Version.Split('-')[0]));
        Assert.Equal(1, _provider.Log.Count(1200));
        Assert.Contains(_provider.Log.Lines, l => l.EventId == 1200 && l.Text.Contains("with 3 ScaiVault read(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mount_WithOrWithoutCurrentObjectVersion_AnswersTheSame()
    {
        var request = MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password")));
        var first = await _provider.Driver.MountAsync(request);

        var v15 = request.Clone(); // driver <= v1.5 sent the versions of the last mount
        v15.CurrentObjectVersion.Add(first.ObjectVersion);
        v15.CurrentObjectVersion.Add(new ObjectVersion { Id = "gone", Version = "7-00000000" });
        var second = await _provider.Driver.MountAsync(v15);

        Assert.Equal(first, second);
        Assert.Equal(2, _emulator.Count("GET", "/v1/secrets/" + DatabasePath));
    }

    [Fact]
    public async Task Versions_ChangeWithTheSecretVersionOrTheObjectsConfigOnly_AndHoldNoHashOfTheContent()
    {
        await _emulator.PutSecretAsync("apps/other", new { value = "other" });
        string Spc(string passwordMode) => Objects(
            ("db-password", DatabasePath, $"field: password\n  mode: \"{passwordMode}\""),
            ("pinned", DatabasePath, "version: \"1\"\n  field: password"),
            ("other", "apps/other", "field: value"));

        var first = await _provider.Driver.MountAsync(MountRequests.ForPod(_token, Spc("0640")));
        var again = await _provider.Driver.MountAsync(MountRequests.ForPod(_token, Spc("0640")));
        await _emulator.PutSecretAsync(DatabasePath, new { password = "rotated" });
        var rotated = await _provider.Driver.MountAsync(MountRequests.ForPod(_token, Spc("0640")));
        var remoded = await _provider.Driver.MountAsync(MountRequests.ForPod(_token, Spc("0600")));

        string[] Versions(MountResponse r) => [.. r.ObjectVersion.Select(v => v.Version)];
        Assert.Equal(Versions(first), Versions(again));
        Assert.Equal(first.Files, again.Files);
        Assert.NotEqual(Versions(first)[0], Versions(rotated)[0]);          // new ScaiVault version
        Assert.Equal(Versions(first)[1..], Versions(rotated)[1..]);          // pinned and other path: unchanged
        Assert.Equal("rotated", rotated.Files[0].Contents.ToStringUtf8());
        Assert.Equal(Versions(rotated)[0].Split('-')[0], Versions(remoded)[0].Split('-')[0]);
        Assert.NotEqual(Versions(rotated)[0], Versions(remoded)[0]);        // config (mode) changed
        Assert.Equal(Versions(rotated)[1..], Versions(remoded)[1..]);
        foreach (var response in new[] { first, rotated, remoded })
        {
            foreach (var (file, version) in response.Files.Zip(response.ObjectVersion))
            {
                var content = file.Contents.ToByteArray();
#pragma warning disable CA5350 // SHA-1 only to prove the version is not a (weak) content hash either
                foreach (var hash in new[] { SHA256.HashData(content), SHA1.HashData(content) })
#pragma warning restore CA5350
                {
                    Assert.DoesNotContain(Convert.ToHexStringLower(hash)[..8], version.Version, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public async Task Mount_AudienceOther_ExchangesTheTokenForThatAudience()
    {
        var request = MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password")), edit: attributes =>
        {
            attributes["audience"] = "other";
            attributes["csi.storage.k8s.io/serviceAccount.tokens"] = MountRequests.Tokens(_token.ExpiresAt, ("scaivault", "not-a-jwt"), ("other", _token.Jwt));
        });

        var response = await _provider.Driver.MountAsync(request);

        Assert.Equal(Password, Assert.Single(response.Files).Contents.ToStringUtf8());
        Assert.Equal(1, _emulator.Exchanges);
    }

    [Fact]
    public async Task Mount_SamePodThreeTimes_ExchangesOnce_AndEveryPodOnce()
    {
        var objects = Objects(("db-password", DatabasePath, "field: password"));

        for (var i = 0; i < 3; i++)
        {
            await _provider.Driver.MountAsync(MountRequests.ForPod(_token, objects, podUid: "pod-a"));
        }

        Assert.Equal(1, _emulator.Exchanges);
        foreach (var pod in new[] { "pod-b", "pod-c", "pod-b", "pod-c" })
        {
            await _provider.Driver.MountAsync(MountRequests.ForPod(_token, objects, podUid: pod, podName: pod));
        }

        Assert.Equal(3, _emulator.Exchanges);
        Assert.Equal(7, _emulator.Count("GET", "/v1/secrets/" + DatabasePath));
    }

    [Fact]
    public async Task Mount_WhenScaiVaultSaysTokenExpired_ExchangesExactlyOnceMore_ThenSucceeds()
    {
        var objects = Objects(("db-password", DatabasePath, "field: password"));
        await _provider.Driver.MountAsync(MountRequests.ForPod(_token, objects));
        await _emulator.SetFaultAsync(new { route = "secrets", status = 401, code = "token_expired", count = 1 });

        var response = await _provider.Driver.MountAsync(MountRequests.ForPod(_token, objects));

        Assert.Equal(Password, Assert.Single(response.Files).Contents.ToStringUtf8());
        Assert.Equal(2, _emulator.Exchanges);
        Assert.Equal(3, _emulator.Count("GET", "/v1/secrets/" + DatabasePath));
    }

    [Fact]
    public async Task Mount_AfterThePodJwtsExpirationTimestamp_ExchangesAgain()
    {
        var objects = Objects(("db-password", DatabasePath, "field: password"));

        // The kubelet says the JWT has expired (the JWT itself is still valid for the emulator): the ScaiVault
        // token exchanged from it must not outlive it, so each Mount exchanges again.
        var expired = (_token.Jwt, DateTimeOffset.UtcNow.AddSeconds(-1));
        await _provider.Driver.MountAsync(MountRequests.ForPod(expired, objects));
        await _provider.Driver.MountAsync(MountRequests.ForPod(expired, objects));

        Assert.Equal(2, _emulator.Exchanges);
    }

    [Fact]
    public async Task Mount_FiftyPodsAtOnceAgainstASlowScaiVault_AllSucceed_WithinTheConcurrencyLimit()
    {
        const int pods = 50;
        await using var provider = await InProcessProvider.StartAsync(_emulator.BaseAddress, o => o with { MaxConcurrency = 4 });
        await _emulator.SetFaultAsync(new { route = "*", latency_ms = 200 });
        var objects = Objects(("db-password", DatabasePath, "field: password"));

        var responses = await Task.WhenAll(Enumerable.Range(0, pods).Select(i =>
            provider.Driver.MountAsync(MountRequests.ForPod(_token, objects, podUid: $"pod-{i}", podName: $"reporting-{i}"))));

        Assert.All(responses, r => Assert.Equal(Password, Assert.Single(r.Files).Contents.ToStringUtf8()));
        Assert.InRange(provider.Wire.MaxInFlight, 1, 4);
        Assert.Equal(2 * pods, provider.Wire.Total); // one exchange and one read per pod
        Assert.InRange(_emulator.Count("GET", "/v1/secrets/" + DatabasePath), 1, pods);
    }

    [Fact]
    public async Task Mount_ConcurrentIdenticalReadsOfOnePod_ShareOneScaiVaultCall()
    {
        await _emulator.SetFaultAsync(new { route = "secrets", latency_ms = 500 });
        var objects = Objects(("db-password", DatabasePath, "field: password"));

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _provider.Driver.MountAsync(MountRequests.ForPod(_token, objects))));

        Assert.All(responses, r => Assert.Equal(Password, Assert.Single(r.Files).Contents.ToStringUtf8()));
        Assert.Equal(1, _emulator.Count("GET", "/v1/secrets/" + DatabasePath));
        Assert.Equal(1, _emulator.Exchanges);
    }

    [Theory]
    [InlineData("http://localhost:{port}")]   // the same emulator, spelt differently: it would answer
    [InlineData("https://evil.example")]
    public async Task Mount_ScaiVaultUrlNotAllowed_IsInvalidArgument_WithoutAnyOutboundRequest(string url)
    {
        // scaivaultUrl in the SecretProviderClass and in the pod's volumeAttributes arrive as the same attribute.
        var request = MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password")), edit: attributes =>
            attributes["scaivaultUrl"] = url.Replace("{port}", _emulator.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var e = await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.MountAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("--allowed-url", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _provider.Wire.Total);
        Assert.Equal(0, _emulator.WorkloadRequests);
    }

    [Fact]
    public async Task Mount_ScaiVaultUrlOnTheAllowList_ReadsFromThatServer()
    {
        var allowed = new Uri($"http://localhost:{_emulator.BaseAddress.Port}/");
        await using var provider = await InProcessProvider.StartAsync(new Uri("http://127.0.0.1:1"), o => o with { AllowedUrls = [allowed] });
        var request = MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password")), edit: attributes => attributes["scaivaultUrl"] = allowed.ToString());

        var response = await provider.Driver.MountAsync(request);

        Assert.Equal(Password, Assert.Single(response.Files).Contents.ToStringUtf8());
    }

    [Fact]
    public async Task Mount_WhenScaiVaultIsUnavailable_IsUnavailable()
    {
        await _emulator.SetFaultAsync(new { route = "secrets", status = 503 });

        var e = await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.MountAsync(MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password")))));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains($"objects[0] (db-password) at ScaiVault path {DatabasePath}", e.Status.Detail, StringComparison.Ordinal);
        Assert.Matches("error service_unavailable, request id req_[0-9a-f]+", e.Status.Detail);
    }

    [Fact]
    public async Task Mount_RateLimitedBeyondTheDeadline_IsResourceExhausted_Fast()
    {
        await _emulator.SetFaultAsync(new { route = "secrets", status = 429, retry_after = 120 });
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.Client.MountAsync(
            MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password"))),
            deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("retry after 120 s", e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("received message larger than max", e.Status.Detail, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        Assert.Equal(1, _emulator.Count("GET", "/v1/secrets/" + DatabasePath));
    }

    [Fact]
    public async Task Mount_RateLimitedWithinTheDeadline_WaitsAndSucceeds()
    {
        await _emulator.SetFaultAsync(new { route = "secrets", status = 429, retry_after = 3, count = 1 });

        var response = await _provider.Driver.MountAsync(MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password"))));

        Assert.Equal(Password, Assert.Single(response.Files).Contents.ToStringUtf8());
        Assert.Equal(2, _emulator.Count("GET", "/v1/secrets/" + DatabasePath));
    }

    [Fact]
    public async Task Mount_SecretNotFound_IsNotFoundNamingThePath()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.MountAsync(MountRequests.ForPod(_token, Objects(("gone", "apps/nowhere", null)))));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("objects[0] (gone) at ScaiVault path apps/nowhere", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("request id req_", e.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401, "token_invalid", StatusCode.Unauthenticated)]
    [InlineData(403, "access_denied", StatusCode.PermissionDenied)]
    [InlineData(500, "internal_error", StatusCode.Unavailable)]
    public async Task Mount_ScaiVaultRefuses_MapsToTheDocumentedStatus(int status, string code, StatusCode expected)
    {
        await _emulator.SetFaultAsync(new { route = "secrets", status, code });

        var e = await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.Client.MountAsync(
            MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password"))),
            deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

        Assert.Equal(expected, e.StatusCode);
        Assert.Contains($"error {code}", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mount_SlowerThanTheCallsDeadline_EndsByTheDeadline()
    {
        await _emulator.SetFaultAsync(new { route = "secrets", latency_ms = 30_000 });
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.Client.MountAsync(
            MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password"))),
            deadline: DateTime.UtcNow.AddSeconds(3)).ResponseAsync);

        Assert.Contains(e.StatusCode, new[] { StatusCode.DeadlineExceeded, StatusCode.Unavailable });
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task Mount_RequestTimeoutShorterThanTheDeadline_IsUnavailableNamingTheBudget()
    {
        await using var provider = await InProcessProvider.StartAsync(_emulator.BaseAddress, o => o with { RequestTimeout = TimeSpan.FromSeconds(2) });
        await _emulator.SetFaultAsync(new { route = "secrets", latency_ms = 30_000 });
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<RpcException>(() => provider.Driver.Client.MountAsync(
            MountRequests.ForPod(_token, Objects(("db-password", DatabasePath, "field: password"))),
            deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("did not answer within this Mount's budget of 2 s", e.Status.Detail, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15)); // 2 s, plus the driver's retries of UNAVAILABLE
    }

    [Theory]
    [InlineData("field: nope", StatusCode.NotFound, "objects[1] (bad): the secret at ScaiVault path apps/billing/database on ")]
    [InlineData("field: port\n  encoding: base64", StatusCode.FailedPrecondition, "objects[1] (bad): field 'port' of ScaiVault path apps/billing/database is not a JSON string")]
    [InlineData("field: password\n  encoding: hex", StatusCode.FailedPrecondition, "objects[1] (bad): field 'password' of ScaiVault path apps/billing/database is not valid hex")]
    [InlineData("field: username\n  encoding: base64", StatusCode.FailedPrecondition, "objects[1] (bad): field 'username' of ScaiVault path apps/billing/database is not valid base64")]
    public async Task Mount_OneBadObjectAmongGoodOnes_FailsWholly_NamingItButNoValue(string bad, StatusCode expected, string message)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.MountAsync(MountRequests.ForPod(_token, Objects(
            ("good", DatabasePath, "field: password"),
            ("bad", DatabasePath, bad),
            ("good-hex", DatabasePath, "field: certificate_hex\n  encoding: hex")))));

        Assert.Equal(expected, e.StatusCode);
        Assert.StartsWith(message, e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("billing\"", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mount_PayloadAboveOneMebibyte_WarnsAndSucceeds_AboveTheLimit_IsFailedPrecondition()
    {
        await _emulator.PutSecretAsync("apps/big", new { a = new string('x', 600 * 1024) }); // the emulator takes at most 1 MiB per write
        await using var provider = await InProcessProvider.StartAsync(_emulator.BaseAddress, o => o with { MaxResponseBytes = 2 * 1024 * 1024 });
        string Copies(int n) => Objects([.. Enumerable.Range(0, n).Select(i => ($"copy-{i}", "apps/big", (string?)"field: a"))]);

        var response = await provider.Driver.MountAsync(MountRequests.ForPod(_token, Copies(2)));
        var e = await Assert.ThrowsAsync<RpcException>(() => provider.Driver.MountAsync(MountRequests.ForPod(_token, Copies(4))));

        Assert.Equal(2, response.Files.Count);
        Assert.Single(provider.Log.Lines, l => l.EventId == 1202);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Equal("mount payload 2.34 MiB exceeds 2 MiB; raise the driver's --max-call-recv-msg-size and --max-response-bytes together", e.Status.Detail);
        Assert.DoesNotContain("received message larger than max", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_OfServedAndFailedMounts_HoldNoTokenNoSecretValueAndNoAttributes()
    {
        const string attributeSentinel = "sentinel-attribute-Kx2";
        var objects = Objects(("db-password", DatabasePath, "field: password"), ("cert", DatabasePath, "field: certificate\n  encoding: base64"));
        var secrets = $"{{\"password\":\"{MountRequests.SecretSentinel}\"}}";
        var served = MountRequests.ForPod(_token, objects, edit: a => a["secretProviderClass"] = attributeSentinel);
        served.Secrets = secrets;
        await _provider.Driver.MountAsync(served);
        await _provider.Driver.MountAsync(MountRequests.ForPod(_token, objects, podUid: "pod-2"));
        await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.MountAsync(MountRequests.ForPod(_token, Objects(("x", DatabasePath, "field: password\n  encoding: base64")))));
        await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.MountAsync(MountRequests.ForPod(_token, Objects(("x", DatabasePath, "field: missing")))));
        await _emulator.SetFaultAsync(new { route = "secrets", status = 401, code = "token_invalid" });
        await Assert.ThrowsAsync<RpcException>(() => _provider.Driver.MountAsync(MountRequests.ForPod(_token, objects, podUid: "pod-3")));

        var log = string.Join('\n', _provider.Log.Lines.Select(l => l.Text));
        Assert.Contains("Mounted 2 object(s) for pod reporting/reporting-7d9f-abcde", log, StringComparison.Ordinal); // the scan sees the log
        Assert.Equal(3, _provider.Log.Count(1201));
        var jwtParts = _token.Jwt.Split('.');
        string[] forbidden = [_token.Jwt, jwtParts[1], jwtParts[2], Password, Convert.ToBase64String(Certificate), MountRequests.SecretSentinel, attributeSentinel, "svt_", "Bearer"];
        foreach (var sentinel in forbidden)
        {
            Assert.DoesNotContain(sentinel, log, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex("^[0-9]+-[0-9a-f]{8}$")]
    private static partial Regex VersionFormat();

    private static string Objects(params (string Name, string Path, string? Extra)[] objects) =>
        string.Concat(objects.Select(o => $"- objectName: {o.Name}\n  path: {o.Path}\n" + (o.Extra is null ? "" : $"  {o.Extra}\n")));
}
