using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Testing;

/// <summary>
/// Declares a ScaiVault emulator for a test, the way Testcontainers declares a container: each <c>With…</c> returns a
/// new builder (it never changes this one), <see cref="Build"/> gives an unstarted <see cref="ScaiVaultEmulator"/>, and
/// <see cref="StartAsync"/> builds and starts one. The emulator runs in this process over its own fresh database of
/// the test Postgres (<see cref="TestPostgres"/>), which it drops when disposed.
/// <code>
/// await using var emulator = await new ScaiVaultEmulatorBuilder()
///     .WithDevEndpoints()
///     .WithEngine("reporting-db", engine => engine.WithRole("4s", "12s"))
///     .StartAsync();
/// </code>
/// Everything defaults to what <c>scaivault-emulator</c> itself defaults to, except the log level (Warning).
/// </summary>
public sealed record ScaiVaultEmulatorBuilder
{
    /// <summary>The engine of the tutorial, which <see cref="WithRole"/> adds roles to.</summary>
    public const string TutorialEngine = "reporting-db";

    /// <summary>The admin token unless <see cref="WithAdminToken"/> gives another.</summary>
    public const string DefaultAdminToken = "test-admin-token";

    private string _adminToken = DefaultAdminToken;
    private int _port;
    private string? _stateDatabase;
    private int? _statePoolSize;
    private bool _dev;
    private string? _sweepInterval;
    private string? _tokenTtl;
    private LogLevel _logLevel = LogLevel.Warning;
    private int _logCapacity;
    private string? _targetServer;
    private ImmutableList<(string Id, string Secret)> _clients = [];
    private ImmutableSortedDictionary<string, int> _rateLimits = ImmutableSortedDictionary<string, int>.Empty;
    private ImmutableList<EngineDefinition> _engines = [];
    private ImmutableList<(string Path, object Data)> _secrets = [];
    private ImmutableList<Action<WebApplication>> _middleware = [];
    private ImmutableList<string> _arguments = [];

    /// <summary>The admin token (<c>--admin-token</c>) its <see cref="ScaiVaultEmulator.Admin"/> client sends.</summary>
    public ScaiVaultEmulatorBuilder WithAdminToken(string token) => this with { _adminToken = token };

    /// <summary>Listens on <paramref name="port"/> of 127.0.0.1 instead of a port the OS picks.</summary>
    public ScaiVaultEmulatorBuilder WithPort(int port) => this with { _port = port };

    /// <summary>
    /// Listens on a loopback port that is free when the emulator is built and keeps it across
    /// <see cref="ScaiVaultEmulator.RestartAsync"/>, so agents find it again where they expect it.
    /// </summary>
    public ScaiVaultEmulatorBuilder WithFixedPort() => this with { _port = -1 };

    /// <summary>
    /// Keeps the emulator's state in an existing database (a superuser connection string), e.g. to start a second
    /// emulator on the state of a first; the caller keeps the database (it is not dropped on dispose).
    /// </summary>
    public ScaiVaultEmulatorBuilder WithStateDatabase(string connectionString) => this with { _stateDatabase = connectionString };

    /// <summary>Bounds the emulator's pool of state connections (Npgsql's default, 100, is too many for a fleet on one server).</summary>
    public ScaiVaultEmulatorBuilder WithStatePoolSize(int size) => this with { _statePoolSize = size };

    /// <summary><c>--dev</c>: minting workload JWTs at <c>/_emulator/tokens</c>, and <c>/_emulator/*</c> without the admin token.</summary>
    public ScaiVaultEmulatorBuilder WithDevEndpoints() => this with { _dev = true };

    /// <summary><c>--sweep-interval</c>: how often expired leases are revoked, e.g. <c>"500ms"</c>.</summary>
    public ScaiVaultEmulatorBuilder WithSweepInterval(string interval) => this with { _sweepInterval = interval };

    /// <summary><c>--token-ttl</c>: the lifetime of the access tokens it issues.</summary>
    public ScaiVaultEmulatorBuilder WithTokenTtl(string ttl) => this with { _tokenTtl = ttl };

    /// <summary><c>--client id=secret</c>: a client-credentials client of its <c>/oauth/token</c>.</summary>
    public ScaiVaultEmulatorBuilder WithClient(string id, string secret) => this with { _clients = _clients.Add((id, secret)) };

    /// <summary>
    /// Requests per identity (per address for unauthenticated ones) per minute; null leaves the emulator's default,
    /// 0 turns a limit off.
    /// </summary>
    public ScaiVaultEmulatorBuilder WithRateLimits(int? generate = null, int? leaseOperations = null, int? reads = null, int? polls = null, int? subscriptionOperations = null, int? other = null)
    {
        var limits = _rateLimits;
        foreach (var (flag, value) in new[]
        {
            ("--rate-limit-generate", generate), ("--rate-limit-lease-ops", leaseOperations), ("--rate-limit-reads", reads),
            ("--rate-limit-polls", polls), ("--rate-limit-subscription-ops", subscriptionOperations), ("--rate-limit-other", other),
        })
        {
            limits = value is { } limit ? limits.SetItem(flag, limit) : limits;
        }

        return this with { _rateLimits = limits };
    }

    /// <summary>Every rate limit off, the per-address limit of unauthenticated requests included (load tests).</summary>
    public ScaiVaultEmulatorBuilder WithoutRateLimits() => WithRateLimits(0, 0, 0, 0, 0, 0);

    /// <summary><c>--log-level</c> (default here: Warning, so test output stays readable).</summary>
    public ScaiVaultEmulatorBuilder WithLogLevel(LogLevel level) => this with { _logLevel = level };

    /// <summary>
    /// Keeps the newest <paramref name="capacity"/> entries the emulator logs (at its <see cref="WithLogLevel"/>) in
    /// <see cref="ScaiVaultEmulator.Log"/>, across restarts, for assertions on its events or the report of a failure.
    /// </summary>
    public ScaiVaultEmulatorBuilder WithLogCapture(int capacity = 10_000) => this with { _logCapacity = capacity };

    /// <summary>
    /// Creates the databases of engines that name none on another server (a superuser connection string to its
    /// maintenance database) instead of the test Postgres, e.g. a throwaway server a test restarts.
    /// </summary>
    public ScaiVaultEmulatorBuilder WithTargetServer(string adminConnectionString) => this with { _targetServer = adminConnectionString };

    /// <summary>
    /// A database engine named <paramref name="name"/> of the tutorial's shape: root credentials stored as a secret,
    /// a <c>report</c> table of ten rows, <c>CONNECT</c> only for its roles' users. <paramref name="database"/> is a
    /// superuser connection string to the database its users log in to, or null for a fresh one (dropped on dispose).
    /// Several engines may share a database or each have their own.
    /// </summary>
    public ScaiVaultEmulatorBuilder WithEngine(
        string name, string? database = null, Func<EngineDefinition, EngineDefinition>? configure = null, string defaultTtl = "1h", string maxTtl = "24h")
    {
        var engine = new EngineDefinition(name, database, defaultTtl, maxTtl, []);
        return this with { _engines = _engines.Add(configure is null ? engine : configure(engine)) };
    }

    /// <inheritdoc cref="WithEngine(string, string?, Func{EngineDefinition, EngineDefinition}?, string, string)"/>
    public ScaiVaultEmulatorBuilder WithEngine(string name, Func<EngineDefinition, EngineDefinition> configure) => WithEngine(name, null, configure);

    /// <summary>
    /// A role of the tutorial engine <c>reporting-db</c> (added on a fresh database if not declared yet), with a
    /// unique name unless <paramref name="name"/> is given.
    /// </summary>
    public ScaiVaultEmulatorBuilder WithRole(string defaultTtl = "1h", string maxTtl = "24h", string? name = null)
    {
        var builder = _engines.Any(e => e.Name == TutorialEngine) ? this : WithEngine(TutorialEngine);
        var engine = builder._engines.Last(e => e.Name == TutorialEngine);
        return builder with { _engines = builder._engines.Replace(engine, engine.WithRole(defaultTtl, maxTtl, name)) };
    }

    /// <summary>A version of a static (kv) secret written once the emulator has started.</summary>
    public ScaiVaultEmulatorBuilder WithSecret(string path, object data) => this with { _secrets = _secrets.Add((path, data)) };

    /// <summary>
    /// Adds to the emulator's request pipeline after its own (routing, faults and authentication have run), on every
    /// start, e.g. to record what it answers.
    /// </summary>
    public ScaiVaultEmulatorBuilder WithMiddleware(Action<WebApplication> use) => this with { _middleware = _middleware.Add(use) };

    /// <summary>
    /// Command-line arguments of <c>scaivault-emulator</c> beyond what the builder has a method for; an option given
    /// here replaces the builder's value of the same option (the emulator refuses an option given twice).
    /// </summary>
    public ScaiVaultEmulatorBuilder WithArguments(params string[] arguments) => this with { _arguments = _arguments.AddRange(arguments) };

    /// <summary>An emulator as declared, not started yet (<see cref="ScaiVaultEmulator.StartAsync"/>).</summary>
    public ScaiVaultEmulator Build() => new(new EmulatorSettings(
        _adminToken,
        _port == -1 ? FreeLoopbackPort() : _port,
        _stateDatabase,
        _statePoolSize,
        _logCapacity,
        _targetServer,
        _engines,
        _secrets,
        _middleware,
        Arguments));

    /// <summary>Builds the emulator and starts it (disposing it again if it does not start).</summary>
    public async Task<ScaiVaultEmulator> StartAsync()
    {
        var emulator = Build();
        try
        {
            await emulator.StartAsync();
            return emulator;
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>The arguments other than <c>--urls</c> and <c>--postgres</c>, which the instance adds when it starts.</summary>
    private ImmutableList<string> Arguments
    {
        get
        {
            var given = _arguments.Where(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.Split('=')[0]).ToHashSet();
            var arguments = new List<string>();
            void Add(string option, string? value = null)
            {
                if (!given.Contains(option))
                {
                    arguments.AddRange(value is null ? [option] : [option, value]);
                }
            }

            Add("--admin-token", _adminToken);
            Add("--log-level", _logLevel.ToString());
            if (_dev)
            {
                Add("--dev");
            }

            if (_sweepInterval is not null)
            {
                Add("--sweep-interval", _sweepInterval);
            }

            if (_tokenTtl is not null)
            {
                Add("--token-ttl", _tokenTtl);
            }

            foreach (var (flag, limit) in _rateLimits)
            {
                Add(flag, limit.ToString(CultureInfo.InvariantCulture));
            }

            foreach (var (id, secret) in _clients)
            {
                arguments.AddRange(["--client", $"{id}={secret}"]);
            }

            return [.. arguments, .. _arguments];
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>What a <see cref="ScaiVaultEmulatorBuilder"/> declared, for the <see cref="ScaiVaultEmulator"/> it builds.</summary>
internal sealed record EmulatorSettings(
    string AdminToken,
    int Port,
    string? StateDatabase,
    int? StatePoolSize,
    int LogCapacity,
    string? TargetServer,
    ImmutableList<EngineDefinition> Engines,
    ImmutableList<(string Path, object Data)> Secrets,
    ImmutableList<Action<WebApplication>> Middleware,
    ImmutableList<string> Arguments);
