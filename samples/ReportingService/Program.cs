using ReportingService;

WebApplication app;
try
{
    app = ReportingApp.Create(args);
}
catch (ReportingConfigurationException e)
{
    // A bad setting: one line naming the key, and exit 2 like lease-agent.
    await Console.Error.WriteLineAsync($"reporting-service: {e.Message}");
    return 2;
}

await app.RunAsync();
return 0;
