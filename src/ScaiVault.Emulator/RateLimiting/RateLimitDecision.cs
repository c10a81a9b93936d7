namespace ScaiVault.Emulator.RateLimiting;

/// <param name="Reset">When the oldest counted request leaves the window, i.e. when one more request is allowed.</param>
internal readonly record struct RateLimitDecision(bool Allowed, int Limit, int Remaining, DateTimeOffset Reset);
