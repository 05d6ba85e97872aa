using CityOS.Context.Tests.Broker;
using CityOS.Context.Tests.Subscriptions;
using CityOS.Context.Tests.Temporal;

namespace CityOS.Context.Tests.DeadLetters;

/// <summary>A poison change in the journal across restarts of the host on the same data directory: each start resumes normal work.</summary>
public sealed class PoisonRestartTests : IAsyncLifetime
{
    private readonly SubscriptionHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task A_poison_change_written_while_the_host_was_down_is_set_aside_once_and_every_tenant_goes_on_after_each_restart()
    {
        var poisoned = Journal.NewTenant("a");
        var healthy = Journal.NewTenant("z");
        var type = Journal.NewType();
        var poisonedPath = await _host.SubscribeToTypeAsync(type, poisoned);
        var healthyPath = await _host.SubscribeToTypeAsync(type, healthy);
        await _host.CreateEntityAsync(type, poisoned);
        await _host.Receiver.WaitForAsync(poisonedPath);
        var poisonId = Ngsi.Unique(type);

        await _host.RestartAsync(() => Journal.AppendCreation(_host.DataDirectory, poisoned, poisonId, Journal.Document(poisonId, type, Journal.Nested(Journal.DeeperThanStored))));
        for (var round = 1; round <= 2; round++)
        {
            var fresh = await _host.CreateEntityAsync(type, healthy);
            var next = await _host.CreateEntityAsync(type, poisoned);
            Assert.Equal(fresh, (await _host.Receiver.WaitForAsync(healthyPath, round))[round - 1].Entity["id"]!.GetValue<string>());
            await _host.Client.WaitForHistoryAsync(fresh, "temperature", 1, healthy);
            Assert.Equal(next, (await _host.Receiver.WaitForAsync(poisonedPath, round + 1))[round].Entity["id"]!.GetValue<string>());
            await _host.Client.WaitForHistoryAsync(next, "temperature", 1, poisoned);

            var letters = await _host.Client.DeadLettersAsync(poisoned);
            Assert.Equal(["history", "notifier"], letters.Select(l => l!["consumer"]!.GetValue<string>()).Order());
            Assert.All(letters, l => Assert.Equal(poisonId, l!["entityId"]!.GetValue<string>()));
            Assert.All(letters, l => Assert.Equal(1, l!["attempts"]!.GetValue<int>()));
            if (round == 1) await _host.RestartAsync();
        }
    }
}
