using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Auth;

namespace ScaiVault.Emulator.Dynamic;

/// <summary>Engine and role administration (<c>dynamic:manage</c>).</summary>
internal static class EngineEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var engines = app.MapGroup("/v1/dynamic/engines").RequireScope(Scope.DynamicManage);
        engines.MapPost("", CreateAsync);
        engines.MapGet("/{name}", GetAsync);
        engines.MapPatch("/{name}", PatchAsync);
        engines.MapGet("/{name}/health", HealthAsync);
        engines.MapPost("/{engine}/roles", CreateRoleAsync);
        engines.MapGet("/{engine}/roles/{role}", GetRoleAsync);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, EngineService engines)
    {
        var body = await JsonBody.ReadAsync(request, Wire.Json.EngineRequest);
        var engine = await engines.CreateAsync(body, request.HttpContext.RequestAborted);
        return Results.Json(
            EngineResponse.From(engine), Wire.Json.EngineResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAsync(string name, EngineService engines, CancellationToken cancellationToken) =>
        Results.Json(EngineResponse.From(await engines.GetAsync(name, cancellationToken)), Wire.Json.EngineResponse);

    private static async Task<IResult> PatchAsync(string name, HttpRequest request, EngineService engines)
    {
        var body = await JsonBody.ReadAsync(request, Wire.Json.EnginePatchRequest);
        var engine = await engines.PatchAsync(name, body, request.HttpContext.RequestAborted);
        return Results.Json(EngineResponse.From(engine), Wire.Json.EngineResponse);
    }

    private static async Task<IResult> HealthAsync(string name, EngineService engines, CancellationToken cancellationToken) =>
        Results.Json(await engines.CheckHealthAsync(name, cancellationToken), Wire.Json.EngineHealthResponse);

    private static async Task<IResult> CreateRoleAsync(string engine, HttpRequest request, EngineService engines)
    {
        var body = await JsonBody.ReadAsync(request, Wire.Json.RoleRequest);
        var role = await engines.CreateRoleAsync(engine, body, request.HttpContext.RequestAborted);
        return Results.Json(RoleResponse.From(role), Wire.Json.RoleResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetRoleAsync(string engine, string role, EngineService engines, CancellationToken cancellationToken) =>
        Results.Json(RoleResponse.From(await engines.GetRoleAsync(engine, role, cancellationToken)), Wire.Json.RoleResponse);
}
