namespace ScaiVault.Emulator.Faults;

/// <summary><c>PUT /_emulator/faults</c> body.</summary>
internal sealed record FaultRequest(
    string? Route,
    int? Status,
    string? Code,
    double? Rate,
    int? LatencyMs,
    bool? Drop,
    int? Count,
    int? RetryAfter,
    bool? After);

internal sealed record FaultListResponse(IReadOnlyList<Fault> Faults);
