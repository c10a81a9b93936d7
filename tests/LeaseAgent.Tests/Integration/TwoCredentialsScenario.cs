using System.Globalization;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// One agent keeping two credentials (<c>CREDENTIALS</c>) against one emulator with two engines on two databases: the
/// reporting engine's role and the billing engine's role, each published to its own file.
/// </summary>
public sealed class TwoCredentialsScenario : IAsyncDisposable
{
    private readonly DirectoryInfo _directory;
    private readonly List<AgentProcess> _agents = [];

    private TwoCredentialsScenario(ScaiVaultEmulator emulator, DirectoryInfo directory, Dictionary<string, string> environment, BillingFault fault)
    {
        Emulator = emulator;
        _directory = directory;
        Environment = environment;
        Fault = fault;
    }

    public ScaiVaultEmulator Emulator { get; }

    public EmulatorRole Reporting => Emulator.Roles.Single(r => r.Engine.Name == "reporting-db");

    public EmulatorRole Billing => Emulator.Roles.Single(r => r.Engine.Name == "billing-db");

    public string ReportingFile => Path.Combine(_directory.FullName, "reporting", "db.json");

    public string BillingFile => Path.Combine(_directory.FullName, "billing", "db.json");

    /// <summary>Beside the first line's file: the default with <c>CREDENTIALS</c>.</summary>
    public string StateDirectory => Path.Combine(_directory.FullName, "reporting", ".lease-agent");

    public Dictionary<string, string> Environment { get; }

    /// <summary>Refuses the billing engine's generates with 503 while on (a fault on that role only).</summary>
    public BillingFault Fault { get; }

    /// <param name="billingMaxTtl">The billing role's max TTL; a short one makes it rotate on its own schedule.</param>
    public static async Task<TwoCredentialsScenario> StartAsync(string ttl = "30s", string maxTtl = "120s", string? billingTtl = null, string? billingMaxTtl = null)
    {
        var fault = new BillingFault();
        var emulator = await new ScaiVaultEmulatorBuilder()
            .WithDevEndpoints()
            .WithSweepInterval("500ms")
            .WithEngine("reporting-db", engine => engine.WithRole(ttl, maxTtl))
            .WithEngine("billing-db", engine => engine.WithRole(billingTtl ?? ttl, billingMaxTtl ?? maxTtl))
            .WithMiddleware(app => app.Use(fault.InvokeAsync))
            .StartAsync();
        var directory = Directory.CreateTempSubdirectory("lease-agent-two-");
        var scenario = new TwoCredentialsScenario(emulator, directory, [], fault);
        Directory.CreateDirectory(Path.GetDirectoryName(scenario.ReportingFile)!);
        Directory.CreateDirectory(Path.GetDirectoryName(scenario.BillingFile)!);

        var tokenFile = await emulator.WriteTokenFileAsync(Path.Combine(directory.FullName, "token"));
        AgentScenario.AllSecrets[await File.ReadAllTextAsync(tokenFile)] = true;
        var (reporting, billing) = (scenario.Reporting, scenario.Billing);
        foreach (var role in emulator.Roles)
        {
            AgentScenario.AllSecrets[role.Engine.Connection.Password!] = true;
        }

        var environment = await AgentEnvironment.ForTestAsync(emulator.BaseAddress, tokenFile, reporting, scenario.ReportingFile);
        environment.Remove("LEASE_ENGINE");
        environment.Remove("LEASE_ROLE");
        environment.Remove("DB_NAME");
        environment.Remove("OUTPUT_FILE");
        environment["CREDENTIALS"] = string.Create(CultureInfo.InvariantCulture, $"""
            # two engines on two databases of one server
            {reporting.Engine.Name}/{reporting.Name} -> {scenario.ReportingFile} database={reporting.Engine.Connection.Database}
            {billing.Engine.Name}/{billing.Name} -> {scenario.BillingFile} database={billing.Engine.Connection.Database}
            """);
        foreach (var (key, value) in environment)
        {
            scenario.Environment[key] = value;
        }

        return scenario;
    }

    public async Task<AgentProcess> StartAgentAsync(params string[] args)
    {
        var agent = AgentProcess.Start(await AgentScenario.BinaryAsync(), Environment, args.Length == 0 ? ["run"] : args);
        _agents.Add(agent);
        return agent;
    }

    /// <summary>Waits for a document in <paramref name="file"/> that satisfies <paramref name="accept"/>, and remembers its password.</summary>
    public static async Task<JsonObject> WaitForCredentialAsync(string file, Func<JsonObject, bool> accept, TimeSpan timeout, string what)
    {
        var document = await Eventually.ReturnsAsync(
            async () =>
            {
                try
                {
                    return File.Exists(file) ? await AgentScenario.ReadJsonFileAsync(file) : null;
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
                {
                    return null;
                }
            },
            d => d is not null && accept(d),
            timeout,
            what);
        AgentScenario.AllSecrets[document!["password"]!.GetValue<string>()] = true;
        return document;
    }

    public async Task<(JsonObject Reporting, JsonObject Billing)> WaitForBothAsync(TimeSpan timeout) =>
        (await WaitForCredentialAsync(ReportingFile, _ => true, timeout, "the reporting credential"),
         await WaitForCredentialAsync(BillingFile, _ => true, timeout, "the billing credential"));

    /// <summary>Every lease user of both roles that exists in Postgres.</summary>
    public async Task<IReadOnlyList<string>> LeaseUsersAsync() => [.. await Reporting.LeaseUsersAsync(), .. await Billing.LeaseUsersAsync()];

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await Emulator.DisposeAsync();
        _directory.Delete(recursive: true);
        foreach (var agent in _agents)
        {
            AgentScenario.AssertNoSecretsIn(agent);
        }
    }

    /// <summary>A fault on one role: the emulator's own faults apply to a route of every engine.</summary>
    public sealed class BillingFault
    {
        private volatile bool _on;
        private int _refused;

        /// <summary>How many billing requests the fault refused.</summary>
        public int Refused => Volatile.Read(ref _refused);

        public void Set(bool on) => _on = on;

        public async Task InvokeAsync(HttpContext context, Func<Task> next)
        {
            if (_on && context.Request.Path.StartsWithSegments("/v1/dynamic/engines/billing-db", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _refused);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsJsonAsync(new { error = new { code = "service_unavailable", message = "injected for billing-db only" } });
                return;
            }

            await next();
        }
    }
}
