namespace ScaiVault.Emulator.Dynamic;

/// <summary>A role of an engine: the SQL that creates, renews and revokes one lease's user.</summary>
internal sealed record Role(
    string Engine,
    string Name,
    IReadOnlyList<string> CreationStatements,
    IReadOnlyList<string> RevocationStatements,
    IReadOnlyList<string> RenewStatements,
    TimeSpan DefaultTtl,
    TimeSpan MaxTtl,
    DateTimeOffset CreatedAt);
