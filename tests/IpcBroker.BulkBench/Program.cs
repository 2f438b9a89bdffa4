using System.Diagnostics;
using System.Net.Sockets;
using IpcBroker;
using IpcBroker.Plugins;

// Parent: listens, starts this executable as "child PATH", measures. Child: connects twice (raw, then broker) and serves.
const int Size = 16 * 1024 * 1024;
var limits = BundleLimits.Default with { MaxBytes = Math.Max(BundleLimits.Default.MaxBytes, 32 * 1024 * 1024) };
var options = new IpcConnectionOptions { Limits = limits };

if (args is ["child", string childPath])
{
    return await ChildAsync(childPath);
}

int rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 9;
string dir = Directory.CreateTempSubdirectory("bulkbench").FullName;
string path = Path.Combine(dir, "s");
using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
listener.Bind(new UnixDomainSocketEndPoint(path));
listener.Listen(2);
var start = new ProcessStartInfo(Environment.ProcessPath!);
if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
{
    start.ArgumentList.Add(typeof(Program).Assembly.Location);
}

start.ArgumentList.Add("child");
start.ArgumentList.Add(path);
using Process child = Process.Start(start)!;
try
{
    using Socket raw = await listener.AcceptAsync();
    using Socket brokerSocket = await listener.AcceptAsync();
    await using IpcConnection connection = IpcConnection.Start(new NetworkStream(brokerSocket, ownsSocket: false), new IpcEventRegistry(IpcSide.Main), new IpcCaller(IpcSide.Mini, "bench", MiniAppVerType.Release, child.Id), options);
    byte[] data = new byte[Size];
    Random.Shared.NextBytes(data);
    byte[] rawBuffer = new byte[Size];
    var rawUp = new List<double>();
    var rawDown = new List<double>();
    var up = new List<double>();
    var down = new List<double>();
    int warmup = 3;
    for (int round = 0; round < rounds + warmup; round++)
    {
        // Raw host -> mini: 4-byte length + bytes, one byte back once all arrived.
        long t = Stopwatch.GetTimestamp();
        raw.Send(BitConverter.GetBytes(Size));
        await raw.SendAsync(data.AsMemory());
        await raw.ReceiveAsync(rawBuffer.AsMemory(0, 1));
        double rawUpS = Stopwatch.GetElapsedTime(t).TotalSeconds;

        // Raw mini -> host: ask for Size bytes, read them all.
        t = Stopwatch.GetTimestamp();
        raw.Send(BitConverter.GetBytes(-Size));
        int got = 0;
        while (got < Size)
        {
            got += await raw.ReceiveAsync(rawBuffer.AsMemory(got));
        }

        double rawDownS = Stopwatch.GetElapsedTime(t).TotalSeconds;

        t = Stopwatch.GetTimestamp();
        IpcResult sent = await connection.CallAsync("bulk.sink", new Bundle().PutByteArray("data", data));
        double upS = Stopwatch.GetElapsedTime(t).TotalSeconds;
        if (!sent.IsSuccess || sent.Data.GetInt("length") != Size)
        {
            throw new InvalidOperationException($"sink: {sent.ErrorCode} {sent.ErrorMessage}");
        }

        t = Stopwatch.GetTimestamp();
        IpcResult fetched = await connection.CallAsync("bulk.source", new Bundle().PutInt("length", Size));
        double downS = Stopwatch.GetElapsedTime(t).TotalSeconds;
        if (!fetched.IsSuccess || fetched.Data.GetByteArray("data")?.Length != Size)
        {
            throw new InvalidOperationException($"source: {fetched.ErrorCode} {fetched.ErrorMessage}");
        }

        if (round >= warmup)
        {
            rawUp.Add(16 / rawUpS);
            rawDown.Add(16 / rawDownS);
            up.Add(16 / upS);
            down.Add(16 / downS);
        }
    }

    double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
    Console.WriteLine($"rounds {rounds} (+{warmup} warm-up), MiB/s medians");
    Console.WriteLine($"raw   host->mini {Median(rawUp),8:0}   mini->host {Median(rawDown),8:0}");
    Console.WriteLine($"broker host->mini {Median(up),7:0}   mini->host {Median(down),8:0}");
    Console.WriteLine($"ratio host->mini {Median(up) / Median(rawUp),8:0.000}   mini->host {Median(down) / Median(rawDown),8:0.000}");
    raw.Send(BitConverter.GetBytes(0));
}
finally
{
    if (!child.WaitForExit(5000))
    {
        child.Kill();
    }

    Directory.Delete(dir, recursive: true);
}

return 0;

async Task<int> ChildAsync(string socketPath)
{
    using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    await raw.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
    using var brokerSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    await brokerSocket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
    var registry = new IpcEventRegistry(IpcSide.Mini);
    byte[] source = new byte[Size];
    Random.Shared.NextBytes(source);
    registry.AddHandler("bulk.sink", req => Task.FromResult(new Bundle().PutInt("length", req.Data.GetByteArray("data")?.Length ?? -1)));
    registry.AddHandler("bulk.source", req => Task.FromResult(new Bundle().PutByteArray("data", source)));
    await using IpcConnection connection = IpcConnection.Start(new NetworkStream(brokerSocket, ownsSocket: false), registry, new IpcCaller(IpcSide.Main, "host", MiniAppVerType.Release, 0), options);
    byte[] buffer = new byte[Size];
    byte[] header = new byte[4];
    while (true)
    {
        int h = 0;
        while (h < 4)
        {
            int n = await raw.ReceiveAsync(header.AsMemory(h));
            if (n == 0)
            {
                return 0;
            }

            h += n;
        }

        int length = BitConverter.ToInt32(header);
        if (length == 0)
        {
            return 0;
        }

        if (length > 0)
        {
            int got = 0;
            while (got < length)
            {
                got += await raw.ReceiveAsync(buffer.AsMemory(got, length - got));
            }

            raw.Send(header.AsSpan(0, 1));
        }
        else
        {
            await raw.SendAsync(source.AsMemory(0, -length));
        }
    }
}
