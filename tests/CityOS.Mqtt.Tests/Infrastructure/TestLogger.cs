using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CityOS.Mqtt.Tests.Infrastructure;

/// <summary>Keeps what the client logs, so tests can assert on connects and reconnects, and echoes it to the test output.</summary>
public sealed class TestLogger(ITestOutputHelper? output = null) : ILogger
{
    private readonly ConcurrentQueue<(EventId Id, string Message)> _entries = new();

    public IReadOnlyList<string> Messages => [.. _entries.Select(e => e.Message)];

    public int Count(int eventId) => _entries.Count(e => e.Id.Id == eventId);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var message = formatter(state, exception);
        _entries.Enqueue((eventId, message));
        try
        {
            output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {message}");
        }
        catch (InvalidOperationException)
        {
            // The test has already finished; late background logs have nowhere to go.
        }
    }
}

/// <summary>Event ids of the client's log messages.</summary>
public static class LogEvents
{
    public const int Connected = 1;
    public const int ConnectionLost = 2;
    public const int ReconnectFailed = 4;
    public const int Reconnected = 5;
}
