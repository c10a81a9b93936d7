using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Secrets;

namespace ScaiVault.Emulator.Dynamic;

/// <summary>Validates, connection-tests and stores engines and roles.</summary>
internal sealed partial class EngineService(EngineStore store, TargetDatabase target, TimeProvider time, ILogger<EngineService> logger)
{
    public const string DatabaseType = "database";
    public const string PostgresPlugin = "postgresql";

    /// <summary>The reliability design's revocation: block logins, end sessions, then drop.</summary>
    public static readonly IReadOnlyList<string> DefaultRevocationStatements =
    [
        "ALTER ROLE \"{{name}}\" NOLOGIN",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}'",
        "DROP OWNED BY \"{{name}}\"",
        "DROP ROLE IF EXISTS \"{{name}}\"",
    ];

    public static readonly IReadOnlyList<string> DefaultRenewStatements = ["ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}'"];

    private static readonly TimeSpan DefaultEngineTtl = TimeSpan.FromHours(1);
    private static readonly TimeSpan DefaultEngineMaxTtl = TimeSpan.FromHours(24);

    public async Task<Engine> CreateAsync(EngineRequest body, CancellationToken cancellationToken)
    {
        var name = body.Name ?? "";
        if (!EngineName().IsMatch(name))
        {
            throw Validation("name", "'name' must be 1-63 characters of [a-z0-9_-], starting with a letter or digit.");
        }

        if ((body.Type ?? DatabaseType) != DatabaseType)
        {
            throw Validation("type", $"'type' must be '{DatabaseType}'.");
        }

        var config = body.Config ?? throw InvalidConfig("'config' is required.");
        var defaultTtl = Duration.ParseOptional(body.DefaultTtl, "default_ttl") ?? DefaultEngineTtl;
        var maxTtl = Duration.ParseOptional(body.MaxTtl, "max_ttl") ?? DefaultEngineMaxTtl;
        var now = time.UtcNowMs();
        var engine = Validated(new Engine(
            name, DatabaseType, config.Plugin ?? "", config.ConnectionUrl ?? "", config.RootCredentialsPath ?? "", defaultTtl, maxTtl, now, now));

        if (await store.GetEngineAsync(name, cancellationToken) is not null)
        {
            throw ApiException.Conflict(ErrorCodes.EngineExists, $"An engine named '{name}' exists already; PATCH it to change it.");
        }

        await TestConnectionAsync(engine, cancellationToken);
        if (!await store.InsertEngineAsync(engine, cancellationToken))
        {
            throw ApiException.Conflict(ErrorCodes.EngineExists, $"An engine named '{name}' exists already; PATCH it to change it.");
        }

        LogEngineCreated(logger, name);
        return engine;
    }

    public async Task<Engine> PatchAsync(string name, EnginePatchRequest body, CancellationToken cancellationToken)
    {
        var current = await GetAsync(name, cancellationToken);
        var engine = Validated(current with
        {
            Plugin = body.Config?.Plugin ?? current.Plugin,
            ConnectionUrl = body.Config?.ConnectionUrl ?? current.ConnectionUrl,
            RootCredentialsPath = body.Config?.RootCredentialsPath ?? current.RootCredentialsPath,
            DefaultTtl = Duration.ParseOptional(body.DefaultTtl, "default_ttl") ?? current.DefaultTtl,
            MaxTtl = Duration.ParseOptional(body.MaxTtl, "max_ttl") ?? current.MaxTtl,
            UpdatedAt = time.UtcNowMs(),
        });
        await TestConnectionAsync(engine, cancellationToken);
        await store.UpdateEngineAsync(engine, cancellationToken);
        LogEngineUpdated(logger, name);
        return engine;
    }

    public async Task<Engine> GetAsync(string name, CancellationToken cancellationToken) =>
        await store.GetEngineAsync(name, cancellationToken)
        ?? throw ApiException.NotFound(ErrorCodes.EngineNotFound, $"No engine named '{name}'.");

    public async Task<EngineHealthResponse> CheckHealthAsync(string name, CancellationToken cancellationToken)
    {
        var engine = await GetAsync(name, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await target.CheckAsync(engine, cancellationToken);
            return new EngineHealthResponse("healthy", name, time.GetUtcNow(), (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, null);
        }
        catch (TargetDatabaseException e)
        {
            LogEngineUnhealthy(logger, name, e.Message);
            return new EngineHealthResponse("unhealthy", name, time.GetUtcNow(), null, e.Message);
        }
    }

    public async Task<Role> CreateRoleAsync(string engineName, RoleRequest body, CancellationToken cancellationToken)
    {
        var engine = await GetAsync(engineName, cancellationToken);
        var name = body.Name ?? "";
        if (!RoleName().IsMatch(name))
        {
            throw InvalidRole("'name' must be 1-63 characters of [a-z0-9_].");
        }

        var creation = CheckStatements(body.CreationStatements, "creation_statements", passwordAllowed: true)
            ?? throw InvalidRole("'creation_statements' needs at least one statement.");
        var revocation = CheckStatements(body.RevocationStatements, "revocation_statements", passwordAllowed: false)
            ?? DefaultRevocationStatements;
        var renew = body.RenewStatements is { Count: 0 }
            ? []
            : CheckStatements(body.RenewStatements, "renew_statements", passwordAllowed: false) ?? DefaultRenewStatements;

        // A role never outlives its engine's limits: larger TTLs are capped, not refused.
        var maxTtl = Min(Duration.ParseOptional(body.MaxTtl, "max_ttl") ?? engine.MaxTtl, engine.MaxTtl);
        var defaultTtl = Min(Duration.ParseOptional(body.DefaultTtl, "default_ttl") ?? engine.DefaultTtl, maxTtl);
        var role = new Role(engine.Name, name, creation, revocation, renew, defaultTtl, maxTtl, time.UtcNowMs());
        if (!await store.InsertRoleAsync(role, cancellationToken))
        {
            throw ApiException.Conflict(ErrorCodes.RoleExists, $"Engine '{engine.Name}' has a role named '{name}' already.");
        }

        LogRoleCreated(logger, engine.Name, name);
        return role;
    }

    public async Task<Role> GetRoleAsync(string engineName, string roleName, CancellationToken cancellationToken)
    {
        var engine = await GetAsync(engineName, cancellationToken);
        return await store.GetRoleAsync(engine.Name, roleName, cancellationToken)
            ?? throw ApiException.NotFound(ErrorCodes.RoleNotFound, $"Engine '{engineName}' has no role named '{roleName}'.");
    }

    private static Engine Validated(Engine engine)
    {
        if (engine.Plugin != PostgresPlugin)
        {
            throw InvalidConfig($"config.plugin must be '{PostgresPlugin}', the only plugin the emulator has.");
        }

        if (string.IsNullOrWhiteSpace(engine.ConnectionUrl))
        {
            throw InvalidConfig("config.connection_url is required.");
        }

        if (ConnectionUrl.Validate(engine.ConnectionUrl) is { } problem)
        {
            throw InvalidConfig(problem);
        }

        try
        {
            _ = SecretPath.Validate(engine.RootCredentialsPath);
        }
        catch (ApiException)
        {
            throw InvalidConfig("config.root_credentials_path must be a secret path such as \"infra/postgres/reporting/root\".");
        }

        return engine.DefaultTtl > engine.MaxTtl
            ? throw ApiException.BadRequest(ErrorCodes.InvalidDuration, "'default_ttl' must not be longer than 'max_ttl'.")
            : engine;
    }

    private async Task TestConnectionAsync(Engine engine, CancellationToken cancellationToken)
    {
        try
        {
            await target.CheckAsync(engine, cancellationToken);
        }
        catch (TargetDatabaseException e)
        {
            LogConnectionTestFailed(logger, engine.Name, e.Message);
            throw InvalidConfig($"The connection test failed: {e.Message}");
        }
    }

    private static List<string>? CheckStatements(IReadOnlyList<string>? statements, string field, bool passwordAllowed)
    {
        if (statements is null or { Count: 0 })
        {
            return null;
        }

        foreach (var statement in statements)
        {
            if (string.IsNullOrWhiteSpace(statement))
            {
                throw InvalidRole($"'{field}' contains an empty statement.");
            }

            if (StatementTemplate.FindUnknownPlaceholder(statement) is { } unknown)
            {
                throw InvalidRole($"'{field}' uses {unknown}; the placeholders are {{{{name}}}}, {{{{password}}}} and {{{{expiration}}}}.");
            }

            if (!passwordAllowed && statement.Contains(StatementTemplate.Password, StringComparison.Ordinal))
            {
                throw InvalidRole($"'{field}' may not use {{{{password}}}}; only creation statements can.");
            }
        }

        return [.. statements];
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static ApiException Validation(string field, string message) =>
        new(StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, message, new JsonObject { ["field"] = field });

    private static ApiException InvalidConfig(string message) => ApiException.BadRequest(ErrorCodes.InvalidConfig, message);

    private static ApiException InvalidRole(string message) => ApiException.BadRequest(ErrorCodes.InvalidRole, message);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex EngineName();

    [GeneratedRegex("^[a-z0-9_]{1,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex RoleName();

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Engine {Engine} created")]
    private static partial void LogEngineCreated(ILogger logger, string engine);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Engine {Engine} updated")]
    private static partial void LogEngineUpdated(ILogger logger, string engine);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Connection test of engine {Engine} failed: {Reason}")]
    private static partial void LogConnectionTestFailed(ILogger logger, string engine, string reason);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Engine {Engine} is unhealthy: {Reason}")]
    private static partial void LogEngineUnhealthy(ILogger logger, string engine, string reason);

    [LoggerMessage(EventId = 404, Level = LogLevel.Information, Message = "Role {Role} of engine {Engine} created")]
    private static partial void LogRoleCreated(ILogger logger, string engine, string role);
}
