namespace ScaiVault.Emulator.Auth;

/// <summary>The authenticated identity behind a request; endpoints take it as a parameter.</summary>
internal sealed record Caller(string IdentityId, CallerKind Kind, IReadOnlyList<string> Scopes, DateTimeOffset? TokenExpiresAt)
{
    public bool Has(string scope) => Scopes.Contains(scope);

    /// <summary>Sees and manages every identity's leases, not only its own.</summary>
    public bool IsLeaseAdmin => Has(Scope.DynamicManage);

    /// <summary>Minimal-API binding: the authentication middleware has already put the caller in the features.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.Features.Get<Caller>());
}

internal enum CallerKind
{
    Admin,
    Workload,
    Client,
}
