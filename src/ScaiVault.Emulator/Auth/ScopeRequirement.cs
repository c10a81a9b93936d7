namespace ScaiVault.Emulator.Auth;

/// <summary>Endpoint metadata: the endpoint needs a bearer token, and the scope if one is named.</summary>
internal sealed record ScopeRequirement(string? Scope);

internal static class ScopeRequirementExtensions
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeRequirement(scope));

    public static TBuilder RequireAuthenticated<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeRequirement(null));
}
