namespace ScaiVault.Emulator.Faults;

/// <summary>The names <c>PUT /_emulator/faults</c> accepts in <c>route</c>, and the endpoints they tag.</summary>
internal static class FaultRoutes
{
    public const string Any = "*";
    public const string Generate = "generate";
    public const string Renew = "renew";
    public const string Revoke = "revoke";
    public const string Lookup = "lookup";
    public const string List = "list";
    public const string Exchange = "exchange";
    public const string Token = "token";
    public const string WhoAmI = "whoami";
    public const string Secrets = "secrets";
    public const string Health = "health";

    /// <summary>Create, read and delete subscriptions.</summary>
    public const string Subscriptions = "subscriptions";

    /// <summary><c>GET /v1/subscriptions/{id}/poll</c>.</summary>
    public const string Poll = "poll";

    /// <summary><c>POST /v1/subscriptions/{id}/ack</c>: dropping acks shows a client its events coming back.</summary>
    public const string Ack = "ack";

    public static readonly IReadOnlyList<string> All =
        [Any, Generate, Renew, Revoke, Lookup, List, Exchange, Token, WhoAmI, Secrets, Health, Subscriptions, Poll, Ack];
}

/// <summary>Endpoint metadata naming the fault route the endpoint belongs to.</summary>
internal sealed record FaultRouteMetadata(string Route);

internal static class FaultRouteExtensions
{
    public static TBuilder WithFaultRoute<TBuilder>(this TBuilder builder, string route)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new FaultRouteMetadata(route));
}
