using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Integration;

/// <summary>What the integration tests read from the emulator beyond its API: its log and its state store.</summary>
public static class EmulatorOracles
{
    private const int RateLimitedEvent = 150;

    extension(ScaiVaultEmulator emulator)
    {
        /// <summary>The identities (or client addresses) of the requests it refused with <c>429 rate_limited</c> (its warning 150).</summary>
        public IReadOnlyList<string> RateLimitedRequests =>
            [.. emulator.Log.Where(e => e.EventId.Id == RateLimitedEvent).Select(e => e.Value("Key")).OfType<string>()];

        /// <summary>Every identity's subscriptions, from its state (the API shows each identity only its own).</summary>
        public async Task<long> SubscriptionCountAsync() =>
            await TestPostgres.ScalarAsync<long>(emulator.StateDatabase, "SELECT count(*) FROM scaivault.subscriptions");
    }
}
