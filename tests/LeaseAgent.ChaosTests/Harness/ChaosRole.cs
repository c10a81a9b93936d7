using System.Text.Json.Nodes;
using Npgsql;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// One iteration's ScaiVault role. Its lease users (<c>v_{Name}_…</c>) get their privileges through the group
/// role <c>{Name}_g</c>; both are cluster-wide objects, so <see cref="DropAsync"/> removes them again.
/// </summary>
public sealed class ChaosRole(ChaosEmulator emulator, string name)
{
    public string Name { get; } = name;

    public string GroupName => Name + "_g";

    public ChaosEmulator Emulator { get; } = emulator;

    /// <summary>The lease users of this role that exist in Postgres (I1).</summary>
    public Task<List<string>> UsersAsync() => Databases.StringsAsync(
        Emulator.TargetDatabase,
        "SELECT rolname FROM pg_roles WHERE rolname LIKE @prefix ORDER BY rolname",
        ("prefix", $"v\\_{Name}\\_%"));

    /// <summary>The leases of this role the emulator lists as active (I5).</summary>
    public Task<IReadOnlyList<JsonObject>> ActiveLeasesAsync() => Emulator.ActiveLeasesAsync(Name);

    /// <summary>
    /// Sessions in the target database of lease users of this role that no longer exist or can no longer log in,
    /// i.e. of revoked users (I2).
    /// </summary>
    public Task<List<string>> SessionsOfRevokedUsersAsync() => Databases.StringsAsync(
        Emulator.TargetDatabase,
        """
        SELECT coalesce(r.rolname::text, 'dropped role ' || a.usesysid::text)
        FROM pg_stat_activity a LEFT JOIN pg_roles r ON r.oid = a.usesysid
        WHERE a.datname = current_database() AND a.backend_type = 'client backend' AND a.usesysid IS NOT NULL
          AND (r.oid IS NULL OR (r.rolname LIKE @prefix AND NOT r.rolcanlogin))
        """,
        ("prefix", $"v\\_{Name}\\_%"));

    /// <summary>Drops whatever is left of the role in Postgres and returns the lease users that were still there.</summary>
    public async Task<int> DropAsync()
    {
        var leftovers = await UsersAsync();
        foreach (var user in leftovers)
        {
            await Databases.ExecuteAsync(
                Emulator.TargetDatabase,
                $"""SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{user}'; DROP OWNED BY "{user}"; DROP ROLE IF EXISTS "{user}";""");
        }

        try
        {
            await Databases.ExecuteAsync(Emulator.TargetDatabase, $"""DROP OWNED BY "{GroupName}"; DROP ROLE IF EXISTS "{GroupName}";""");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedObject)
        {
            // Already gone.
        }

        return leftovers.Count;
    }
}
