using LeaseAgent.Testing;
using Xunit;

namespace ScaiVault.Emulator.Tests.Infrastructure;

/// <summary>A fact that is skipped, with the reason, when the test Postgres does not check passwords (pg_hba trust).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PasswordCheckingFactAttribute : FactAttribute
{
    public PasswordCheckingFactAttribute()
    {
        Skip = TestPostgres.PasswordsUncheckedReason;
    }
}
