namespace ScaiVault.Emulator.Dynamic;

/// <summary>A dynamic-secrets engine: a Postgres the emulator mints users in, reached with root credentials kept as a secret.</summary>
internal sealed record Engine(
    string Name,
    string Type,
    string Plugin,
    string ConnectionUrl,
    string RootCredentialsPath,
    TimeSpan DefaultTtl,
    TimeSpan MaxTtl,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
