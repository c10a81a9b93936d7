using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using ScaiVault.Emulator.Secrets;

namespace ScaiVault.Emulator.Dynamic;

/// <summary>Runs role statements in an engine's database with the engine's root credentials.</summary>
internal sealed class TargetDatabase(SecretStore secrets)
{
    /// <summary>Opens a connection and runs <c>SELECT 1</c>: the engine's connection test and health check.</summary>
    public async Task CheckAsync(Engine engine, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(engine, cancellationToken);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await RunAsync(command, 0, [], cancellationToken);
    }

    /// <summary>Runs the statements in one transaction: all of them take effect or none does.</summary>
    /// <param name="redact">Values that must not appear in an error message (the password verifier).</param>
    public async Task ExecuteAsync(Engine engine, IReadOnlyList<string> statements, IReadOnlyList<string> redact, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(engine, cancellationToken);
        await ExecuteInTransactionAsync(connection, statements, redact, cancellationToken);
    }

    /// <summary>
    /// Runs renew or revocation statements unless the user is already gone (dropped out of band,
    /// or never created because the emulator stopped mid-generate). Returns false when it was gone.
    /// </summary>
    public async Task<bool> ExecuteIfRoleExistsAsync(Engine engine, string username, IReadOnlyList<string> statements, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(engine, cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)", connection))
        {
            exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = username });
            if (await ScalarBoolAsync(exists, cancellationToken) is false)
            {
                return false;
            }
        }

        await ExecuteInTransactionAsync(connection, statements, [], cancellationToken);
        return true;
    }

    private static async Task ExecuteInTransactionAsync(
        NpgsqlConnection connection, IReadOnlyList<string> statements, IReadOnlyList<string> redact, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        for (var i = 0; i < statements.Count; i++)
        {
            await using var command = new NpgsqlCommand(statements[i], connection, transaction);
            await RunAsync(command, i + 1, redact, cancellationToken);
        }

        // Not cancellable: a commit interrupted by a client going away would leave it unknown
        // whether the user exists. Statements before it may be cancelled; they roll back.
        try
        {
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            throw new TargetDatabaseException($"The commit failed, its outcome is unknown: {Describe(e, redact)}", TargetFailure.Connection);
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(Engine engine, CancellationToken cancellationToken)
    {
        var root = await ReadRootCredentialsAsync(engine.RootCredentialsPath, cancellationToken);
        string connectionString;
        try
        {
            connectionString = ConnectionUrl.Build(engine.ConnectionUrl, root.Username, root.Password);
        }
        catch (FormatException e)
        {
            throw new TargetDatabaseException(e.Message, TargetFailure.Configuration);
        }

        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or SocketException)
        {
            await connection.DisposeAsync();
            var failure = e is PostgresException { SqlState: "28P01" or "28000" or "3D000" } ? TargetFailure.Configuration : TargetFailure.Connection;
            throw new TargetDatabaseException($"Cannot connect to the engine's database: {Describe(e, [])}", failure);
        }
    }

    private async Task<RootCredentials> ReadRootCredentialsAsync(string path, CancellationToken cancellationToken)
    {
        var secret = await secrets.GetAsync(path, version: null, cancellationToken)
            ?? throw new TargetDatabaseException($"The root credentials secret '{path}' does not exist.", TargetFailure.Configuration);
        return secret.Data.TryGetProperty("username", out var user) && user.ValueKind == JsonValueKind.String
            && secret.Data.TryGetProperty("password", out var password) && password.ValueKind == JsonValueKind.String
                ? new RootCredentials(user.GetString()!, password.GetString()!)
                : throw new TargetDatabaseException(
                    $"The root credentials secret '{path}' must hold string fields 'username' and 'password'.", TargetFailure.Configuration);
    }

    private static async Task<bool?> ScalarBoolAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken) as bool?;
        }
        catch (NpgsqlException e)
        {
            throw new TargetDatabaseException($"The engine's database failed: {Describe(e, [])}", TargetFailure.Connection);
        }
    }

    private static async Task RunAsync(NpgsqlCommand command, int number, IReadOnlyList<string> redact, CancellationToken cancellationToken)
    {
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e)
        {
            var what = number == 0 ? "The test query" : $"Statement {number}";
            throw new TargetDatabaseException($"{what} failed: {Describe(e, redact)}", TargetFailure.Statement);
        }
        catch (NpgsqlException e)
        {
            throw new TargetDatabaseException($"The engine's database failed: {Describe(e, redact)}", TargetFailure.Connection);
        }
    }

    private static string Describe(Exception e, IReadOnlyList<string> redact)
    {
        var text = e switch
        {
            PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
            { InnerException: { } inner } => $"{e.Message} ({inner.Message})",
            _ => e.Message,
        };
        foreach (var secret in redact)
        {
            text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
        }

        return text;
    }
}
