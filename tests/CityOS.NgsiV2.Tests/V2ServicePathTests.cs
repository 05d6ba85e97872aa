using System.Net;
using System.Text.Json.Nodes;
using CityOS.Testing;
using static CityOS.NgsiV2.Tests.V2Client;

namespace CityOS.NgsiV2.Tests;

/// <summary>Fiware-ServicePath as Orion keeps it: per entity, hierarchical and listed in queries, the NGSI-LD scope on the broker.</summary>
public sealed class V2ServicePathTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>, IAsyncLifetime
{
    private readonly V2Client _api = new(host.Client, "sp" + Guid.NewGuid().ToString("N")[..12]);
    private NotificationReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await NotificationReceiver.StartNewAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    /// <summary>Orion's service path example: parks of Madrid under /Madrid/Gardens, a root entity, one in /Valencia.</summary>
    private async Task CreateParksAsync()
    {
        foreach (var (path, id) in new[] { ("/Madrid/Gardens/ParqueNorte", "Tree1"), ("/Madrid/Gardens/ParqueOeste", "Tree2"), ("/Madrid/Gardens", "Tree3"), ("/Valencia", "Tree4"), (null, "Tree5") })
        {
            var created = await _api.In(path).PostAsync("/v2/entities", J($$$"""{"id":"{{{id}}}","type":"Tree","height":{"type":"Number","value":{{{id[^1]}}}}}"""));
            Assert.Equal(HttpStatusCode.Created, created.Status);
        }
    }

    private async Task<string[]> IdsAsync(string? path, string query = "")
    {
        var listed = await _api.In(path).GetAsync("/v2/entities?type=Tree&options=keyValues&attrs=id" + query);
        Assert.True(listed.Status == HttpStatusCode.OK, listed.Text);
        return listed.Json!.AsArray().Select(e => e!["id"]!.GetValue<string>()).Order().ToArray();
    }

    [Fact]
    public async Task Queries_select_one_path_several_paths_a_subtree_or_everything()
    {
        await CreateParksAsync();

        Assert.Equal(["Tree1", "Tree2", "Tree3", "Tree4", "Tree5"], await IdsAsync(null));
        Assert.Equal(["Tree1", "Tree2", "Tree3", "Tree4", "Tree5"], await IdsAsync("/#"));
        Assert.Equal(["Tree5"], await IdsAsync("/"));
        Assert.Equal(["Tree1"], await IdsAsync("/Madrid/Gardens/ParqueNorte"));
        Assert.Equal(["Tree3"], await IdsAsync("/Madrid/Gardens"));
        Assert.Equal(["Tree1", "Tree2", "Tree3"], await IdsAsync("/Madrid/Gardens/#"));
        Assert.Equal(["Tree1", "Tree2", "Tree3"], await IdsAsync("/Madrid/#"));
        Assert.Equal(["Tree1", "Tree2"], await IdsAsync("/Madrid/Gardens/ParqueNorte, /Madrid/Gardens/ParqueOeste"));
        Assert.Equal(["Tree4", "Tree5"], await IdsAsync("/,/Valencia/"));
        Assert.Empty(await IdsAsync("/Sevilla"));
        Assert.Equal(["Tree2", "Tree3"], await IdsAsync("/Madrid/#", "&q=height>1"));

        var counted = await _api.In("/Madrid/#").GetAsync("/v2/entities?options=count&limit=1");
        Assert.Equal("3", counted.Header("Fiware-Total-Count"));
        var types = await _api.In("/Valencia").GetAsync("/v2/types/Tree");
        Assert.Equal(1, types.Json!["count"]!.GetValue<int>());
        var batch = await _api.In("/Madrid/Gardens/#").PostAsync("/v2/op/query", J("""{"entities":[{"idPattern":"Tree[14]"}]}"""));
        JsonAssert.Equal("""[{"id":"Tree1","type":"Tree","height":{"type":"Number","value":1,"metadata":{}}}]""", batch.Json);
    }

    [Fact]
    public async Task An_entity_is_found_read_changed_and_deleted_only_in_its_own_path()
    {
        await CreateParksAsync();
        var norte = _api.In("/Madrid/Gardens/ParqueNorte");

        var one = await _api.GetAsync("/v2/entities/Tree1");
        Assert.True(one.Status == HttpStatusCode.OK, one.Text);
        Assert.Equal(HttpStatusCode.OK, (await _api.In("/Madrid/#").GetAsync("/v2/entities/Tree1")).Status);
        var elsewhere = await _api.In("/Valencia").GetAsync("/v2/entities/Tree1");
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.Status);
        JsonAssert.Equal("""{"error":"NotFound","description":"The requested entity has not been found. Check type and id"}""", elsewhere.Json);

        // A write without the header is in "/": Tree1 is not there.
        Assert.Equal(HttpStatusCode.NotFound, (await _api.PatchAsync("/v2/entities/Tree1/attrs", J("""{"height":{"type":"Number","value":10}}"""))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.DeleteAsync("/v2/entities/Tree1")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.In("/Valencia").PostAsync("/v2/op/update", J("""{"actionType":"update","entities":[{"id":"Tree1","type":"Tree","height":{"type":"Number","value":10}}]}"""))).Status);
        Assert.Equal(1, (await _api.GetAsync("/v2/entities/Tree1?options=keyValues")).Json!["height"]!.GetValue<int>());

        Assert.Equal(HttpStatusCode.NoContent, (await norte.PatchAsync("/v2/entities/Tree1/attrs", J("""{"height":{"type":"Number","value":10}}"""))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await norte.PutAsync("/v2/entities/Tree1/attrs", J("""{"height":{"type":"Number","value":11}}"""))).Status);
        JsonAssert.Equal("""[{"id":"Tree1","type":"Tree","height":11}]""", (await norte.GetAsync("/v2/entities?options=keyValues")).Json);
        Assert.Equal(HttpStatusCode.NoContent, (await norte.DeleteAsync("/v2/entities/Tree1")).Status);
        Assert.Equal(["Tree2", "Tree3"], await IdsAsync("/Madrid/#"));
    }

    /// <summary>README: unlike Orion, an id names one entity across all paths (taken in another path it is 422, and upsert there leaves it alone).</summary>
    [Fact]
    public async Task An_id_taken_in_another_path_is_422_and_upsert_there_changes_nothing()
    {
        await CreateParksAsync();
        var valencia = _api.In("/Valencia");

        var again = await valencia.PostAsync("/v2/entities", J("""{"id":"Tree1","type":"Tree","height":{"type":"Number","value":7}}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.Status);
        var upsert = await valencia.PostAsync("/v2/entities?options=upsert", J("""{"id":"Tree1","type":"Tree","height":{"type":"Number","value":7}}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, upsert.Status);

        Assert.Equal(1, (await _api.GetAsync("/v2/entities/Tree1?options=keyValues")).Json!["height"]!.GetValue<int>());
        Assert.Equal(["Tree4"], await IdsAsync("/Valencia"));
    }

    [Fact]
    public async Task The_path_is_the_NGSI_LD_scope_both_ways()
    {
        await CreateParksAsync();

        var ld = await _api.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-v2:Tree1");
        Assert.Equal("/Madrid/Gardens/ParqueNorte", ld.Json!["scope"]!.GetValue<string>());
        Assert.Null((await _api.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-v2:Tree5")).Json!["scope"]);
        var scoped = await _api.GetAsync("/ngsi-ld/v1/entities?type=Tree&scopeQ=/Madrid/%23&options=keyValues");
        Assert.Equal(["urn:ngsi-v2:Tree1", "urn:ngsi-v2:Tree2", "urn:ngsi-v2:Tree3"], scoped.Json!.AsArray().Select(e => e!["id"]!.GetValue<string>()).Order().ToArray());

        var created = await _api.PostAsync("/ngsi-ld/v1/entities", J("""{"id":"urn:ngsi-ld:Tree:9","type":"Tree","scope":"/Valencia/Turia","height":{"type":"Property","value":9}}"""));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(["Tree4", "urn:ngsi-ld:Tree:9"], await IdsAsync("/Valencia/#"));
        Assert.Equal(HttpStatusCode.NoContent, (await _api.In("/Valencia/Turia").PatchAsync("/v2/entities/urn:ngsi-ld:Tree:9/attrs", J("""{"height":{"type":"Number","value":12}}"""))).Status);
        var back = await _api.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Tree:9");
        Assert.Equal(("/Valencia/Turia", 12), (back.Json!["scope"]!.GetValue<string>(), back.Json["height"]!["value"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Notifications_carry_the_entitys_path_and_a_subscription_sees_only_its_paths()
    {
        var all = _receiver.NewPath();
        var madrid = _receiver.NewPath();
        foreach (var (path, url) in new[] { ((string?)null, all), ("/Madrid/#", madrid) })
        {
            var subscribed = await _api.In(path).PostAsync("/v2/subscriptions", J($$$"""{"subject":{"entities":[{"idPattern":".*","type":"Tree"}]},"notification":{"http":{"url":"{{{_receiver.Url(url)}}}"},"attrsFormat":"keyValues"}}"""));
            Assert.Equal(HttpStatusCode.Created, subscribed.Status);
        }

        await CreateParksAsync();

        var everything = await _receiver.WaitForAsync(all, 5);
        Assert.Equal(
            ["Tree1 /Madrid/Gardens/ParqueNorte", "Tree2 /Madrid/Gardens/ParqueOeste", "Tree3 /Madrid/Gardens", "Tree4 /Valencia", "Tree5 /"],
            everything.Select(n => n.Entity["id"]!.GetValue<string>() + " " + n.Headers["Fiware-ServicePath"]).Order().ToArray());
        var inMadrid = await _receiver.WaitForAsync(madrid, 3);
        await Task.Delay(300);
        Assert.Equal(["Tree1", "Tree2", "Tree3"], _receiver.Received(madrid).Select(n => n.Entity["id"]!.GetValue<string>()).Order().ToArray());
        Assert.Equal(3, inMadrid.Count);
    }

    [Theory]
    [InlineData("Madrid", "Only /absolute/ Service Paths allowed [a service path must begin with /]")]
    [InlineData("/Madrid/Gar-dens", "a component of ServicePath contains an illegal character")]
    [InlineData("/Madrid/#/Gardens", "a component of ServicePath contains an illegal character")]
    [InlineData("/a/b/c/d/e/f/g/h/i/j/k", "too many components in ServicePath")]
    [InlineData("/ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJK", "component-name too long in ServicePath")]
    [InlineData("/a,/b,/c,/d,/e,/f,/g,/h,/i,/j,/k", "too many service paths - a maximum of ten service paths is allowed")]
    public async Task Bad_paths_are_400_BadRequest_in_queries_and_writes_and_change_nothing(string path, string description)
    {
        var query = await _api.In(path).GetAsync("/v2/entities");
        Assert.Equal(HttpStatusCode.BadRequest, query.Status);
        JsonAssert.Equal($$"""{"error":"BadRequest","description":"{{description}}"}""", query.Json);

        var create = await _api.In(path).PostAsync("/v2/entities", J("""{"id":"Tree8","type":"Tree"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, create.Status);
        Assert.Equal("BadRequest", create.Json!["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await _api.GetAsync("/v2/entities/Tree8")).Status);
    }

    [Theory]
    [InlineData("/Madrid,/Valencia", "more than one service path in context update request")]
    [InlineData("/Madrid/#", "hierarchical service path not allowed in an update (\"#\" ends a path only in queries)")]
    public async Task A_write_takes_one_plain_path(string path, string description)
    {
        var create = await _api.In(path).PostAsync("/v2/entities", J("""{"id":"Tree8","type":"Tree"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, create.Status);
        JsonAssert.Equal(new JsonObject { ["error"] = "BadRequest", ["description"] = description }.ToJsonString(), create.Json);
        JsonAssert.Equal("[]", (await _api.GetAsync("/v2/entities")).Json);
    }
}
