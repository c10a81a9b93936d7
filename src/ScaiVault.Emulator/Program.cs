using ScaiVault.Emulator.Hosting;

if (EmulatorArguments.IsHelp(args))
{
    Console.WriteLine(EmulatorArguments.Usage);
    return 0;
}

WebApplication app;
try
{
    app = EmulatorApp.Build(args);
}
catch (EmulatorArgumentException e)
{
    await Console.Error.WriteLineAsync($"scaivault-emulator: {e.Message}");
    return 2;
}

try
{
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is Npgsql.NpgsqlException or IOException or InvalidOperationException)
{
    // Startup failures (state database unreachable, address in use) as one line, not a stack trace.
    await Console.Error.WriteLineAsync($"scaivault-emulator: cannot start: {e.Message}");
    return 1;
}
finally
{
    await app.DisposeAsync();
}
