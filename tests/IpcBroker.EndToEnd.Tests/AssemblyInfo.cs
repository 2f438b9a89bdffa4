// The end-to-end tests use Unix sockets, /proc and SO_PEERCRED: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
