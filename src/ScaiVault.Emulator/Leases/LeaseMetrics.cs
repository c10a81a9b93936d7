namespace ScaiVault.Emulator.Leases;

internal sealed record LeaseMetrics(IReadOnlyList<EngineLeaseCount> Engines, IReadOnlyList<RoleLeaseCount> Roles);

internal sealed record EngineLeaseCount(string Engine, long Active, long RevokePending);

internal sealed record RoleLeaseCount(string Engine, string Role, long Generated);
