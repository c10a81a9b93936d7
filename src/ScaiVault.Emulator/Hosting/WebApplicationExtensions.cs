using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ScaiVault.Emulator.Hosting;

public static class WebApplicationExtensions
{
    /// <summary>
    /// The address the started emulator really listens on (with <c>--urls http://127.0.0.1:0</c>,
    /// the port the OS picked), with a trailing slash: <c>http://127.0.0.1:41234/</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The application has not been started.</exception>
    public static Uri GetBaseAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Port > 0)
            {
                return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
            }
        }

        throw new InvalidOperationException("The emulator is not listening yet: await app.StartAsync() first.");
    }
}
