namespace ScaiVault.Emulator.Dynamic;

internal sealed record EngineConfigBody(string? Plugin, string? ConnectionUrl, string? RootCredentialsPath);

/// <summary><c>POST /v1/dynamic/engines</c> body.</summary>
internal sealed record EngineRequest(string? Name, string? Type, EngineConfigBody? Config, string? DefaultTtl, string? MaxTtl);

/// <summary><c>PATCH /v1/dynamic/engines/{name}</c> body: every field optional.</summary>
internal sealed record EnginePatchRequest(EngineConfigBody? Config, string? DefaultTtl, string? MaxTtl);

/// <summary>An engine as the API shows it; TTLs in seconds.</summary>
internal sealed record EngineResponse(
    string Name,
    string Type,
    EngineConfigBody Config,
    int DefaultTtl,
    int MaxTtl,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static EngineResponse From(Engine engine) => new(
        engine.Name,
        engine.Type,
        new EngineConfigBody(engine.Plugin, engine.ConnectionUrl, engine.RootCredentialsPath),
        (int)engine.DefaultTtl.TotalSeconds,
        (int)engine.MaxTtl.TotalSeconds,
        engine.CreatedAt,
        engine.UpdatedAt);
}

internal sealed record EngineHealthResponse(string Status, string Engine, DateTimeOffset CheckedAt, long? LatencyMs, string? Error);

/// <summary><c>POST /v1/dynamic/engines/{engine}/roles</c> body.</summary>
internal sealed record RoleRequest(
    string? Name,
    IReadOnlyList<string>? CreationStatements,
    IReadOnlyList<string>? RevocationStatements,
    IReadOnlyList<string>? RenewStatements,
    string? DefaultTtl,
    string? MaxTtl);

/// <summary>A role as the API shows it; TTLs in seconds.</summary>
internal sealed record RoleResponse(
    string Engine,
    string Name,
    IReadOnlyList<string> CreationStatements,
    IReadOnlyList<string> RevocationStatements,
    IReadOnlyList<string> RenewStatements,
    int DefaultTtl,
    int MaxTtl,
    DateTimeOffset CreatedAt)
{
    public static RoleResponse From(Role role) => new(
        role.Engine,
        role.Name,
        role.CreationStatements,
        role.RevocationStatements,
        role.RenewStatements,
        (int)role.DefaultTtl.TotalSeconds,
        (int)role.MaxTtl.TotalSeconds,
        role.CreatedAt);
}
