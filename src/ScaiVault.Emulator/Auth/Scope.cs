namespace ScaiVault.Emulator.Auth;

/// <summary>
/// The emulator's scopes, named as ScaiVault's docs name them (getting-started/authentication,
/// reference/subscriptions, reference/system). Which operation needs which is partly our choice:
/// the README's scope table marks each row. Workload identities (token exchange, client
/// credentials) get <see cref="Workload"/>; the admin token holds <see cref="All"/>.
/// </summary>
internal static class Scope
{
    /// <summary>Read static secrets, except an engine's root credentials (those need <see cref="DynamicManage"/> too).</summary>
    public const string SecretsRead = "secrets:read";

    public const string SecretsWrite = "secrets:write";

    /// <summary>Generate credentials and look up, renew, revoke and list the caller's own leases.</summary>
    public const string DynamicRead = "dynamic:read";

    /// <summary>Create, change and inspect engines and roles; see and act on every identity's leases; <c>state=all</c>; read root credentials.</summary>
    public const string DynamicManage = "dynamic:manage";

    public const string SubscriptionsRead = "subscriptions:read";

    public const string SubscriptionsWrite = "subscriptions:write";

    /// <summary>The <c>/_emulator/*</c> endpoints (unless the emulator runs with <c>--dev</c>), and <c>/v1/metrics</c> with <c>--metrics-require-admin</c>.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> Workload = [SecretsRead, DynamicRead, SubscriptionsRead, SubscriptionsWrite];

    public static readonly IReadOnlyList<string> All = [SecretsRead, SecretsWrite, DynamicRead, DynamicManage, SubscriptionsRead, SubscriptionsWrite, Admin];
}
