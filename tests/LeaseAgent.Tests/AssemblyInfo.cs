using System.Runtime.Versioning;

// The agent under test is a Linux (and, for development, macOS) program.
[assembly: SupportedOSPlatform("linux")]
[assembly: SupportedOSPlatform("macos")]
