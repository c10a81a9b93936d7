namespace ScaiVault.Emulator.Hosting;

/// <summary>
/// The command line is unusable. The message is one line that names the option and the fix;
/// <c>scaivault-emulator</c> prints it and exits with code 2.
/// </summary>
public sealed class EmulatorArgumentException : Exception
{
    public EmulatorArgumentException(string message)
        : base(message)
    {
    }
}
