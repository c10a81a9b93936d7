using System.Text.Json.Nodes;
using LeaseAgent.Testing;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// One iteration's ScaiVault role. Its lease users (<c>v_{Name}_…</c>) get their privileges through its group role;
/// both are cluster-wide objects, so <see cref="DropAsync"/> removes them again.
/// </summary>
public sealed class ChaosRole(ScaiVaultEmulator emulator, EmulatorRole role)
{
    public string Name => Role.Name;

    public EmulatorRole Role { get; } = role;

    public ScaiVaultEmulator Emulator { get; } = emulator;

    /// <summary>Superuser connection string to the database the lease users log in to.</summary>
    public string Database => Role.Engine.Database;

    /// <summary>The lease users of this role that exist in Postgres (I1).</summary>
    public Task<IReadOnlyList<string>> UsersAsync() => Role.LeaseUsersAsync();

    /// <summary>The leases of this role the emulator lists as active (I5).</summary>
    public Task<IReadOnlyList<JsonObject>> ActiveLeasesAsync() => Emulator.ActiveLeasesAsync(Role);

    /// <summary>
    /// Sessions in the target database of lease users of this role that no longer exist or can no longer log in,
    /// i.e. of revoked users (I2).
    /// </summary>
    public Task<List<string>> SessionsOfRevokedUsersAsync() => Databases.StringsAsync(
        Database,
        """
        SELECT coalesce(r.rolname::text, 'dropped role ' || a.usesysid::text)
        FROM pg_stat_activity a LEFT JOIN pg_roles r ON r.oid = a.usesysid
        WHERE a.datname = current_database() AND a.backend_type = 'client backend' AND a.usesysid IS NOT NULL
          AND (r.oid IS NULL OR (r.rolname LIKE @prefix AND NOT r.rolcanlogin))
        """,
        ("prefix", Role.UserPattern));

    /// <summary>Drops whatever is left of the role in Postgres and returns the lease users that were still there.</summary>
    public async Task<int> DropAsync()
    {
        var leftovers = await UsersAsync();
        foreach (var user in leftovers)
        {
            await Databases.ExecuteAsync(
                Database,
                $"""SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{user}'; DROP OWNED BY "{user}"; DROP ROLE IF EXISTS "{user}";""");
        }

        await Databases.ExecuteAsync(Database, $$"""
            DO $$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{{Role.Group}}') THEN
                EXECUTE format('DROP OWNED BY %I', '{{Role.Group}}');
                EXECUTE format('DROP ROLE %I', '{{Role.Group}}');
              END IF;
            END $$
            """);
        return leftovers.Count;
    }
}
