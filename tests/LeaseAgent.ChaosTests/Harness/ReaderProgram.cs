using System.Globalization;
using System.Text.Json;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// The entry point of this assembly when it runs as the reader process:
/// <c>dotnet LeaseAgent.ChaosTests.dll hammer FILE MODE</c> reads FILE as fast as it can until its standard input
/// closes, checks every read (<see cref="CredentialDocumentCheck"/>) and the file's mode, then prints one JSON
/// report line. It is a process of its own, like the app that reads the file in a pod.
/// </summary>
public static class ReaderProgram
{
    public static int Main(string[] args)
    {
        if (args is not ["hammer", var file, var mode])
        {
            Console.Error.WriteLine("usage: LeaseAgent.ChaosTests hammer FILE OCTAL_MODE");
            return 2;
        }

        Console.WriteLine(JsonSerializer.Serialize(Hammer(file, (UnixFileMode)Convert.ToInt32(mode, 8))));
        return 0;
    }

    private static ReaderReport Hammer(string file, UnixFileMode expectedMode)
    {
        var stop = 0;
        var watcher = new Thread(() =>
        {
            Console.In.ReadToEnd();
            Volatile.Write(ref stop, 1);
        })
        { IsBackground = true };
        watcher.Start();

        long reads = 0, absent = 0, invalid = 0, modeViolations = 0;
        var generations = new SortedSet<int>();
        var problems = new List<string>();
        while (Volatile.Read(ref stop) == 0)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (FileNotFoundException)
            {
                absent++;
                continue;
            }

            reads++;
            var problem = CredentialDocumentCheck.Problem(bytes, out var credential);
            if (problem is null)
            {
                generations.Add(credential!.Generation);
            }
            else
            {
                invalid++;
                if (problems.Count < 5)
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"read {reads}: {problem}"));
                }
            }

            try
            {
                var mode = File.GetUnixFileMode(file);
                if (mode != expectedMode)
                {
                    modeViolations++;
                    if (problems.Count < 5)
                    {
                        problems.Add($"mode {Convert.ToString((int)mode, 8)}");
                    }
                }
            }
            catch (FileNotFoundException)
            {
                // Replaced or removed since the read: the next read sees what is there now.
            }
        }

        return new ReaderReport(reads, absent, invalid, modeViolations, [.. generations], problems);
    }
}

public sealed record ReaderReport(long Reads, long Absent, long Invalid, long ModeViolations, int[] Generations, List<string> Problems);
