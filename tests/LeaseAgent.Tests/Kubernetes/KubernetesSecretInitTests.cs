using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using LeaseAgent.Tests.Integration;
using LeaseAgent.Tests.ScaiVault;

namespace LeaseAgent.Tests.Kubernetes;

/// <summary>
/// The published AOT agent running <c>init</c> with <c>secret:</c> targets, against the emulator over real Postgres
/// and <see cref="KubernetesApiTestDouble"/> (over TLS, trusted through the service-account <c>ca.crt</c>). Every
/// scenario's agent log is scanned for the ScaiVault token, the Kubernetes token and the secret values.
/// </summary>
public sealed class KubernetesSecretInitTests
{
    private const string Namespace = "reporting";
    private const string ApiKey = "k-1234567890abcdef";
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private static readonly X509Certificate2 Ca = TestCertificates.CreateCa("test cluster CA");

    private sealed class Setup : IAsyncDisposable
    {
        public required AgentScenario Scenario { get; init; }

        public required KubernetesApiTestDouble Api { get; init; }

        public async ValueTask DisposeAsync()
        {
            await Scenario.DisposeAsync();
            await Api.DisposeAsync();
        }
    }

    /// <summary>An agent configured as in the pre-deploy Job sample: SECRETS only, no lease.</summary>
    private static async Task<Setup> StartAsync(X509Certificate2? serverCertificate = null, string? agentToken = null, params string[] mappings)
    {
        var scenario = await AgentScenario.StartAsync();
        await scenario.Emulator.PutSecretAsync("apps/reporting/config", new { api_key = ApiKey, endpoint = "https://reports.example", retries = 3 });
        AgentScenario.AllSecrets[ApiKey] = true;
        var token = "k8s-sa-token-" + Guid.NewGuid().ToString("N");
        AgentScenario.AllSecrets[token] = true;
        var api = KubernetesApiTestDouble.Start(Namespace, token, serverCertificate ?? TestCertificates.CreateServer(Ca));
        foreach (var key in new[] { "LEASE_ENGINE", "LEASE_ROLE", "DB_HOST", "DB_PORT", "DB_NAME", "DB_SSLMODE", "DB_REQUIRE_AUTH", "OUTPUT_FILE" })
        {
            scenario.Environment.Remove(key);
        }

        scenario.Environment["SECRETS"] = string.Join('\n', mappings.Select(m => m.Replace("{dir}", scenario.Directory, StringComparison.Ordinal)));
        scenario.Environment["INIT_TIMEOUT"] = "10s";
        scenario.Environment["KUBERNETES_SERVICE_HOST"] = "127.0.0.1";
        scenario.Environment["KUBERNETES_SERVICE_PORT"] = api.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        scenario.Environment["KUBERNETES_SERVICE_ACCOUNT_DIR"] = KubernetesApiTestDouble.WriteServiceAccountDirectory(scenario.Directory, agentToken ?? token, Namespace, Ca);
        return new Setup { Scenario = scenario, Api = api };
    }

    private static async Task<(int ExitCode, string Output)> InitAsync(Setup setup, string command = "init")
    {
        var (agent, _) = await setup.Scenario.StartAgentAsync(command);
        var exitCode = await agent.WaitForExitAsync(Generous);
        return (exitCode, agent.Output);
    }

    [Fact]
    public async Task Init_CreatesTheSecret_OneKeyPerField_ByteEqualToTheFiles_LabelledAndAnnotatedWithoutValues_AndLeavesItAloneWhenUnchanged()
    {
        await using var setup = await StartAsync(null, null,
            "apps/reporting/config -> secret:reporting-config",
            "apps/reporting/config#api_key -> secret:reporting-api/api-key",
            "apps/reporting/config -> secret:reporting-api/config.json",
            "apps/reporting/config#api_key -> {dir}/api-key",
            "apps/reporting/config#retries -> {dir}/retries",
            "apps/reporting/config -> {dir}/config.json");

        var (exitCode, output) = await InitAsync(setup);

        Assert.True(exitCode == 0, output);
        var dir = setup.Scenario.Directory;
        var config = setup.Api.Get("reporting-config")!;
        Assert.Equal(["api_key", "endpoint", "retries"], config["data"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dir, "api-key")), setup.Api.Value("reporting-config", "api_key"));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dir, "retries")), setup.Api.Value("reporting-config", "retries"));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dir, "api-key")), setup.Api.Value("reporting-api", "api-key"));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dir, "config.json")), setup.Api.Value("reporting-api", "config.json"));
        Assert.Equal("lease-agent", config["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>());
        var managed = config["metadata"]!["annotations"]!["lease-agent.scailabs.ai/managed-keys"]!.GetValue<string>();
        Assert.Contains("apps/reporting/config#api_key", managed, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, managed, StringComparison.Ordinal);
        Assert.Equal(["get reporting-config 404", "create reporting-config 201", "get reporting-api 404", "create reporting-api 201"], setup.Api.Calls);

        // Again, nothing changed in ScaiVault: read, compared, not written (no new resourceVersion).
        var (again, againOutput) = await InitAsync(setup);

        Assert.True(again == 0, againOutput);
        Assert.Equal(["get reporting-config 200", "get reporting-api 200"], setup.Api.Calls.Skip(4));
        Assert.Contains("already holds these keys and values; not written", againOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_UpdatesAnExistingSecret_KeepingOtherKeysAndTheirManager_AfterA503()
    {
        await using var setup = await StartAsync(null, null, "apps/reporting/config#api_key -> secret:reporting-config/api-key");
        setup.Api.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["type"] = "Opaque",
            ["metadata"] = new JsonObject
            {
                ["name"] = "reporting-config",
                ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "Helm" },
                ["ownerReferences"] = new JsonArray(new JsonObject { ["kind"] = "ConfigMap", ["name"] = "owner", ["uid"] = "u-1", ["apiVersion"] = "v1" }),
            },
            ["data"] = new JsonObject { ["owned-by-helm"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("keep me")), ["api-key"] = Convert.ToBase64String("old"u8.ToArray()) },
        });
        setup.Api.FailNext(1);

        var (exitCode, output) = await InitAsync(setup);

        Assert.True(exitCode == 0, output);
        var secret = setup.Api.Get("reporting-config")!;
        Assert.Equal("keep me", Encoding.UTF8.GetString(setup.Api.Value("reporting-config", "owned-by-helm")));
        Assert.Equal(ApiKey, Encoding.UTF8.GetString(setup.Api.Value("reporting-config", "api-key")));
        Assert.Equal("Helm", secret["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>()); // not taken over
        Assert.Equal("owner", secret["metadata"]!["ownerReferences"]![0]!["name"]!.GetValue<string>()); // fields it does not model survive the PUT
        Assert.Equal(["get reporting-config 503", "get reporting-config 200", "update reporting-config 200"], setup.Api.Calls);
        Assert.Contains("kept its 1 other key(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_WhenAnotherWriterChangesTheSecretBetweenGetAndPut_GetsConflict_RereadsAndKeepsBothWrites()
    {
        await using var setup = await StartAsync(null, null, "apps/reporting/config -> secret:reporting-config");
        setup.Api.Seed(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "reporting-config" }, ["data"] = new JsonObject() });
        setup.Api.BeforeNextUpdate(secret => secret["data"]!["written-meanwhile"] = Convert.ToBase64String("other"u8.ToArray()));

        var (exitCode, output) = await InitAsync(setup);

        Assert.True(exitCode == 0, output);
        Assert.Equal("other", Encoding.UTF8.GetString(setup.Api.Value("reporting-config", "written-meanwhile")));
        Assert.Equal(ApiKey, Encoding.UTF8.GetString(setup.Api.Value("reporting-config", "api_key")));
        Assert.Equal(["get reporting-config 200", "update reporting-config 409", "get reporting-config 200", "update reporting-config 200"], setup.Api.Calls);
        Assert.Contains("failed (409); reading it again", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_WhenRbacForbidsUpdate_ExitsOne_NamingVerbResourceNamespaceAndTheRoleRule_WithoutRetryOrFiles()
    {
        await using var setup = await StartAsync(null, null, "apps/reporting/config -> secret:reporting-config", "apps/reporting/config -> {dir}/config.json");
        setup.Api.Seed(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "reporting-config" } });
        setup.Api.Forbid("update");

        var (exitCode, output) = await InitAsync(setup);

        Assert.True(exitCode == 1, output);
        Assert.Contains("update Secret reporting/reporting-config failed: 403 Forbidden", output, StringComparison.Ordinal);
        Assert.Contains("resources: [secrets], resourceNames: [reporting-config], verbs: [get, update]", output, StringComparison.Ordinal);
        Assert.Equal(["get reporting-config 200", "update reporting-config 403"], setup.Api.Calls);
        Assert.False(File.Exists(Path.Combine(setup.Scenario.Directory, "config.json")), "a file was written although a Secret was refused");
    }

    [Fact]
    public async Task Init_WithATokenTheApiServerRejects_ExitsOne_Saying401()
    {
        await using var setup = await StartAsync(null, "not-the-token", "apps/reporting/config -> secret:reporting-config");

        var (exitCode, output) = await InitAsync(setup);

        Assert.True(exitCode == 1, output);
        Assert.Contains("401 Unauthorized", output, StringComparison.Ordinal);
        Assert.Equal(["get reporting-config 401"], setup.Api.Calls);
    }

    [Fact]
    public async Task Init_WhenTheApiServerCertificateIsNotSignedByCaCrt_SendsNoRequest_AndFails()
    {
        var otherCa = TestCertificates.CreateCa("some other CA");
        await using var setup = await StartAsync(TestCertificates.CreateServer(otherCa), null, "apps/reporting/config -> secret:reporting-config");

        var (exitCode, output) = await InitAsync(setup);

        Assert.True(exitCode == 1, output);
        Assert.Contains("must chain to ca.crt", output, StringComparison.Ordinal);
        Assert.DoesNotContain("retrying", output, StringComparison.Ordinal); // an untrusted certificate does not become trusted
        Assert.Empty(setup.Api.Calls); // the token never crossed
        Assert.True(setup.Api.AbortedConnections > 0);
    }

    [Fact]
    public async Task Init_WhenAFieldCannotBeASecretKey_ExitsTwo_NamingPathAndField_NotTheValue()
    {
        await using var setup = await StartAsync(null, null, "apps/reporting/odd -> secret:reporting-config");
        await setup.Scenario.Emulator.PutSecretAsync("apps/reporting/odd", new Dictionary<string, string> { ["good"] = "v-good-0123456789", ["a/b"] = "v-secret-0123456789" });
        AgentScenario.AllSecrets["v-secret-0123456789"] = true;
        AgentScenario.AllSecrets["v-good-0123456789"] = true;

        var (exitCode, output) = await InitAsync(setup);

        Assert.True(exitCode == 2, output);
        Assert.Contains("secret apps/reporting/odd has field 'a/b', which cannot be a Secret key", output, StringComparison.Ordinal);
        Assert.Empty(setup.Api.Calls);
    }

    [Fact]
    public async Task Run_WithASecretTarget_ExitsTwo_SayingOnlyInitWritesSecrets()
    {
        await using var setup = await StartAsync(null, null, "apps/reporting/config -> secret:reporting-config");

        var (exitCode, output) = await InitAsync(setup, "run");

        Assert.True(exitCode == 2, output);
        Assert.Contains("which only lease-agent init does", output, StringComparison.Ordinal);
        Assert.Empty(setup.Api.Calls);
    }
}
