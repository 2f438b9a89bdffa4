using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace IpcBroker.Tests;

/// <summary>One log record kept by <see cref="TestLoggerProvider"/>.</summary>
public sealed record TestLogRecord(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);

/// <summary>Writes logs to the test output, labelled, and keeps every record so that tests can assert on them.</summary>
public sealed class TestLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    private readonly ConcurrentQueue<TestLogRecord> records = new();
    private readonly List<(Func<TestLogRecord, bool> Predicate, TaskCompletionSource<TestLogRecord> Signal)> waiters = [];

    public IReadOnlyCollection<TestLogRecord> Records => this.records;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public Task<TestLogRecord> WaitForAsync(Func<TestLogRecord, bool> predicate)
    {
        var signal = new TaskCompletionSource<TestLogRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (this.waiters)
        {
            this.waiters.Add((predicate, signal));
            foreach (TestLogRecord record in this.records)
            {
                if (predicate(record))
                {
                    signal.TrySetResult(record);
                }
            }
        }

        return signal.Task;
    }

    public void Dispose()
    {
    }

    private void Add(TestLogRecord record)
    {
        lock (this.waiters)
        {
            this.records.Enqueue(record);
            foreach ((Func<TestLogRecord, bool> predicate, TaskCompletionSource<TestLogRecord> signal) in this.waiters)
            {
                if (predicate(record))
                {
                    signal.TrySetResult(record);
                }
            }
        }

        try
        {
            output.WriteLine($"{DateTime.Now:HH:mm:ss.fff} [{record.Level}] {record.Category}: {record.Message}{(record.Exception is null ? string.Empty : " | " + record.Exception.GetType().Name + ": " + record.Exception.Message)}");
        }
        catch (InvalidOperationException)
        {
            // The test has ended; xunit refuses output after that.
        }
    }

    private sealed class Logger(TestLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new TestLogRecord(category, logLevel, eventId.Id, formatter(state, exception), exception));
    }
}
