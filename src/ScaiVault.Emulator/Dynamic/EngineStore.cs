using Npgsql;
using NpgsqlTypes;

namespace ScaiVault.Emulator.Dynamic;

/// <summary>Engines and roles in the state schema.</summary>
internal sealed class EngineStore(NpgsqlDataSource db)
{
    private const string UniqueViolation = "23505";

    /// <summary>False when an engine of that name exists already.</summary>
    public async Task<bool> InsertEngineAsync(Engine engine, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            """
            INSERT INTO scaivault.engines
                (name, type, plugin, connection_url, root_credentials_path, default_ttl_seconds, max_ttl_seconds, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """);
        AddEngineParameters(command, engine);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            return false;
        }
    }

    public async Task UpdateEngineAsync(Engine engine, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            """
            UPDATE scaivault.engines
            SET type = $2, plugin = $3, connection_url = $4, root_credentials_path = $5,
                default_ttl_seconds = $6, max_ttl_seconds = $7, created_at = $8, updated_at = $9
            WHERE name = $1
            """);
        AddEngineParameters(command, engine);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Engine?> GetEngineAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            """
            SELECT name, type, plugin, connection_url, root_credentials_path, default_ttl_seconds, max_ttl_seconds, created_at, updated_at
            FROM scaivault.engines WHERE name = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new Engine(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.GetString(4),
            TimeSpan.FromSeconds(reader.GetInt64(5)),
            TimeSpan.FromSeconds(reader.GetInt64(6)),
            reader.GetFieldValue<DateTimeOffset>(7),
            reader.GetFieldValue<DateTimeOffset>(8));
    }

    /// <summary>Whether some engine names <paramref name="secretPath"/> (a validated path) as its <c>root_credentials_path</c>.</summary>
    public async Task<bool> IsRootCredentialsPathAsync(string secretPath, CancellationToken cancellationToken)
    {
        // Stored as given, so compared without the leading and trailing slashes that SecretPath.Validate drops.
        await using var command = db.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM scaivault.engines WHERE btrim(root_credentials_path, '/') = $1)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secretPath });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>False when the engine has a role of that name already.</summary>
    public async Task<bool> InsertRoleAsync(Role role, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            """
            INSERT INTO scaivault.roles
                (engine, name, creation_statements, revocation_statements, renew_statements, default_ttl_seconds, max_ttl_seconds, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role.Engine });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role.Name });
        command.Parameters.Add(TextArray(role.CreationStatements));
        command.Parameters.Add(TextArray(role.RevocationStatements));
        command.Parameters.Add(TextArray(role.RenewStatements));
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)role.DefaultTtl.TotalSeconds });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)role.MaxTtl.TotalSeconds });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = role.CreatedAt });
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            return false;
        }
    }

    public async Task<Role?> GetRoleAsync(string engine, string name, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            """
            SELECT engine, name, creation_statements, revocation_statements, renew_statements, default_ttl_seconds, max_ttl_seconds, created_at
            FROM scaivault.roles WHERE engine = $1 AND name = $2
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = engine });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new Role(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetFieldValue<string[]>(2),
            reader.GetFieldValue<string[]>(3),
            reader.GetFieldValue<string[]>(4),
            TimeSpan.FromSeconds(reader.GetInt64(5)),
            TimeSpan.FromSeconds(reader.GetInt64(6)),
            reader.GetFieldValue<DateTimeOffset>(7));
    }

    private static void AddEngineParameters(NpgsqlCommand command, Engine engine)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = engine.Name });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = engine.Type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = engine.Plugin });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = engine.ConnectionUrl });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = engine.RootCredentialsPath });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)engine.DefaultTtl.TotalSeconds });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)engine.MaxTtl.TotalSeconds });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = engine.CreatedAt });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = engine.UpdatedAt });
    }

    private static NpgsqlParameter<string[]> TextArray(IReadOnlyList<string> values) =>
        new() { TypedValue = [.. values], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
