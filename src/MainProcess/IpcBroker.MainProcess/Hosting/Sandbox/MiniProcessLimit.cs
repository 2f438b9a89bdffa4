namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>One resource limit of a mini process and what enforces it.</summary>
/// <param name="Name">The resource: <c>memoryBytes</c>, <c>cpuCores</c>, <c>tasks</c>, <c>openFiles</c> or <c>coreDumpBytes</c>.</param>
/// <param name="Value">The limit.</param>
/// <param name="EnforcedBy">
/// What enforces it: <c>cgroup v2</c>, <c>cgroup v1</c>, <c>rlimit</c>, <c>.NET heap limit</c> (the runtime's
/// <c>DOTNET_GCHeapHardLimit</c>: a .NET mini process's managed heap only), or <c>not enforced</c>.
/// </param>
public sealed record MiniProcessLimit(string Name, double Value, string EnforcedBy);
