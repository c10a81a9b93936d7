namespace ScaiVault.Emulator.Auth;

/// <summary>
/// The emulator's scopes. Workload identities (token exchange, client credentials) get
/// <see cref="Workload"/>: read secrets (except an engine's root credentials, which need
/// <see cref="DynamicAdmin"/>), generate credentials, and look up, renew, revoke and list their
/// own leases. Only the admin token holds the rest.
/// </summary>
internal static class Scope
{
    public const string SecretsRead = "secrets:read";
    public const string SecretsWrite = "secrets:write";
    public const string DynamicGenerate = "dynamic:generate";
    public const string DynamicLeases = "dynamic:leases";

    /// <summary>Create, change and inspect engines and roles; see and revoke every identity's leases; <c>state=all</c>.</summary>
    public const string DynamicAdmin = "dynamic:admin";

    /// <summary>The <c>/_emulator/*</c> endpoints (unless the emulator runs with <c>--dev</c>).</summary>
    public const string EmulatorAdmin = "emulator:admin";

    public static readonly IReadOnlyList<string> Workload = [SecretsRead, DynamicGenerate, DynamicLeases];

    public static readonly IReadOnlyList<string> All = [SecretsRead, SecretsWrite, DynamicGenerate, DynamicLeases, DynamicAdmin, EmulatorAdmin];
}
