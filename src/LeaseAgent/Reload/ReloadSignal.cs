using LeaseAgent.Configuration;

namespace LeaseAgent.Reload;

/// <summary><c>RELOAD_SIGNAL</c>: the signal sent to the app after a new credential or secret is published.</summary>
public static class ReloadSignal
{
    // Linux numbers; the agent is a Linux container process.
    private static readonly Dictionary<string, int> Numbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1,
        ["INT"] = 2,
        ["QUIT"] = 3,
        ["USR1"] = 10,
        ["USR2"] = 12,
        ["TERM"] = 15,
        ["WINCH"] = 28,
    };

    public static int Parse(string? text)
    {
        var name = (text ?? "HUP").Trim();
        name = name.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? name[3..] : name;
        return Numbers.TryGetValue(name, out var number)
            ? number
            : throw new ConfigurationException("RELOAD_SIGNAL", $"'{text}' is not a signal the agent sends; use one of {string.Join(", ", Numbers.Keys)}");
    }

    public static string Name(int number) => Numbers.FirstOrDefault(p => p.Value == number).Key ?? number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
