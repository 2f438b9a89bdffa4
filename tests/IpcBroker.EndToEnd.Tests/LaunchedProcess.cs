using System.Diagnostics;
using System.Text;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// A process started by a test (the launcher, directly), with its output collected. The test ends it by its pid
/// through <see cref="HostTestBase.TrackPid"/>, pass or fail.
/// </summary>
internal sealed class LaunchedProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();
    private readonly Task readOut;
    private readonly Task readErr;
    private readonly SemaphoreSlim stdoutChanged = new(0);
    private volatile bool stdoutEnded;

    private LaunchedProcess(Process process)
    {
        this.process = process;
        this.readOut = Collect(process.StandardOutput, this.stdout, () =>
        {
            this.stdoutEnded = true;
            this.stdoutChanged.Release();
        }, () => this.stdoutChanged.Release());
        this.readErr = Collect(process.StandardError, this.stderr, () => { }, () => { });
    }

    public int Id => this.process.Id;

    public StreamWriter Input => this.process.StandardInput;

    public int ExitCode => this.process.ExitCode;

    public string Stdout
    {
        get
        {
            lock (this.stdout)
            {
                return this.stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (this.stderr)
            {
                return this.stderr.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with a clean environment of <paramref name="environment"/> only.</summary>
    public static LaunchedProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        ProcessStartInfo info = new(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach ((string name, string value) in environment)
        {
            info.Environment[name] = value;
        }

        return new LaunchedProcess(Process.Start(info)!);
    }

    /// <summary>Waits until stdout has a line that contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, CancellationToken cancellationToken)
    {
        while (!this.Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (this.stdoutEnded)
            {
                throw new InvalidOperationException($"stdout ended without '{text}'. stdout: {this.Stdout} stderr: {this.Stderr}");
            }

            // Released by the reader after each piece of output and at its end.
            await this.stdoutChanged.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Waits for the exit and the end of both outputs.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await this.process.WaitForExitAsync(cancellationToken);
        await Task.WhenAll(this.readOut, this.readErr).WaitAsync(cancellationToken);
        return this.process.ExitCode;
    }

    public void Dispose()
    {
        this.process.Dispose();
        this.stdoutChanged.Dispose();
    }

    private static async Task Collect(StreamReader reader, StringBuilder into, Action ended, Action changed)
    {
        char[] buffer = new char[4096];
        int count;
        try
        {
            while ((count = await reader.ReadAsync(buffer)) > 0)
            {
                lock (into)
                {
                    into.Append(buffer, 0, count);
                }

                changed();
            }
        }
        finally
        {
            ended();
        }
    }
}
