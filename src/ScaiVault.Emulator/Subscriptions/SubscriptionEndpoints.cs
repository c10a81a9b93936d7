using System.Globalization;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Faults;
using ScaiVault.Emulator.RateLimiting;

namespace ScaiVault.Emulator.Subscriptions;

/// <summary>
/// <c>/v1/subscriptions</c>: polling subscriptions to secret events. Scopes as ScaiVault documents
/// them: <c>subscriptions:write</c> to create, delete and ack, <c>subscriptions:read</c> to get and
/// poll; each identity sees only its own subscriptions.
/// </summary>
internal static class SubscriptionEndpoints
{
    public const int DefaultPollSeconds = 30;
    public const int MaxPollSeconds = 60;

    public static void Map(IEndpointRouteBuilder app)
    {
        var subscriptions = app.MapGroup("/v1/subscriptions");

        // RATE's "Subscription operations": create, get, delete and ack (ours); the poll's own class overrides it.
        subscriptions.WithRateLimit(RateLimitClass.SubscriptionOperations);
        subscriptions.MapPost("", CreateAsync).RequireScope(Scope.SubscriptionsWrite).WithFaultRoute(FaultRoutes.Subscriptions);
        subscriptions.MapGet("/{id}", GetAsync).RequireScope(Scope.SubscriptionsRead).WithFaultRoute(FaultRoutes.Subscriptions);
        subscriptions.MapDelete("/{id}", DeleteAsync).RequireScope(Scope.SubscriptionsWrite).WithFaultRoute(FaultRoutes.Subscriptions);
        subscriptions.MapGet("/{id}/poll", PollAsync)
            .RequireScope(Scope.SubscriptionsRead).WithRateLimit(RateLimitClass.SubscriptionPolls).WithFaultRoute(FaultRoutes.Poll);
        subscriptions.MapPost("/{id}/ack", AckAsync).RequireScope(Scope.SubscriptionsWrite).WithFaultRoute(FaultRoutes.Ack);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, Caller caller, SubscriptionService subscriptions)
    {
        var body = await JsonBody.ReadAsync(request, Wire.Json.SubscriptionRequest);
        var subscription = await subscriptions.CreateAsync(caller, body, request.HttpContext.RequestAborted);
        return Results.Json(SubscriptionResponse.From(subscription), Wire.Json.SubscriptionResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAsync(string id, Caller caller, SubscriptionService subscriptions, CancellationToken cancellationToken) =>
        Results.Json(SubscriptionResponse.From(await subscriptions.GetAsync(caller, id, cancellationToken)), Wire.Json.SubscriptionResponse);

    private static async Task<IResult> DeleteAsync(string id, Caller caller, SubscriptionService subscriptions, CancellationToken cancellationToken)
    {
        await subscriptions.DeleteAsync(caller, id, cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> PollAsync(string id, HttpRequest request, Caller caller, SubscriptionService subscriptions)
    {
        var query = new PollQuery(PollTimeout(request.Query), SinceEventId(request.Query), MaxEvents(request.Query));
        var claimed = await subscriptions.PollAsync(caller, id, query, request.HttpContext.RequestAborted);
        return Results.Json(new PollResponse(claimed.Events, claimed.HasMore), Wire.Json.PollResponse);
    }

    private static async Task<IResult> AckAsync(string id, HttpRequest request, Caller caller, SubscriptionService subscriptions)
    {
        var body = await JsonBody.ReadAsync(request, Wire.Json.AckRequest);
        await subscriptions.AckAsync(caller, id, body, request.HttpContext.RequestAborted);
        return Results.NoContent();
    }

    private static TimeSpan PollTimeout(IQueryCollection query)
    {
        if (!query.TryGetValue("timeout", out var values))
        {
            return TimeSpan.FromSeconds(DefaultPollSeconds);
        }

        return values.Count == 1
            && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && seconds <= MaxPollSeconds
            ? TimeSpan.FromSeconds(seconds)
            : throw ApiException.Validation("timeout", $"'timeout' must be given once, as whole seconds from 0 to {MaxPollSeconds}.");
    }

    /// <summary><c>since_event_id</c>: deliver only events after this one (whether it exists is the service's to check).</summary>
    private static string? SinceEventId(IQueryCollection query)
    {
        if (!query.TryGetValue("since_event_id", out var values))
        {
            return null;
        }

        return values.Count == 1 && !string.IsNullOrWhiteSpace(values[0])
            ? values[0]
            : throw ApiException.Validation("since_event_id", "'since_event_id' must be given once, as the id of an event this subscription delivered.");
    }

    private static int MaxEvents(IQueryCollection query)
    {
        if (!query.TryGetValue("max_events", out var values))
        {
            return SubscriptionService.MaxEventsPerPoll;
        }

        return values.Count == 1
            && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var maxEvents)
            && maxEvents is >= 1 and <= SubscriptionService.MaxEventsLimit
            ? maxEvents
            : throw ApiException.Validation("max_events", $"'max_events' must be given once, as a whole number from 1 to {SubscriptionService.MaxEventsLimit}.");
    }
}
