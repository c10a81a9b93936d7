using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Hosting;

namespace ScaiVault.Emulator.Auth;

/// <summary>
/// ScaiVault access tokens: opaque random strings of which only the SHA-256 is stored, so
/// the state schema holds nothing a reader could replay. They survive an emulator restart.
/// </summary>
internal sealed class AccessTokenService(NpgsqlDataSource db, EmulatorOptions options, TimeProvider time)
{
    public const string AdminIdentity = "admin";
    private const string TokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private readonly byte[] _adminTokenHash = Hash(options.AdminToken);

    public async Task<IssuedToken> IssueAsync(string identityId, CallerKind kind, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var token = "svt_" + RandomNumberGenerator.GetString(TokenAlphabet, 43);
        var now = time.UtcNowMs();
        var expiresAt = now + options.TokenTtl;
        await using var command = db.CreateCommand(
            """
            INSERT INTO scaivault.access_tokens (token_hash, identity_id, kind, scopes, issued_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(token) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = identityId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = KindName(kind) });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. scopes], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = expiresAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new IssuedToken(token, expiresAt, (int)options.TokenTtl.TotalSeconds);
    }

    public async Task<Caller> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        var hash = Hash(token);
        if (CryptographicOperations.FixedTimeEquals(hash, _adminTokenHash))
        {
            return new Caller(AdminIdentity, CallerKind.Admin, Scope.All, null);
        }

        await using var command = db.CreateCommand(
            "SELECT identity_id, kind, scopes, expires_at FROM scaivault.access_tokens WHERE token_hash = $1");
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = hash });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw ApiException.Unauthorized(ErrorCodes.TokenInvalid, "The access token is not valid.");
        }

        var expiresAt = reader.GetFieldValue<DateTimeOffset>(3);
        if (expiresAt <= time.GetUtcNow())
        {
            throw ApiException.Unauthorized(ErrorCodes.TokenExpired, "The access token has expired; exchange a new one.");
        }

        return new Caller(reader.GetString(0), ParseKind(reader.GetString(1)), reader.GetFieldValue<string[]>(2), expiresAt);
    }

    public static string KindName(CallerKind kind) => kind switch
    {
        CallerKind.Admin => "admin",
        CallerKind.Client => "client",
        _ => "workload",
    };

    private static CallerKind ParseKind(string kind) => kind switch
    {
        "admin" => CallerKind.Admin,
        "client" => CallerKind.Client,
        _ => CallerKind.Workload,
    };

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
