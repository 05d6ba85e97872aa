using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace CityOS.Server.Tests;

/// <summary>At-least-once notification across a crash: every acknowledged write that matched a subscription is notified, even after SIGKILL.</summary>
public sealed class NotificationCrashTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-notify-crash-" + Guid.NewGuid().ToString("N"));
    private const string NotifyPath = "/notify";
    private NotificationReceiver _receiver = null!;
    private string _receiverUrl = "";

    public async Task InitializeAsync()
    {
        _receiver = await NotificationReceiver.StartNewAsync();
        _receiverUrl = _receiver.Url(NotifyPath);
    }

    /// <summary>The ids of the entities notified so far.</summary>
    private HashSet<string> Notified() =>
        [.. _receiver.Received(NotifyPath).SelectMany(n => n.Data).Select(entity => entity!["id"]!.GetValue<string>())];

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_acknowledged_matching_write_is_notified_after_kill_9_and_restart(bool receiverDownUntilRestart)
    {
        // While refused, notifications wait for retries, so the outbox holds them at the crash.
        if (receiverDownUntilRestart) _receiver.FailNext(NotifyPath, int.MaxValue);
        var acknowledged = new ConcurrentBag<string>();
        await using (var server = await CityOsProcess.StartAsync(_data))
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            var subscription = await client.PostAsync("/ngsi-ld/v1/subscriptions", new StringContent($$$$"""
                {"type": "Subscription", "entities": [{"type": "Meter"}], "notification": {"format": "keyValues", "endpoint": {"uri": "{{{{_receiverUrl}}}}"}}}
                """, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, subscription.StatusCode);

            await server.WriteUntilKilledAsync(16, async (writes, writer, i) =>
            {
                var entityId = $"urn:ngsi-ld:Meter:{writer}-{i}";
                var response = await writes.PostAsync("/ngsi-ld/v1/entities", new StringContent(
                    $$$"""{"id": "{{{entityId}}}", "type": "Meter", "reading": {"type": "Property", "value": {{{i}}}}}""", Encoding.UTF8, "application/json"));
                if (response.StatusCode == HttpStatusCode.Created) acknowledged.Add(entityId);
            }, () => acknowledged.Count >= 1500);
        }

        var notifiedBeforeRestart = Notified().Count;
        if (receiverDownUntilRestart)
        {
            Assert.Equal(0, notifiedBeforeRestart);
            _receiver.FailNext(NotifyPath, 0);
        }
        await using var restarted = await CityOsProcess.StartAsync(_data);
        var expected = acknowledged.ToHashSet();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !expected.IsSubsetOf(Notified())) await Task.Delay(100);
        var notified = Notified();
        var missing = expected.Where(id => !notified.Contains(id)).ToList();
        Assert.True(missing.Count == 0,
            $"{missing.Count} of {expected.Count} acknowledged writes were never notified (notified before the restart: {notifiedBeforeRestart}), e.g. {string.Join(", ", missing.Take(5))}");
    }
}
