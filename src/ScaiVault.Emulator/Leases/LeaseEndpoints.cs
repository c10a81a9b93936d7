using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Faults;
using ScaiVault.Emulator.RateLimiting;

namespace ScaiVault.Emulator.Leases;

internal static class LeaseEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/dynamic/engines/{engine}/creds/{role}", GenerateAsync)
            .RequireScope(Scope.DynamicRead)
            .WithRateLimit(RateLimitClass.Generate)
            .WithFaultRoute(FaultRoutes.Generate);

        var leases = app.MapGroup("/v1/dynamic/leases").RequireScope(Scope.DynamicRead);
        leases.MapGet("", ListAsync).WithFaultRoute(FaultRoutes.List);
        leases.MapGet("/{leaseId}", LookupAsync).WithFaultRoute(FaultRoutes.Lookup);
        leases.MapPost("/{leaseId}/renew", RenewAsync).WithRateLimit(RateLimitClass.LeaseOperations).WithFaultRoute(FaultRoutes.Renew);
        leases.MapPost("/{leaseId}/revoke", RevokeAsync).WithRateLimit(RateLimitClass.LeaseOperations).WithFaultRoute(FaultRoutes.Revoke);
    }

    private static async Task<IResult> GenerateAsync(string engine, string role, HttpRequest request, Caller caller, LeaseService leases)
    {
        var body = await JsonBody.ReadOptionalAsync(request, Wire.Json.GenerateRequest);
        var (lease, password) = await leases.GenerateAsync(caller, engine, role, body?.Ttl, body?.ClientRef, request.HttpContext.RequestAborted);
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        return Results.Json(
            LeaseResponse.From(lease, lease.IssuedAt, new LeaseCredentials(lease.Username, password)),
            Wire.Json.LeaseResponse);
    }

    private static async Task<IResult> LookupAsync(string leaseId, Caller caller, LeaseService leases, TimeProvider time, CancellationToken cancellationToken)
    {
        var lease = await leases.LookupAsync(caller, leaseId, cancellationToken);
        return Results.Json(LeaseResponse.From(lease, time.GetUtcNow()), Wire.Json.LeaseResponse);
    }

    private static async Task<IResult> RenewAsync(string leaseId, HttpRequest request, Caller caller, LeaseService leases)
    {
        var body = await JsonBody.ReadOptionalAsync(request, Wire.Json.RenewRequest);
        var (lease, renewedAt) = await leases.RenewAsync(caller, leaseId, body?.Increment, request.HttpContext.RequestAborted);
        return Results.Json(LeaseResponse.From(lease, renewedAt), Wire.Json.LeaseResponse);
    }

    private static async Task<IResult> RevokeAsync(string leaseId, Caller caller, LeaseService leases, CancellationToken cancellationToken)
    {
        await leases.RevokeAsync(caller, leaseId, cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> ListAsync(HttpRequest request, Caller caller, LeaseService leases, TimeProvider time)
    {
        var query = request.Query;
        var found = await leases.ListAsync(
            caller,
            query["engine"].ToString(),
            query["role"].ToString(),
            query["state"].ToString(),
            ClientRefFilter(query),
            request.HttpContext.RequestAborted);
        var now = time.GetUtcNow();
        return Results.Json(
            new LeaseListResponse([.. found.Select(l => LeaseListItem.From(l, now))]),
            Wire.Json.LeaseListResponse);
    }

    /// <summary>
    /// <c>client_ref</c> of the list query: null when absent; present but empty (<c>?client_ref=</c>)
    /// stays "" so that it is refused rather than read as "no filter".
    /// </summary>
    private static string? ClientRefFilter(IQueryCollection query) =>
        query.TryGetValue("client_ref", out var values) switch
        {
            false => null,
            true when values.Count == 1 => values[0] ?? "",
            _ => throw ApiException.InvalidRequest("The 'client_ref' filter may be given only once."),
        };
}
