using System.Diagnostics;

namespace LeaseAgent.Testing;

/// <summary>
/// Starts a child process with SIGHUP back at its default action. A test run started under <c>nohup</c> (or by a
/// runner that ignores SIGHUP) hands the ignored disposition down to every child, and a signal ignored on entry
/// can be neither trapped by a shell nor handled by .NET: a test that delivers SIGHUP would then fail for
/// reasons that have nothing to do with the code under test. <c>env --default-signal</c> (coreutils) resets it.
/// </summary>
public static class DefaultSighup
{
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/env") { UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=HUP");
        start.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
