using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace CityOS.Server.Tests;

/// <summary>`cityos backup`, `verify` and `restore` as an operator runs them, against a real server under write load.</summary>
public sealed class BackupTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cityos-backup-" + Guid.NewGuid().ToString("N"));

    private string Data => Path.Combine(_root, "data");
    private string Restored => Path.Combine(_root, "restored");
    private string Archive => Path.Combine(_root, "backup.tar.gz");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_backup_taken_while_a_client_writes_restores_every_entity_acknowledged_before_it_and_its_subscriptions_notify_and_a_damaged_one_fails_verify()
    {
        Directory.CreateDirectory(_root);
        var acknowledged = new ConcurrentQueue<(string Tenant, string Id)>();
        (string Tenant, string Id)[] beforeBackup;
        await using var receiver = await NotificationReceiver.StartNewAsync();
        var notifications = receiver.NewPath();
        await using (var server = await CityOsProcess.StartAsync(Data))
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/ngsi-ld/v1/subscriptions", new StringContent($$$$"""
                {"id": "urn:ngsi-ld:Subscription:gauges", "type": "Subscription", "entities": [{"type": "Gauge"}],
                 "notification": {"endpoint": {"uri": "{{{{receiver.Url(notifications)}}}}", "accept": "application/json"}}}
                """, Encoding.UTF8, "application/json"))).StatusCode);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(writer => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var tenant = writer % 2 == 0 ? "" : "city-a";
                    var id = $"urn:ngsi-ld:Meter:{writer}-{i}";
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entities")
                    {
                        Content = new StringContent($$$"""{"id": "{{{id}}}", "type": "Meter", "reading": {"type": "Property", "value": {{{i}}}}}""", Encoding.UTF8, "application/json"),
                    };
                    if (tenant.Length > 0) request.Headers.Add("NGSILD-Tenant", tenant);
                    var response = await client.SendAsync(request);
                    Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                    acknowledged.Enqueue((tenant, id));
                }
            })).ToArray();
            Assert.True(await Eventually.TrueAsync(() => acknowledged.Count >= 300, 60_000), $"only {acknowledged.Count} writes acknowledged in a minute");

            beforeBackup = acknowledged.ToArray();
            var backup = await CityOsProcess.RunCommandForResultAsync("backup", "--data", Data, "--to", Archive);
            var duringBackup = acknowledged.Count - beforeBackup.Length;
            stop.Cancel();
            await Task.WhenAll(writers);

            Assert.True(backup.ExitCode == 0, backup.Error);
            Assert.Contains("databases) of " + Data, backup.Output);
            Assert.True(duringBackup > 0, "no write was acknowledged while the backup ran: it did not run under load");
        }

        var verify = await CityOsProcess.RunCommandForResultAsync("verify", Archive);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains("every checksum right", verify.Output);

        var restore = await CityOsProcess.RunCommandForResultAsync("restore", Archive, "--data", Restored);
        Assert.True(restore.ExitCode == 0, restore.Error);
        var again = await CityOsProcess.RunCommandForResultAsync("restore", Archive, "--data", Restored);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is not empty", again.Error);

        await using (var restored = await CityOsProcess.StartAsync(Restored))
        {
            using var reader = new HttpClient { BaseAddress = restored.BaseAddress };
            var missing = new List<string>();
            foreach (var group in beforeBackup.GroupBy(e => e.Tenant))
            {
                foreach (var chunk in group.Select(e => e.Id).Chunk(100))
                {
                    using var query = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Meter&limit=1000&id=" + string.Join(",", chunk));
                    if (group.Key.Length > 0) query.Headers.Add("NGSILD-Tenant", group.Key);
                    var response = await reader.SendAsync(query);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    var found = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToHashSet();
                    missing.AddRange(chunk.Where(id => !found.Contains(id)).Select(id => $"{group.Key}/{id}"));
                }
            }
            Assert.True(missing.Count == 0, $"{missing.Count} of {beforeBackup.Length} entities acknowledged before the backup are not in the restored data, e.g. {string.Join(", ", missing.Take(5))}");
            Assert.Contains(beforeBackup, e => e.Tenant == "city-a");

            Assert.Equal(HttpStatusCode.Created, (await reader.PostAsync("/ngsi-ld/v1/entities", new StringContent(
                """{"id": "urn:ngsi-ld:Gauge:after-restore", "type": "Gauge", "level": {"type": "Property", "value": 3}}""", Encoding.UTF8, "application/json"))).StatusCode);
            Assert.True(await Eventually.TrueAsync(() => receiver.Received(notifications).Any(n => n.Data.Any(e => e!["id"]!.GetValue<string>() == "urn:ngsi-ld:Gauge:after-restore")), 90_000),
                "the restored subscription did not notify:\n" + await reader.GetStringAsync("/ngsi-ld/v1/subscriptions") + "\n" + restored.Output);
        }

        var damaged = Path.Combine(_root, "damaged.tar.gz");
        var bytes = await File.ReadAllBytesAsync(Archive);
        for (var i = bytes.Length / 2; i < bytes.Length / 2 + 16; i++) bytes[i] ^= 0x5a;
        await File.WriteAllBytesAsync(damaged, bytes);
        var bad = await CityOsProcess.RunCommandForResultAsync("verify", damaged);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"cityos verify: {damaged}: ", bad.Error);
        Assert.Contains("damaged", bad.Error);
        var refused = await CityOsProcess.RunCommandForResultAsync("restore", damaged, "--data", Path.Combine(_root, "from-damaged"));
        Assert.Equal(1, refused.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(_root, "from-damaged")));
    }
}
