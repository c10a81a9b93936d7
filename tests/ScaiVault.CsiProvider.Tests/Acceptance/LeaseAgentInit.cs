using LeaseAgent.Testing;

namespace ScaiVault.CsiProvider.Tests.Acceptance;

/// <summary>
/// The published AOT <c>lease-agent init</c> writing <c>SECRETS</c> files from the same emulator, the reference a
/// CSI-mounted file must equal byte for byte (brief §8 check 5).
/// </summary>
public static class LeaseAgentInit
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <c>init</c> with one <c>path[#field] -> file</c> line per entry and returns each file's bytes by its key.</summary>
    public static async Task<Dictionary<string, byte[]>> WriteAsync(AcceptanceWorld world, IReadOnlyDictionary<string, string> secretByFile)
    {
        var directory = Directory.CreateTempSubdirectory("sv-init-");
        try
        {
            var tokenFile = Path.Combine(directory.FullName, "token");
            await File.WriteAllTextAsync(tokenFile, (await world.MintPodTokenAsync()).Jwt);
            var environment = new Dictionary<string, string>
            {
                ["SCAIVAULT_URL"] = world.Emulator.BaseAddress.ToString(),
                ["SCAIVAULT_TOKEN_FILE"] = tokenFile,
                ["SECRETS"] = string.Join('\n', secretByFile.Select(m => $"{m.Value} -> {Path.Combine(directory.FullName, "out", m.Key)}")),
                ["INIT_TIMEOUT"] = "20s",
                ["LOG_FORMAT"] = "json",
            };

            await using var agent = AgentProcess.Start(await AgentBinary.GetPathAsync("test-csi-aot"), environment, ["init"], "lease-agent-init");
            var exitCode = await agent.WaitForExitAsync(ExitTimeout);
            Assert.True(exitCode == 0, $"lease-agent init exited {exitCode}:\n{agent.Output}");

            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var file in secretByFile.Keys)
            {
                files[file] = await File.ReadAllBytesAsync(Path.Combine(directory.FullName, "out", file));
            }

            return files;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
