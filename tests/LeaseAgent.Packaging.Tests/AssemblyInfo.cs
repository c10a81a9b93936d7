using System.Runtime.Versioning;

// PodChecks reads CREDENTIALS with the agent's own parser, and the agent is a Linux (and macOS) program; the CSI
// provider some tests read is Linux-only. The packaging is checked where it runs: on Linux.
[assembly: SupportedOSPlatform("linux")]
