using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.DeadLetters;
using CityOS.Context.Tests.Broker;
using CityOS.Context.Tests.Subscriptions;
using CityOS.Context.Tests.Temporal;

namespace CityOS.Context.Tests.DeadLetters;

/// <summary>
/// A change the notifier or the history cannot process is set aside as a dead letter, and both go on: with the next changes
/// of its tenant and with every other tenant. Poisoned tenants are named to come first in the consumers' round ("a..."),
/// the healthy ones last ("z..."), so that a stuck round would starve them.
/// </summary>
public sealed class PoisonChangeTests(SubscriptionHost host) : IClassFixture<SubscriptionHost>
{
    private static IEnumerable<JsonNode> Of(JsonArray letters, long position) => letters.Where(l => l!["position"]!.GetValue<long>() == position).Select(l => l!);

    /// <summary>Too deep to read back from the journal; a number that reads back as infinity, which no JSON writer takes.</summary>
    [Theory]
    [InlineData("nested300", "cannot be read")]
    [InlineData("1e400", "infinity")]
    public async Task A_poison_change_is_set_aside_and_notifications_and_history_go_on_in_every_tenant(string poison, string error)
    {
        var poisoned = Journal.NewTenant("a");
        var healthy = Journal.NewTenant("z");
        var type = Journal.NewType();
        var poisonedPath = await host.SubscribeToTypeAsync(type, poisoned);
        var healthyPath = await host.SubscribeToTypeAsync(type, healthy);
        await host.CreateEntityAsync(type, poisoned);
        await host.Receiver.WaitForAsync(poisonedPath);
        using var meter = new DeadLetterMeter(poisoned);

        var poisonId = Ngsi.Unique(type);
        var position = Journal.AppendCreation(host.DataDirectory, poisoned, poisonId,
            Journal.Document(poisonId, type, poison == "1e400" ? "1e400" : Journal.Nested(Journal.DeeperThanStored)));
        var fresh = await host.CreateEntityAsync(type, healthy);
        var next = await host.CreateEntityAsync(type, poisoned);

        Assert.Equal(fresh, (await host.Receiver.WaitForAsync(healthyPath)).Single().Entity["id"]!.GetValue<string>());
        await host.Client.WaitForHistoryAsync(fresh, "temperature", 1, healthy);
        Assert.Equal(next, (await host.Receiver.WaitForAsync(poisonedPath, 2))[1].Entity["id"]!.GetValue<string>());
        await host.Client.WaitForHistoryAsync(next, "temperature", 1, poisoned);

        var letters = await host.Client.DeadLettersAsync(poisoned);
        var set = Of(letters, position).ToList();
        Assert.Equal(["history", "notifier"], set.Select(l => l["consumer"]!.GetValue<string>()).Order());
        Assert.All(set, letter =>
        {
            Assert.Equal(poisonId, letter["entityId"]!.GetValue<string>());
            Assert.Equal(poisoned, letter["tenant"]!.GetValue<string>());
            Assert.Contains(error, letter["error"]!.GetValue<string>());
            Assert.Equal(1, letter["attempts"]!.GetValue<int>());
            Assert.True(DateTimeOffset.UtcNow - letter["failedAt"]!.GetValue<DateTimeOffset>() < TimeSpan.FromMinutes(5));
        });
        Assert.Equal(2, meter.Count);
        Assert.Empty(await host.Client.DeadLettersAsync(healthy));
    }

    [Fact]
    public async Task A_dead_letter_that_still_fails_is_kept_and_after_a_fix_its_retry_notifies_and_records_history()
    {
        var tenant = Journal.NewTenant("a");
        var type = Journal.NewType();
        var path = await host.SubscribeToTypeAsync(type, tenant);
        await host.CreateEntityAsync(type, tenant);
        var poisonId = Ngsi.Unique(type);
        var position = Journal.AppendCreation(host.DataDirectory, tenant, poisonId, Journal.Document(poisonId, type, Journal.Nested(Journal.DeeperThanStored)));
        var next = await host.CreateEntityAsync(type, tenant);
        await host.Receiver.WaitForAsync(path, 2);
        await host.Client.WaitForHistoryAsync(next, "temperature", 1, tenant);
        var letters = Of(await host.Client.DeadLettersAsync(tenant), position).Select(l => l["id"]!.GetValue<long>()).ToList();
        Assert.Equal(2, letters.Count);

        var stillBroken = await host.Client.RetryDeadLetterAsync(letters[0], tenant);
        var problem = await stillBroken.AssertProblemAsync(409, "Conflict");
        Assert.Contains("cannot be read", problem["detail"]!.GetValue<string>());
        Assert.Equal(2, Of(await host.Client.DeadLettersAsync(tenant), position).Single(l => l["id"]!.GetValue<long>() == letters[0])["attempts"]!.GetValue<int>());

        foreach (var letter in letters) Journal.RepairDeadLetter(host.DataDirectory, tenant, letter, Journal.Document(poisonId, type, "5"));
        foreach (var letter in letters) Assert.Equal(HttpStatusCode.NoContent, (await host.Client.RetryDeadLetterAsync(letter, tenant)).StatusCode);

        var retried = (await host.Receiver.WaitForAsync(path, 3))[2].Entity;
        Assert.Equal(poisonId, retried["id"]!.GetValue<string>());
        Assert.Equal(5, retried["temperature"]!["value"]!.GetValue<int>());
        var history = await host.Client.WaitForHistoryAsync(poisonId, "temperature", 1, tenant);
        Assert.Equal([5.0], Temporal.Temporal.Numbers(history["temperature"]));
        Assert.Empty(Of(await host.Client.DeadLettersAsync(tenant), position));
    }

    [Fact]
    public async Task A_dead_letter_can_be_read_and_dropped()
    {
        var tenant = Journal.NewTenant("a");
        var type = Journal.NewType();
        var path = await host.SubscribeToTypeAsync(type, tenant);
        await host.CreateEntityAsync(type, tenant);
        var poisonId = Ngsi.Unique(type);
        var position = Journal.AppendCreation(host.DataDirectory, tenant, poisonId, Journal.Document(poisonId, type, "1e400"));
        await host.CreateEntityAsync(type, tenant);
        await host.Receiver.WaitForAsync(path, 2);
        var letter = Of(await host.Client.DeadLettersAsync(tenant), position).Single(l => l["consumer"]!.GetValue<string>() == "notifier");
        var url = $"{DeadLettersApi.Path}/{letter["id"]}";

        var read = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, url, tenant: tenant));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(poisonId, (await read.BodyAsync())["entityId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.SendAsync(Ngsi.Request(HttpMethod.Delete, url, tenant: tenant))).StatusCode);
        await (await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, url, tenant: tenant))).AssertProblemAsync(404, "ResourceNotFound");
        await (await host.Client.SendAsync(Ngsi.Request(HttpMethod.Delete, url, tenant: tenant))).AssertProblemAsync(404, "ResourceNotFound");
        // Another tenant does not see it.
        await (await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{DeadLettersApi.Path}/{letter["id"]}", tenant: Journal.NewTenant("z")))).AssertProblemAsync(404, "ResourceNotFound");
    }
}
