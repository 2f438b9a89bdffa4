namespace IpcBroker.MainProcess.Hosting;

/// <summary>Keeps the last few lines a child wrote to standard error, to explain a failed start. Thread-safe.</summary>
internal sealed class StderrTail
{
    private const int MaxLines = 10;
    private readonly Queue<string> lines = new();

    public void Add(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        lock (this.lines)
        {
            this.lines.Enqueue(line.Length > 500 ? line[..500] : line);
            if (this.lines.Count > MaxLines)
            {
                this.lines.Dequeue();
            }
        }
    }

    public override string ToString()
    {
        lock (this.lines)
        {
            return string.Join(Environment.NewLine, this.lines);
        }
    }
}
