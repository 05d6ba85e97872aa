using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Storage;

namespace CityOS.Blocks.Tests;

/// <summary>
/// The context API as a block sees it (IContextReader, IContextWriter from the running host): NGSI-LD normalized JSON
/// under the call's @context, the broker's rules, paging and counts, batches, and errors as <see cref="ContextException"/>s.
/// </summary>
public sealed class ContextApiTests(CounterHost host) : IClassFixture<CounterHost>
{
    private IContextReader Reader => host.Services.GetRequiredService<IContextReader>();
    private IContextWriter Writer => host.Services.GetRequiredService<IContextWriter>();
    private static ContextCall Call(string? tenant = null, IReadOnlyList<string>? context = null) => new(CounterHost.Administrator, tenant, context);
    private static string Tenant() => "api-" + Guid.NewGuid().ToString("N")[..12];

    private static JsonObject Sensor(string id, double temperature, double longitude = 139.70) => new()
    {
        ["id"] = id,
        ["type"] = "Sensor",
        ["temperature"] = new JsonObject { ["type"] = "Property", ["value"] = temperature, ["unitCode"] = "CEL" },
        ["location"] = new JsonObject
        {
            ["type"] = "GeoProperty",
            ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(longitude, 35.66) },
        },
    };

    [Fact]
    public async Task An_entity_written_through_the_contract_reads_back_normalized_and_through_NGSI_LD()
    {
        var tenant = Tenant();
        var entity = Sensor("urn:ngsi-ld:Sensor:1", 21.5);
        await Writer.CreateAsync(Call(tenant), entity, default);

        var read = await Reader.RetrieveAsync(Call(tenant), "urn:ngsi-ld:Sensor:1", null, default);
        Assert.Equal("Sensor", read["type"]!.GetValue<string>());
        Assert.Equal(21.5, read["temperature"]!["value"]!.GetValue<double>());
        Assert.Equal("CEL", read["temperature"]!["unitCode"]!.GetValue<string>());
        Assert.Equal("GeoProperty", read["location"]!["type"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Sensor:1", entity["id"]!.GetValue<string>());

        var projected = await Reader.RetrieveAsync(Call(tenant), "urn:ngsi-ld:Sensor:1", ["temperature"], default);
        Assert.Null(projected["location"]);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities/urn:ngsi-ld:Sensor:1");
        request.Headers.Add("NGSILD-Tenant", tenant);
        var viaHttp = await (await host.Client.SendAsync(request)).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(21.5, viaHttp!["temperature"]!["value"]!.GetValue<double>());
    }

    [Fact]
    public async Task Names_are_expanded_and_compacted_under_the_calls_context()
    {
        var tenant = Tenant();
        var context = new[] { host.ContextUrl };
        await Writer.CreateAsync(Call(tenant, context), Sensor("urn:ngsi-ld:Sensor:ctx", 18), default);

        var underTheContext = await Reader.RetrieveAsync(Call(tenant, context), "urn:ngsi-ld:Sensor:ctx", null, default);
        Assert.Equal("Sensor", underTheContext["type"]!.GetValue<string>());
        Assert.NotNull(underTheContext["temperature"]);

        var underTheCore = await Reader.RetrieveAsync(Call(tenant), "urn:ngsi-ld:Sensor:ctx", null, default);
        Assert.Equal(ContextDocumentBlock.Vocabulary + "Sensor", underTheCore["type"]!.GetValue<string>());
        Assert.NotNull(underTheCore[ContextDocumentBlock.Vocabulary + "temperature"]);
        Assert.Equal([ContextDocumentBlock.Vocabulary + "Sensor"], await Reader.ListTypesAsync(Call(tenant), default));
        Assert.Equal(["Sensor"], await Reader.ListTypesAsync(Call(tenant, context), default));
    }

    [Fact]
    public async Task A_query_selects_by_type_q_and_geo_pages_and_counts()
    {
        var tenant = Tenant();
        var result = await Writer.UpsertBatchAsync(Call(tenant),
            [Sensor("urn:ngsi-ld:Sensor:a", 10), Sensor("urn:ngsi-ld:Sensor:b", 20), Sensor("urn:ngsi-ld:Sensor:c", 30, longitude: 135.5)], update: false, default);
        Assert.Equal(3, result.Created.Count);

        var warm = await Reader.QueryAsync(Call(tenant), new ContextQuery { Type = "Sensor", Q = "temperature>15", Count = true }, default);
        Assert.Equal(2, warm.TotalCount);
        Assert.Equal(["urn:ngsi-ld:Sensor:b", "urn:ngsi-ld:Sensor:c"], warm.Entities.Select(e => e["id"]!.GetValue<string>()).Order());

        var page = await Reader.QueryAsync(Call(tenant), new ContextQuery { Type = "Sensor", Limit = 1, Offset = 1, Count = true, Attrs = ["temperature"] }, default);
        Assert.Equal(3, page.TotalCount);
        var only = Assert.Single(page.Entities);
        Assert.Null(only["location"]);

        var near = await Reader.QueryAsync(Call(tenant), new ContextQuery
        {
            Type = "Sensor",
            Geo = new ContextGeoQuery("near;maxDistance==10000", "Point", "[139.70,35.66]"),
        }, default);
        Assert.Equal(["urn:ngsi-ld:Sensor:a", "urn:ngsi-ld:Sensor:b"], near.Entities.Select(e => e["id"]!.GetValue<string>()).Order());

        var byId = await Reader.QueryAsync(Call(tenant), new ContextQuery { Ids = ["urn:ngsi-ld:Sensor:c"] }, default);
        Assert.Equal("urn:ngsi-ld:Sensor:c", Assert.Single(byId.Entities)["id"]!.GetValue<string>());
        Assert.Null(byId.TotalCount);
    }

    [Fact]
    public async Task Attribute_operations_change_what_the_NGSI_LD_API_shows()
    {
        var tenant = Tenant();
        const string id = "urn:ngsi-ld:Sensor:ops";
        await Writer.CreateAsync(Call(tenant), Sensor(id, 1), default);

        var updated = await Writer.UpdateAttributesAsync(Call(tenant), id, new JsonObject
        {
            ["temperature"] = new JsonObject { ["type"] = "Property", ["value"] = 2 },
            ["humidity"] = new JsonObject { ["type"] = "Property", ["value"] = 50 },
        }, default);
        Assert.Equal(["temperature"], updated.Updated);
        Assert.Equal("humidity", Assert.Single(updated.NotUpdated).Attribute);

        await Writer.AppendAttributesAsync(Call(tenant), id, new JsonObject { ["humidity"] = new JsonObject { ["type"] = "Property", ["value"] = 55 } }, noOverwrite: false, default);
        await Writer.PartialAttributeUpdateAsync(Call(tenant), id, "humidity", new JsonObject { ["value"] = 60 }, default);
        await Writer.DeleteAttributeAsync(Call(tenant), id, "location", null, deleteAll: false, default);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}");
        request.Headers.Add("NGSILD-Tenant", tenant);
        var shown = await (await host.Client.SendAsync(request)).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(2, shown!["temperature"]!["value"]!.GetValue<double>());
        Assert.Equal(60, shown["humidity"]!["value"]!.GetValue<double>());
        Assert.Null(shown["location"]);

        await Writer.ReplaceAsync(Call(tenant), new JsonObject { ["id"] = id, ["type"] = "Sensor" }, default);
        Assert.Null((await Reader.RetrieveAsync(Call(tenant), id, null, default))["humidity"]);

        await Writer.DeleteEntityAsync(Call(tenant), id, default);
        var gone = await Assert.ThrowsAsync<ContextException>(() => Reader.RetrieveAsync(Call(tenant), id, null, default));
        Assert.Equal(ContextErrorKind.NotFound, gone.Kind);
    }

    [Fact]
    public async Task A_batch_reports_each_entity_on_its_own()
    {
        var tenant = Tenant();
        await Writer.CreateAsync(Call(tenant), Sensor("urn:ngsi-ld:Sensor:taken", 1), default);

        var created = await Writer.CreateBatchAsync(Call(tenant),
            [Sensor("urn:ngsi-ld:Sensor:new", 1), Sensor("urn:ngsi-ld:Sensor:taken", 2), new JsonObject { ["id"] = "urn:ngsi-ld:Sensor:typeless" }], default);
        Assert.Equal(["urn:ngsi-ld:Sensor:new"], created.Succeeded);
        Assert.Equal(
            [("urn:ngsi-ld:Sensor:taken", ContextErrorKind.AlreadyExists), ("urn:ngsi-ld:Sensor:typeless", ContextErrorKind.BadRequest)],
            created.Errors.Select(e => (e.EntityId, e.Error.Kind)));

        var upserted = await Writer.UpsertBatchAsync(Call(tenant), [Sensor("urn:ngsi-ld:Sensor:new", 5), Sensor("urn:ngsi-ld:Sensor:other", 6)], update: true, default);
        Assert.Equal(["urn:ngsi-ld:Sensor:other"], upserted.Created);
        Assert.Equal(2, upserted.Succeeded.Count);

        var deleted = await Writer.DeleteBatchAsync(Call(tenant), ["urn:ngsi-ld:Sensor:new", "urn:ngsi-ld:Sensor:missing"], default);
        Assert.Equal(["urn:ngsi-ld:Sensor:new"], deleted.Succeeded);
        Assert.Equal(ContextErrorKind.NotFound, Assert.Single(deleted.Errors).Error.Kind);
    }

    [Fact]
    public async Task Errors_come_as_context_exceptions_of_their_kind()
    {
        var tenant = Tenant();
        await Writer.CreateAsync(Call(tenant), Sensor("urn:ngsi-ld:Sensor:e", 1), default);

        async Task<ContextErrorKind> KindOf(Func<Task> call) => (await Assert.ThrowsAsync<ContextException>(call)).Kind;

        Assert.Equal(ContextErrorKind.AlreadyExists, await KindOf(() => Writer.CreateAsync(Call(tenant), Sensor("urn:ngsi-ld:Sensor:e", 2), default)));
        Assert.Equal(ContextErrorKind.NotFound, await KindOf(() => Reader.RetrieveAsync(Call(tenant), "urn:ngsi-ld:Sensor:none", null, default)));
        Assert.Equal(ContextErrorKind.TenantNotFound, await KindOf(() => Reader.RetrieveAsync(Call(Tenant()), "urn:ngsi-ld:Sensor:e", null, default)));
        Assert.Equal(ContextErrorKind.TenantNotFound, await KindOf(() => Reader.ListTypesAsync(Call(Tenant()), default)));
        Assert.Equal(ContextErrorKind.BadRequest, await KindOf(() => Writer.CreateAsync(Call(tenant), new JsonObject { ["id"] = "urn:ngsi-ld:Sensor:f" }, default)));
        Assert.Equal(ContextErrorKind.BadRequest, await KindOf(() => Reader.RetrieveAsync(Call(tenant), "not a uri", null, default)));
        Assert.Equal(ContextErrorKind.BadRequest, await KindOf(() => Reader.QueryAsync(Call(tenant), new ContextQuery { Q = "temperature>>" }, default)));
        Assert.Equal(ContextErrorKind.BadRequest, await KindOf(() => Reader.QueryAsync(Call("bad tenant"), new ContextQuery { Type = "Sensor" }, default)));
        Assert.Equal(ContextErrorKind.BadRequest, await KindOf(() => Reader.QueryAsync(Call(tenant, ["relative/context.jsonld"]), new ContextQuery { Type = "Sensor" }, default)));
        Assert.Equal(ContextErrorKind.TooManyResults, await KindOf(() => Reader.QueryAsync(Call(tenant), new ContextQuery { Type = "Sensor", Limit = 100_000 }, default)));

        var withContext = Sensor("urn:ngsi-ld:Sensor:g", 1);
        withContext["@context"] = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
        Assert.Equal(ContextErrorKind.BadRequest, await KindOf(() => Writer.CreateAsync(Call(tenant), withContext, default)));
    }

    [Fact]
    public async Task Input_is_held_to_the_limits_of_a_request_body()
    {
        var deep = new JsonObject();
        var inner = deep;
        for (var i = 0; i < 40; i++)
        {
            var next = new JsonObject();
            inner["nested"] = next;
            inner = next;
        }
        var entity = Sensor("urn:ngsi-ld:Sensor:deep", 1);
        entity["deep"] = new JsonObject { ["type"] = "Property", ["value"] = deep };

        var refused = await Assert.ThrowsAsync<ContextException>(() => Writer.CreateAsync(Call(Tenant()), entity, default));

        Assert.Equal(ContextErrorKind.BadRequest, refused.Kind);
        Assert.Contains("CityOS:Limits:MaxJsonDepth", refused.Detail);
    }
}

/// <summary>The context API with security on: a call sees and changes only what the caller's grants allow.</summary>
public sealed class SecuredContextApiTests(SecuredCounterHost host) : IClassFixture<SecuredCounterHost>
{
    private IContextReader Reader => host.Services.GetRequiredService<IContextReader>();
    private IContextWriter Writer => host.Services.GetRequiredService<IContextWriter>();

    private static CallerIdentity Holding(string tenant, string role) => new()
    {
        Subject = "caller-" + Guid.NewGuid().ToString("N"),
        TenantRoles = new Dictionary<string, IReadOnlyList<string>> { [tenant] = [role] },
    };

    private static JsonObject Thing(string id) => new() { ["id"] = id, ["type"] = "Thing" };

    [Fact]
    public async Task A_caller_writes_and_reads_where_its_role_allows_and_is_refused_elsewhere()
    {
        var operatorOfA = Holding("city-a", "operator");
        await Writer.CreateAsync(new ContextCall(operatorOfA, "city-a"), Thing("urn:ngsi-ld:Thing:a1"), default);
        Assert.Equal("Thing", (await Reader.RetrieveAsync(new ContextCall(operatorOfA, "city-a"), "urn:ngsi-ld:Thing:a1", null, default))["type"]!.GetValue<string>());

        var elsewhere = await Assert.ThrowsAsync<ContextException>(() => Writer.CreateAsync(new ContextCall(operatorOfA, "city-b"), Thing("urn:ngsi-ld:Thing:b1"), default));
        Assert.Equal(ContextErrorKind.Forbidden, elsewhere.Kind);
        var readElsewhere = await Assert.ThrowsAsync<ContextException>(() => Reader.QueryAsync(new ContextCall(operatorOfA, "city-b"), new ContextQuery { Type = "Thing" }, default));
        Assert.Equal(ContextErrorKind.Forbidden, readElsewhere.Kind);
    }

    [Fact]
    public async Task A_caller_without_a_grant_is_forbidden_and_an_anonymous_one_unauthorized()
    {
        await Writer.CreateAsync(new ContextCall(CounterHost.Administrator, "city-c"), Thing("urn:ngsi-ld:Thing:c1"), default);
        var resident = Holding("city-c", "resident");

        var read = await Assert.ThrowsAsync<ContextException>(() => Reader.RetrieveAsync(new ContextCall(resident, "city-c"), "urn:ngsi-ld:Thing:c1", null, default));
        Assert.Equal(ContextErrorKind.Forbidden, read.Kind);
        var write = await Assert.ThrowsAsync<ContextException>(() => Writer.DeleteEntityAsync(new ContextCall(resident, "city-c"), "urn:ngsi-ld:Thing:c1", default));
        Assert.Equal(ContextErrorKind.Forbidden, write.Kind);
        var anonymous = await Assert.ThrowsAsync<ContextException>(() => Reader.ListTypesAsync(new ContextCall(CallerIdentity.Anonymous, "city-c"), default));
        Assert.Equal(ContextErrorKind.Unauthorized, anonymous.Kind);
    }

    [Fact]
    public async Task A_policy_that_grants_one_attribute_of_one_type_shows_only_that()
    {
        const string tenant = "city-e";
        var admin = new ContextCall(CounterHost.Administrator, tenant);
        await Writer.CreateAsync(admin, new JsonObject
        {
            ["id"] = "urn:ngsi-ld:Thing:e1",
            ["type"] = "Thing",
            ["open"] = new JsonObject { ["type"] = "Property", ["value"] = 1 },
            ["secret"] = new JsonObject { ["type"] = "Property", ["value"] = 2 },
        }, default);
        await Writer.CreateAsync(admin, new JsonObject { ["id"] = "urn:ngsi-ld:Other:e2", ["type"] = "Other" }, default);
        await host.Services.GetRequiredService<IIdentityStore>().SavePolicyAsync(new Policy
        {
            Id = "open-things",
            Tenant = tenant,
            Subject = new PolicySubject(Role: "open-reader"),
            Actions = [AccessAction.Read],
            EntityTypes = ["Thing"],
            Attributes = ["open"],
        }, default);
        host.Services.GetRequiredService<AccessPolicy>().Invalidate();
        var reader = new ContextCall(Holding(tenant, "open-reader"), tenant);

        var seen = await Reader.RetrieveAsync(reader, "urn:ngsi-ld:Thing:e1", null, default);
        Assert.NotNull(seen["open"]);
        Assert.Null(seen["secret"]);
        Assert.Equal(ContextErrorKind.NotFound, (await Assert.ThrowsAsync<ContextException>(() => Reader.RetrieveAsync(reader, "urn:ngsi-ld:Other:e2", null, default))).Kind);
        var all = await Reader.QueryAsync(reader, new ContextQuery { Count = true }, default);
        Assert.Equal(1, all.TotalCount);
        Assert.Empty((await Reader.QueryAsync(reader, new ContextQuery { Q = "secret==2" }, default)).Entities);
        Assert.Equal(["Thing"], await Reader.ListTypesAsync(reader, default));
        var write = await Assert.ThrowsAsync<ContextException>(() => Writer.UpdateAttributesAsync(reader, "urn:ngsi-ld:Thing:e1",
            new JsonObject { ["open"] = new JsonObject { ["type"] = "Property", ["value"] = 3 } }, default));
        Assert.Equal(ContextErrorKind.Forbidden, write.Kind);
    }

    [Fact]
    public async Task A_service_may_write_but_not_delete()
    {
        var service = Holding("city-d", "service");
        await Writer.CreateAsync(new ContextCall(service, "city-d"), Thing("urn:ngsi-ld:Thing:d1"), default);

        var delete = await Assert.ThrowsAsync<ContextException>(() => Writer.DeleteBatchAsync(new ContextCall(service, "city-d"), ["urn:ngsi-ld:Thing:d1"], default));

        Assert.Equal(ContextErrorKind.Forbidden, delete.Kind);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:d1");
        request.Headers.Add("NGSILD-Tenant", "city-d");
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(request)).StatusCode);
    }
}
