using System.Collections.Immutable;
using Npgsql;

namespace LeaseAgent.Testing;

/// <summary>
/// What <see cref="ScaiVaultEmulatorBuilder.WithEngine"/> declares: a database engine of the tutorial's shape and its
/// roles. <paramref name="Database"/> is a superuser connection string to the database its lease users log in to, or
/// null for a fresh database the emulator creates on its target server and drops when disposed.
/// </summary>
public sealed record EngineDefinition(string Name, string? Database, string DefaultTtl, string MaxTtl, ImmutableList<RoleDefinition> Roles)
{
    /// <summary>Adds a role; a null name becomes a unique one (Postgres roles are cluster-wide and tests run in parallel).</summary>
    public EngineDefinition WithRole(string defaultTtl = "1h", string maxTtl = "24h", string? name = null) =>
        this with { Roles = Roles.Add(new RoleDefinition(name, defaultTtl, maxTtl)) };
}

/// <summary>A role of an <see cref="EngineDefinition"/>; see <see cref="EngineDefinition.WithRole"/>.</summary>
public sealed record RoleDefinition(string? Name, string DefaultTtl, string MaxTtl);

/// <summary>An engine of a running emulator and the database its lease users log in to.</summary>
public sealed record EmulatorEngine(string Name, string Database)
{
    /// <summary>Where the engine's root credentials are stored (one path per engine: engines may sit on different servers).</summary>
    public string RootCredentialsPath => $"infra/postgres/{Name}/root";

    /// <summary>The database of <see cref="Database"/>, parsed.</summary>
    public NpgsqlConnectionStringBuilder Connection => new(Database);
}

/// <summary>
/// A role of a running emulator. Its lease users (<c>v_{Name}_…</c>) get <c>CONNECT</c> on the engine's database and
/// <c>SELECT</c> on its <c>report</c> table through the group role <see cref="Group"/>.
/// </summary>
public sealed record EmulatorRole(EmulatorEngine Engine, string Name, string Group)
{
    /// <summary>A <c>LIKE</c> pattern matching this role's lease users.</summary>
    public string UserPattern => $"v\\_{Name.Replace("_", "\\_", StringComparison.Ordinal)}\\_%";

    /// <summary>This role's lease users that exist in Postgres.</summary>
    public async Task<IReadOnlyList<string>> LeaseUsersAsync()
    {
        await using var connection = new NpgsqlConnection(Engine.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT rolname FROM pg_roles WHERE rolname LIKE @pattern ORDER BY rolname", connection);
        command.Parameters.AddWithValue("pattern", UserPattern);
        var users = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            users.Add(reader.GetString(0));
        }

        return users;
    }
}
