using IpcBroker.Benchmarks;

// The floor of the benchmark: a bare .NET process, started as a mini process is (by the host's launcher, inside the
// sandbox, on the pre-connected socket), that takes its launch line, presents its secret, and then echoes every byte it
// reads. It references nothing but the runtime, so its start-up time and its idle memory are those of .NET itself.
// Echoing what one read returned in one write coalesces whatever frames were queued: the same loop is the one-at-a-time
// floor, the coalesced floor with many in flight, and the 16 MiB floor.
await using Stream socket = await LaunchedChildSide.ConnectAsync(TimeSpan.FromSeconds(30));
byte[] buffer = new byte[1024 * 1024];
while (true)
{
    int read = await socket.ReadAsync(buffer);
    if (read == 0)
    {
        return 0;
    }

    await socket.WriteAsync(buffer.AsMemory(0, read));
}
