using System.Collections.Concurrent;
using System.Security.Cryptography;
using DotNet.Testcontainers.Builders;
using Npgsql;
using Testcontainers.PostgreSql;

namespace LeaseAgent.Testing;

/// <summary>
/// The real Postgres every integration test runs against, found once per test process, first that applies:
/// the server named by <c>LEASEAGENT_TEST_POSTGRES</c>; a throwaway server from the machine's Postgres server
/// binaries (<see cref="LocalPostgresServer"/>); a Testcontainers container when Docker answers. With none of them,
/// every test that needs Postgres fails with one message that says what to install or set.
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "LEASEAGENT_TEST_POSTGRES";

    /// <summary>The superuser the fixture creates when <c>LEASEAGENT_TEST_POSTGRES</c> names one without a password.</summary>
    public const string ProvisioningRole = "leaseagent_tests";

    /// <summary>What the agent's <c>DB_REQUIRE_AUTH</c> must allow against a server that lets anyone in over TCP.</summary>
    public const string TrustRequireAuth = "scram-sha-256,none";

    internal const string Unavailable =
        "No Postgres for the tests. Do one of: set " + EnvironmentVariable + " to a superuser connection string " +
        "(e.g. export " + EnvironmentVariable + "=$(.ci/postgres.sh start)); install the Postgres server binaries " +
        "(apt-get install postgresql, brew install postgresql; " + LocalPostgresServer.BinariesVariable + "=<dir of initdb> " +
        "if they are elsewhere), and each test process starts a throwaway server from them; or start Docker (Testcontainers).";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly ConcurrentDictionary<string, Task<bool>> PasswordChecks = new();
    private static string? _adminConnectionString;
    private static string? _failure;
    private static int _trustReported;

    /// <summary>A superuser connection string to the server's maintenance database.</summary>
    public static async Task<string> GetAdminConnectionStringAsync()
    {
        if (_adminConnectionString is not null)
        {
            return _adminConnectionString;
        }

        await Gate.WaitAsync();
        try
        {
            if (_failure is not null)
            {
                // The first test that asked carries the whole message and stack; the rest only point to it.
                throw new InvalidOperationException($"{_failure} (the first test that asked for Postgres has the whole message).");
            }

            try
            {
                _adminConnectionString ??= await FindServerAsync();
            }
            catch (Exception e)
            {
                _failure = e.Message == Unavailable ? "No Postgres for the tests"
                    : e.Message.Length <= 200 ? e.Message.TrimEnd('.')
                    : $"The tests' Postgres did not start ({e.GetType().Name})";
                throw;
            }

            return _adminConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// The <c>DB_REQUIRE_AUTH</c> an agent needs to probe lease users on this server: null (the agent's default,
    /// scram-sha-256) when it checks passwords; <see cref="TrustRequireAuth"/> when its pg_hba trusts TCP logins
    /// (Homebrew's and Postgres.app's default), where the strict default would refuse every probe. Said once per process.
    /// </summary>
    public static async Task<string?> AgentRequireAuthAsync(string connectionString)
    {
        var server = new NpgsqlConnectionStringBuilder(connectionString);
        if (await PasswordChecks.GetOrAdd($"{server.Host}:{server.Port}", _ => ChecksPasswordsAsync(connectionString)))
        {
            return null;
        }

        if (Interlocked.Exchange(ref _trustReported, 1) == 0)
        {
            Console.Error.WriteLine(
                $"TestPostgres: {server.Host}:{server.Port} lets a wrong password in (pg_hba 'trust'), so the tests' agents run with DB_REQUIRE_AUTH={TrustRequireAuth}");
        }

        return TrustRequireAuth;
    }

    /// <summary>
    /// Why a test that needs a wrong password refused cannot run, or null: the server of <c>LEASEAGENT_TEST_POSTGRES</c>
    /// lets any password in (a server the tests start themselves checks them). Synchronous, for a test attribute; a
    /// server that cannot be asked leaves the test to run and fail with the real error.
    /// </summary>
    public static string? PasswordsUncheckedReason => PasswordsUnchecked.Value;

    private static readonly Lazy<string?> PasswordsUnchecked = new(() =>
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        try
        {
            return string.IsNullOrWhiteSpace(configured) || ChecksPasswordsAsync(configured).GetAwaiter().GetResult()
                ? null
                : $"the server of {EnvironmentVariable} lets any password in (pg_hba trust), and this test needs a wrong password refused";
        }
        catch (NpgsqlException)
        {
            return null;
        }
    });

    /// <summary>
    /// Creates an empty database with a unique name and returns a superuser connection string to it,
    /// so that tests sharing one server never see each other's tables.
    /// </summary>
    /// <param name="serverAdmin">A superuser connection string of another server to create it on; null for the test Postgres.</param>
    public static async Task<string> CreateDatabaseAsync(string prefix, string? serverAdmin = null)
    {
        var admin = serverAdmin ?? await GetAdminConnectionStringAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = false }.ConnectionString;
    }

    /// <summary>Drops the database <paramref name="database"/> names, ending any session still in it.</summary>
    /// <param name="serverAdmin">A superuser connection string of its server; null for the test Postgres.</param>
    public static async Task DropDatabaseAsync(string database, string? serverAdmin = null)
    {
        var name = new NpgsqlConnectionStringBuilder(database).Database;
        await using var connection = new NpgsqlConnection(serverAdmin ?? await GetAdminConnectionStringAsync());
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// SQL that drops the group role <paramref name="group"/> and every lease user left in it, with what they own
    /// and their privileges in the database it runs in: roles outlive a test's database.
    /// </summary>
    public static string DropGroupAndMembersSql(string group) => $$"""
        DO $$ DECLARE r record; BEGIN
          FOR r IN SELECT m.rolname FROM pg_auth_members am
                   JOIN pg_roles m ON m.oid = am.member JOIN pg_roles g ON g.oid = am.roleid
                   WHERE g.rolname = '{{group}}' LOOP
            EXECUTE format('DROP OWNED BY %I', r.rolname);
            EXECUTE format('DROP ROLE IF EXISTS %I', r.rolname);
          END LOOP;
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{{group}}') THEN
            EXECUTE format('DROP OWNED BY %I', '{{group}}');
            EXECUTE format('DROP ROLE %I', '{{group}}');
          END IF;
        END $$
        """;

    /// <summary>Runs one scalar query as the superuser against the given database.</summary>
    public static async Task<T?> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    private static async Task<string> FindServerAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return await WithPasswordAsync(configured);
        }

        if (await LocalPostgresServer.BinariesAvailableAsync())
        {
            // Lives as long as the process: the server's reaper stops it and removes its directory when the process ends.
            var server = await LocalPostgresServer.StartAsync();
            return server.AdminConnectionString;
        }

        try
        {
            var container = new PostgreSqlBuilder("postgres:15-alpine").Build();
            await container.StartAsync();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return container.GetConnectionString();
        }
        catch (DockerUnavailableException)
        {
            throw new InvalidOperationException(Unavailable);
        }
    }

    /// <summary>
    /// The configured connection string, or, when it names no password, one for a superuser the fixture creates with a
    /// generated password, as the tutorial creates its provisioning role: the tests store the admin credentials in the
    /// emulator as root credentials, and those need a password. That needs a server that lets the passwordless login in
    /// without checking (trust), where the generated password only has to exist; one that checked a password from
    /// PGPASSWORD or ~/.pgpass would make the tests' credentials a guess, so that is refused with what to set.
    /// </summary>
    private static async Task<string> WithPasswordAsync(string configured)
    {
        var given = new NpgsqlConnectionStringBuilder(configured);
        if (!string.IsNullOrEmpty(given.Password))
        {
            return configured;
        }

        if (await ChecksPasswordsAsync(configured))
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} names no password for {given.Username}, and {given.Host}:{given.Port} checks passwords: add Password=… to it.");
        }

        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(configured) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            // One fixed role, so runs leave at most one behind; a concurrent test process resetting its password is
            // harmless on a server that checks none.
            await using var command = new NpgsqlCommand(
                $"""
                DO $$ BEGIN
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{ProvisioningRole}') THEN
                    ALTER ROLE {ProvisioningRole} WITH SUPERUSER LOGIN PASSWORD '{password}';
                  ELSE
                    CREATE ROLE {ProvisioningRole} WITH SUPERUSER LOGIN PASSWORD '{password}';
                  END IF;
                END $$
                """,
                connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(configured) { Username = ProvisioningRole, Password = password }.ConnectionString;
    }

    /// <summary>Whether the server refuses a login with a wrong password (false: its pg_hba trusts this connection).</summary>
    private static async Task<bool> ChecksPasswordsAsync(string connectionString)
    {
        var wrong = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Pooling = false,
        };
        try
        {
            await using var connection = new NpgsqlConnection(wrong.ConnectionString);
            await connection.OpenAsync();
            return false;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword)
        {
            return true;
        }
    }
}
