using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Security;

namespace CityOS.Context.Tests.Broker;

/// <summary>
/// The keyset cursor of the context API (<see cref="ContextQuery.After"/>, <see cref="ContextPage.Next"/>) as a block
/// reads a whole selection with it: every entity once, in the broker's order, while others write, tenant by tenant.
/// </summary>
public sealed class ContextCursorTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private static readonly CallerIdentity Administrator = new()
    {
        Subject = "cursor-tests",
        TenantRoles = new Dictionary<string, IReadOnlyList<string>> { [SecurityTenants.All] = ["system-admin"] },
    };

    private IContextReader Reader => host.Services.GetRequiredService<IContextReader>();
    private IContextWriter Writer => host.Services.GetRequiredService<IContextWriter>();
    private static ContextCall Call(string tenant) => new(Administrator, tenant);
    private static string Tenant() => "cursor-" + Guid.NewGuid().ToString("N")[..12];

    private static JsonObject Entity(string type, int n, double longitude = 139.70) => new()
    {
        ["id"] = $"urn:ngsi-ld:{type}:{n:D4}",
        ["type"] = type,
        ["reading"] = new JsonObject { ["type"] = "Property", ["value"] = n },
        ["location"] = new JsonObject
        {
            ["type"] = "GeoProperty",
            ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(longitude + n * 0.0001, 35.66) },
        },
    };

    private static string Id(JsonObject entity) => entity["id"]!.GetValue<string>();

    /// <summary>Reads the query to its end, page by page through the cursor, calling <paramref name="between"/> with what was read after each page.</summary>
    private async Task<List<string>> ReadAllAsync(string tenant, ContextQuery query, Func<IReadOnlyList<string>, Task>? between = null)
    {
        var ids = new List<string>();
        var page = await Reader.QueryAsync(Call(tenant), query, default);
        for (var pages = 1; ; pages++)
        {
            Assert.True(page.Entities.Count <= query.Limit);
            ids.AddRange(page.Entities.Select(Id));
            if (page.Next is null) return ids;
            Assert.True(pages < 1000, "the cursor does not advance");
            if (between is not null) await between(ids);
            page = await Reader.QueryAsync(Call(tenant), query with { After = page.Next }, default);
        }
    }

    private async Task SeedAsync(string tenant, IEnumerable<JsonObject> entities)
    {
        var result = await Writer.UpsertBatchAsync(Call(tenant), entities.ToList(), update: false, default);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Pages_of_a_type_read_to_the_end_return_each_entity_once_in_the_order_of_offsets()
    {
        var tenant = Tenant();
        // Two types interleaved, so the type's own rows are not one range of the table.
        await SeedAsync(tenant, Enumerable.Range(0, 45).SelectMany(n => new[] { Entity("Sensor", n), Entity("Meter", n) }));

        var byCursor = await ReadAllAsync(tenant, new ContextQuery { Type = "Sensor", Limit = 7 });
        Assert.Equal(Enumerable.Range(0, 45).Select(n => $"urn:ngsi-ld:Sensor:{n:D4}"), byCursor);

        var byOffset = new List<string>();
        for (var offset = 0; offset < 45; offset += 7)
        {
            byOffset.AddRange((await Reader.QueryAsync(Call(tenant), new ContextQuery { Type = "Sensor", Limit = 7, Offset = offset }, default)).Entities.Select(Id));
        }
        Assert.Equal(byOffset, byCursor);

        // With q, which the broker checks on the documents, and with a page that ends exactly at the last match.
        var even = await ReadAllAsync(tenant, new ContextQuery { Type = "Sensor", Q = "reading<20", Limit = 5 });
        Assert.Equal(Enumerable.Range(0, 20).Select(n => $"urn:ngsi-ld:Sensor:{n:D4}"), even);

        var counted = await Reader.QueryAsync(Call(tenant), new ContextQuery { Type = "Sensor", Limit = 10, Count = true }, default);
        var rest = await Reader.QueryAsync(Call(tenant), new ContextQuery { Type = "Sensor", Limit = 10, Count = true, After = counted.Next }, default);
        Assert.Equal(45, counted.TotalCount);
        Assert.Equal(35, rest.TotalCount);
        Assert.Equal("urn:ngsi-ld:Sensor:0010", Id(rest.Entities[0]));
    }

    [Fact]
    public async Task Entities_created_and_deleted_between_pages_never_repeat_one_and_keep_every_other()
    {
        var tenant = Tenant();
        await SeedAsync(tenant, Enumerable.Range(0, 60).Select(n => Entity("Sensor", n)));
        var deletedAhead = new List<string>();
        var created = new List<string>();
        var read = await ReadAllAsync(tenant, new ContextQuery { Type = "Sensor", Limit = 8 }, async sofar =>
        {
            // Between every two pages: delete one already read and one not yet read, and create a new one.
            await Writer.DeleteEntityAsync(Call(tenant), sofar[^1], default);
            var ahead = Enumerable.Range(0, 60).Select(n => $"urn:ngsi-ld:Sensor:{n:D4}").LastOrDefault(id => !sofar.Contains(id) && !deletedAhead.Contains(id));
            if (ahead is not null)
            {
                await Writer.DeleteEntityAsync(Call(tenant), ahead, default);
                deletedAhead.Add(ahead);
            }
            var fresh = Entity("Sensor", 100 + created.Count);
            await Writer.CreateAsync(Call(tenant), fresh, default);
            created.Add(Id(fresh));
        });

        Assert.Equal(read.Count, read.Distinct(StringComparer.Ordinal).Count());
        var throughout = Enumerable.Range(0, 60).Select(n => $"urn:ngsi-ld:Sensor:{n:D4}").Except(deletedAhead);
        Assert.Equal(throughout, read.Where(id => !created.Contains(id)));
        Assert.NotEmpty(deletedAhead);
        Assert.DoesNotContain(read, deletedAhead.Contains);
        // Created after the cursor's position, so in the broker's order after everything read before: each one is read.
        Assert.Equal(created, read.Where(created.Contains));
    }

    [Fact]
    public async Task A_cursor_pages_one_tenant_only_and_one_the_broker_did_not_give_is_refused()
    {
        var (first, second) = (Tenant(), Tenant());
        await SeedAsync(first, Enumerable.Range(0, 12).Select(n => Entity("Sensor", n)));
        await SeedAsync(second, Enumerable.Range(500, 12).Select(n => Entity("Sensor", n)));

        var firstIds = await ReadAllAsync(first, new ContextQuery { Type = "Sensor", Limit = 5 });
        Assert.Equal(Enumerable.Range(0, 12).Select(n => $"urn:ngsi-ld:Sensor:{n:D4}"), firstIds);

        var page = await Reader.QueryAsync(Call(first), new ContextQuery { Type = "Sensor", Limit = 5 }, default);
        var elsewhere = await Reader.QueryAsync(Call(second), new ContextQuery { Type = "Sensor", Limit = 50, After = page.Next }, default);
        Assert.NotEmpty(elsewhere.Entities);
        Assert.All(elsewhere.Entities, e => Assert.StartsWith("urn:ngsi-ld:Sensor:05", Id(e)));

        foreach (var bad in new[] { "", "x", "-1", "5:1.0", "1e3" })
        {
            var refused = await Assert.ThrowsAsync<ContextException>(() => Reader.QueryAsync(Call(first), new ContextQuery { Type = "Sensor", After = bad }, default));
            Assert.Equal(ContextErrorKind.BadRequest, refused.Kind);
        }
    }

    [Fact]
    public async Task A_near_query_read_by_cursor_gives_the_same_entities_nearest_first_as_one_page()
    {
        var tenant = Tenant();
        await SeedAsync(tenant, Enumerable.Range(0, 30).Select(n => Entity("Sensor", n)));
        var near = new ContextQuery { Type = "Sensor", Geo = new ContextGeoQuery("near;maxDistance==2000", "Point", "[139.7015,35.66]"), Limit = 4 };

        var whole = await Reader.QueryAsync(Call(tenant), near with { Limit = 100 }, default);
        Assert.Equal(30, whole.Entities.Count);
        Assert.Null(whole.Next);
        Assert.Equal(whole.Entities.Select(Id), await ReadAllAsync(tenant, near));

        var refused = await Assert.ThrowsAsync<ContextException>(() => Reader.QueryAsync(Call(tenant), near with { After = "3" }, default));
        Assert.Equal(ContextErrorKind.BadRequest, refused.Kind);
    }
}
