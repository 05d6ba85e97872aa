using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Core.Security;
using CityOS.Identity.Model;

namespace CityOS.Identity.Tests.Http;

/// <summary>
/// A cityos with security on, tenant city-a seeded by its tenant-admin, two policies saved through the admin API
/// (residents read only the status of parking spots; one inspector account updates only building names), and a
/// token for each kind of caller.
/// </summary>
public sealed class SecuredBrokerFixture : IAsyncLifetime
{
    public const string Tenant = "city-a";
    public const string Spot = "urn:ngsi-ld:ParkingSpot:spot-1";
    public const string Building = "urn:ngsi-ld:Building:town-hall";

    public IdentityTestHost Host { get; } = IdentityTestHost.WithSettings("--CityOS:Security:Enabled", "true");
    public Dictionary<string, string?> Tokens { get; } = [];

    public async Task InitializeAsync()
    {
        await Host.InitializeAsync();
        Tokens["anonymous"] = null;
        Tokens["resident"] = await Host.UserTokenAsync(new TenantMembership(Tenant, BuiltInRoles.Resident));
        Tokens["service"] = await ClientTokenAsync(new TenantMembership(Tenant, BuiltInRoles.Service));
        Tokens["operator"] = await ClientTokenAsync(new TenantMembership(Tenant, BuiltInRoles.Operator));
        Tokens["tenant-admin"] = await Host.UserTokenAsync(new TenantMembership(Tenant, BuiltInRoles.TenantAdmin));
        Tokens["admin-of-city-b"] = await Host.UserTokenAsync(new TenantMembership("city-b", BuiltInRoles.TenantAdmin));
        Tokens["system-admin"] = await Host.UserTokenAsync(new TenantMembership(SecurityTenants.All, BuiltInRoles.SystemAdmin));
        var inspector = await Host.CreateAccountAsync("inspector-" + Guid.NewGuid().ToString("N")[..6]);
        Tokens["inspector"] = await TokenOfAsync(inspector);

        await SavePolicyAsync(new { id = "residents-read-parking-status", tenant = Tenant, subject = new { role = "resident" }, actions = new[] { "read" }, entityTypes = new[] { "ParkingSpot" }, attributes = new[] { "status" } });
        await SavePolicyAsync(new { id = "inspector-updates-building-names", tenant = Tenant, subject = new { account = inspector.Id }, actions = new[] { "read", "update" }, entityTypes = new[] { "Building" }, attributes = new[] { "name" } });
        await SavePolicyAsync(new { id = "residents-subscribe-parking", tenant = Tenant, subject = new { role = "resident" }, actions = new[] { "subscribe" }, entityTypes = new[] { "ParkingSpot" } });
        await SavePolicyAsync(new { id = "anyone-reads-buses", tenant = "city-c", subject = new { anonymous = true }, actions = new[] { "read" }, entityTypes = new[] { "Bus" } });

        await SeedAsync(Tenant, $$$"""{"id":"{{{Spot}}}","type":"ParkingSpot","status":{"type":"Property","value":"free"},"occupant":{"type":"Property","value":"Taro Yamada"}}""");
        await SeedAsync(Tenant, $$$"""{"id":"{{{Building}}}","type":"Building","name":{"type":"Property","value":"Town hall"},"height":{"type":"Property","value":21}}""");
        await SeedAsync("city-c", """{"id":"urn:ngsi-ld:Bus:1","type":"Bus","route":{"type":"Property","value":"7"}}""");
        await SeedAsync("city-b", """{"id":"urn:ngsi-ld:Building:b","type":"Building","name":{"type":"Property","value":"B hall"}}""");
        await SeedAsync("opendata", """{"id":"urn:ngsi-ld:Toilet:1","type":"PublicToilet","open":{"type":"Property","value":true}}""");
    }

    public Task DisposeAsync() => Host.DisposeAsync();

    public async Task<HttpResponseMessage> SendAsync(string who, HttpMethod method, string url, string? json = null, string tenant = Tenant, string contentType = "application/json")
    {
        using var http = Host.NewClient();
        var request = new HttpRequestMessage(method, url);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, contentType);
        // "" is the default tenant, which a request addresses without the header (a blank one is refused).
        if (tenant.Length > 0) request.Headers.Add("NGSILD-Tenant", tenant);
        if (Tokens[who] is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private async Task<string> ClientTokenAsync(params TenantMembership[] memberships)
    {
        var (id, secret) = await Host.CreateClientAsync(memberships: memberships);
        var (status, body) = await Host.TokenAsync(new() { ["grant_type"] = "client_credentials", ["scope"] = "ngsi-ld" }, id, secret);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return body["access_token"]!.GetValue<string>();
    }

    private async Task<string> TokenOfAsync(Account account)
    {
        var (clientId, secret) = await Host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        var code = await Host.SignInForCodeAsync(Host.NewBrowser(), clientId, verifier, account.Username);
        return (await Host.ExchangeCodeAsync(clientId, secret, code, verifier))["access_token"]!.GetValue<string>();
    }

    private async Task SavePolicyAsync(object policy)
    {
        using var http = Host.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/identity/v1/policies") { Content = JsonContent.Create(policy) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens["system-admin"]);
        var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task SeedAsync(string tenant, string entity)
    {
        var response = await SendAsync("system-admin", HttpMethod.Post, "/ngsi-ld/v1/entities", entity, tenant);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>AU-7 enforced on the NGSI-LD API: role × operation × resource, each cell an HTTP request and its answer.</summary>
public sealed class BrokerAccessTests(SecuredBrokerFixture fixture) : IClassFixture<SecuredBrokerFixture>
{
    private const string Tenant = SecuredBrokerFixture.Tenant;

    public static TheoryData<string, string, int> Table()
    {
        // Operations: read = GET a parking spot; query = GET /entities?type=Building; create = POST a Building;
        // update = PATCH a building's name; delete = DELETE a fresh Building; subscribe = POST /subscriptions.
        var rows = new (string Who, int Read, int Query, int Create, int Update, int Delete, int Subscribe)[]
        {
            ("anonymous", 401, 401, 401, 401, 401, 401),
            ("resident", 200, 200, 403, 403, 403, 201),
            ("inspector", 404, 200, 403, 204, 403, 403),
            ("service", 200, 200, 201, 204, 403, 201),
            ("operator", 200, 200, 201, 204, 204, 201),
            ("tenant-admin", 200, 200, 201, 204, 204, 201),
            ("admin-of-city-b", 403, 403, 403, 403, 403, 403),
            ("system-admin", 200, 200, 201, 204, 204, 201),
        };
        var data = new TheoryData<string, string, int>();
        foreach (var r in rows)
        {
            data.Add(r.Who, "read", r.Read);
            data.Add(r.Who, "query", r.Query);
            data.Add(r.Who, "create", r.Create);
            data.Add(r.Who, "update", r.Update);
            data.Add(r.Who, "delete", r.Delete);
            data.Add(r.Who, "subscribe", r.Subscribe);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Table))]
    public async Task Role_operation_resource(string who, string operation, int expected)
    {
        var fresh = "urn:ngsi-ld:Building:" + Guid.NewGuid().ToString("N");
        if (operation == "delete")
        {
            var seeded = await fixture.SendAsync("system-admin", HttpMethod.Post, "/ngsi-ld/v1/entities", Building(fresh));
            Assert.Equal(HttpStatusCode.Created, seeded.StatusCode);
        }
        var response = operation switch
        {
            "read" => await fixture.SendAsync(who, HttpMethod.Get, "/ngsi-ld/v1/entities/" + SecuredBrokerFixture.Spot),
            "query" => await fixture.SendAsync(who, HttpMethod.Get, "/ngsi-ld/v1/entities?type=Building"),
            "create" => await fixture.SendAsync(who, HttpMethod.Post, "/ngsi-ld/v1/entities", Building(fresh)),
            "update" => await fixture.SendAsync(who, HttpMethod.Patch, $"/ngsi-ld/v1/entities/{SecuredBrokerFixture.Building}/attrs", """{"name":{"type":"Property","value":"Town hall"}}"""),
            "delete" => await fixture.SendAsync(who, HttpMethod.Delete, "/ngsi-ld/v1/entities/" + fresh),
            "subscribe" => await fixture.SendAsync(who, HttpMethod.Post, "/ngsi-ld/v1/subscriptions",
                """{"type":"Subscription","entities":[{"type":"ParkingSpot"}],"notification":{"endpoint":{"uri":"http://127.0.0.1:9/notify"}}}"""),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"{who} {operation}: expected {expected}, got {(int)response.StatusCode} {body}");
        if (expected is 401 or 403)
        {
            var problem = JsonNode.Parse(body)!;
            Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + (expected == 401 ? "Unauthorized" : "Forbidden"), problem["type"]!.GetValue<string>());
            if (expected == 401) Assert.StartsWith("Bearer realm=\"CityOS\"", response.Headers.WwwAuthenticate.ToString());
        }
        if (operation is "create" or "delete" && expected is 401 or 403)
        {
            var after = await fixture.SendAsync("system-admin", HttpMethod.Get, "/ngsi-ld/v1/entities/" + fresh);
            Assert.Equal(operation == "create" ? HttpStatusCode.NotFound : HttpStatusCode.OK, after.StatusCode);
        }
    }

    [Fact]
    public async Task A_resident_sees_only_the_attributes_its_policy_names_and_cannot_filter_on_the_others()
    {
        var spot = JsonNode.Parse(await (await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/entities/" + SecuredBrokerFixture.Spot)).Content.ReadAsStringAsync())!;
        Assert.Equal("free", spot["status"]!["value"]!.GetValue<string>());
        Assert.Null(spot["occupant"]);

        var byStatus = await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/entities?type=ParkingSpot&q=status==%22free%22&count=true");
        Assert.Equal("1", byStatus.Headers.GetValues("NGSILD-Results-Count").Single());
        var byOccupant = await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/entities?type=ParkingSpot&q=occupant==%22Taro%20Yamada%22&count=true");
        Assert.Equal("0", byOccupant.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Equal("[]", await byOccupant.Content.ReadAsStringAsync());

        var buildings = await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/entities?type=Building");
        Assert.Equal("[]", await buildings.Content.ReadAsStringAsync());
        var hidden = await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/entities/" + SecuredBrokerFixture.Building);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);

        var types = JsonNode.Parse(await (await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/types")).Content.ReadAsStringAsync())!;
        Assert.Equal(["ParkingSpot"], types["typeList"]!.AsArray().Select(t => t!.GetValue<string>()));
        var attributes = JsonNode.Parse(await (await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/attributes")).Content.ReadAsStringAsync())!;
        Assert.Equal(["status"], attributes["attributeList"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task A_write_outside_the_granted_attributes_is_refused_and_changes_nothing()
    {
        var before = JsonNode.Parse(await (await fixture.SendAsync("system-admin", HttpMethod.Get, "/ngsi-ld/v1/entities/" + SecuredBrokerFixture.Building)).Content.ReadAsStringAsync())!;
        var refused = await fixture.SendAsync("inspector", HttpMethod.Patch, $"/ngsi-ld/v1/entities/{SecuredBrokerFixture.Building}/attrs",
            """{"name":{"type":"Property","value":"Renamed"},"height":{"type":"Property","value":99}}""");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("height", await refused.Content.ReadAsStringAsync());
        var building = JsonNode.Parse(await (await fixture.SendAsync("system-admin", HttpMethod.Get, "/ngsi-ld/v1/entities/" + SecuredBrokerFixture.Building)).Content.ReadAsStringAsync())!;
        Assert.Equal(before["name"]!["value"]!.GetValue<string>(), building["name"]!["value"]!.GetValue<string>());
        Assert.Equal(21, building["height"]!["value"]!.GetValue<int>());

        var viewed = JsonNode.Parse(await (await fixture.SendAsync("inspector", HttpMethod.Get, "/ngsi-ld/v1/entities/" + SecuredBrokerFixture.Building)).Content.ReadAsStringAsync())!;
        Assert.NotNull(viewed["name"]);
        Assert.Null(viewed["height"]);
    }

    [Fact]
    public async Task A_batch_reports_each_refused_entity_and_applies_the_allowed_ones()
    {
        var batch = $$$"""
            [{"id":"{{{SecuredBrokerFixture.Building}}}","type":"Building","name":{"type":"Property","value":"Town hall (batch)"}},
             {"id":"{{{SecuredBrokerFixture.Spot}}}","type":"ParkingSpot","status":{"type":"Property","value":"taken"}}]
            """;
        var response = await fixture.SendAsync("inspector", HttpMethod.Post, "/ngsi-ld/v1/entityOperations/update", batch);
        Assert.Equal((HttpStatusCode)207, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal([SecuredBrokerFixture.Building], result["success"]!.AsArray().Select(s => s!.GetValue<string>()));
        var error = result["errors"]!.AsArray().Single()!;
        Assert.Equal(SecuredBrokerFixture.Spot, error["entityId"]!.GetValue<string>());
        Assert.Equal(403, error["error"]!["status"]!.GetValue<int>());
        var spot = JsonNode.Parse(await (await fixture.SendAsync("system-admin", HttpMethod.Get, "/ngsi-ld/v1/entities/" + SecuredBrokerFixture.Spot)).Content.ReadAsStringAsync())!;
        Assert.Equal("free", spot["status"]!["value"]!.GetValue<string>());

        var resident = await fixture.SendAsync("resident", HttpMethod.Post, "/ngsi-ld/v1/entityOperations/upsert", batch);
        Assert.Equal(HttpStatusCode.Forbidden, resident.StatusCode);
    }

    [Fact]
    public async Task Tokens_are_checked_tenants_are_separate_and_open_data_is_readable_by_anyone()
    {
        var tampered = fixture.Tokens["service"]![..^4] + "AAAA";
        using var http = fixture.Host.NewClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities/" + SecuredBrokerFixture.Spot);
        request.Headers.Add("NGSILD-Tenant", Tenant);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tampered);
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());

        var otherTenant = await fixture.SendAsync("service", HttpMethod.Get, "/ngsi-ld/v1/entities/urn:ngsi-ld:Building:b", tenant: "city-b");
        Assert.Equal(HttpStatusCode.Forbidden, otherTenant.StatusCode);
        var defaultTenant = await fixture.SendAsync("service", HttpMethod.Get, "/ngsi-ld/v1/entities?type=Building", tenant: "");
        Assert.Equal(HttpStatusCode.Forbidden, defaultTenant.StatusCode);

        var open = await fixture.SendAsync("anonymous", HttpMethod.Get, "/ngsi-ld/v1/entities?type=PublicToilet", tenant: "opendata");
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.Contains("urn:ngsi-ld:Toilet:1", await open.Content.ReadAsStringAsync());
        var openWrite = await fixture.SendAsync("anonymous", HttpMethod.Post, "/ngsi-ld/v1/entities", Building("urn:ngsi-ld:Building:x"), tenant: "opendata");
        Assert.Equal(HttpStatusCode.Unauthorized, openWrite.StatusCode);

        var buses = await fixture.SendAsync("anonymous", HttpMethod.Get, "/ngsi-ld/v1/entities?type=Bus,Building", tenant: "city-c");
        Assert.Equal(HttpStatusCode.OK, buses.StatusCode);
        var ids = JsonNode.Parse(await buses.Content.ReadAsStringAsync())!.AsArray().Select(e => e!["id"]!.GetValue<string>());
        Assert.Equal(["urn:ngsi-ld:Bus:1"], ids);
    }

    [Fact]
    public async Task The_temporal_api_filters_and_guards_as_the_entity_api_does()
    {
        // History is recorded from the change journal shortly after the write.
        var history = await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/temporal/entities/" + SecuredBrokerFixture.Spot);
        for (var i = 0; i < 100 && history.StatusCode == HttpStatusCode.NotFound; i++)
        {
            await Task.Delay(50);
            history = await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/temporal/entities/" + SecuredBrokerFixture.Spot);
        }
        Assert.Equal(HttpStatusCode.OK, history.StatusCode);
        var body = JsonNode.Parse(await history.Content.ReadAsStringAsync())!;
        Assert.NotNull(body["status"]);
        Assert.Null(body["occupant"]);
        var building = await fixture.SendAsync("resident", HttpMethod.Get, "/ngsi-ld/v1/temporal/entities/" + SecuredBrokerFixture.Building);
        Assert.Equal(HttpStatusCode.NotFound, building.StatusCode);
        var write = await fixture.SendAsync("resident", HttpMethod.Post, "/ngsi-ld/v1/temporal/entities",
            $$$"""{"id":"{{{SecuredBrokerFixture.Spot}}}","type":"ParkingSpot","status":[{"type":"Property","value":"x","observedAt":"2026-11-01T00:00:00Z"}]}""");
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        var delete = await fixture.SendAsync("service", HttpMethod.Delete, "/ngsi-ld/v1/temporal/entities/" + SecuredBrokerFixture.Spot);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
    }

    [Theory]
    [InlineData("anonymous", 401)]
    [InlineData("resident", 403)]
    [InlineData("service", 201)]
    public async Task Hosting_a_context_needs_a_role_that_may_create_and_reading_one_needs_nothing(string who, int expected)
    {
        var response = await fixture.SendAsync(who, HttpMethod.Post, "/ngsi-ld/v1/jsonldContexts",
            $$$"""{"@context":{"sensorKind{{{Guid.NewGuid():N}}}":"https://example.org/sensorKind"}}""");
        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 201)
        {
            var hosted = await fixture.SendAsync("anonymous", HttpMethod.Get, response.Headers.Location!.OriginalString);
            Assert.Equal(HttpStatusCode.OK, hosted.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await fixture.SendAsync("resident", HttpMethod.Delete, response.Headers.Location!.OriginalString)).StatusCode);
        }
    }

    [Fact]
    public async Task Notifications_carry_only_what_the_subscriber_may_read_and_subscriptions_are_private_to_their_owner()
    {
        await using var receiver = await NotificationReceiver.StartNewAsync();
        var path = receiver.NewPath();
        var url = receiver.Url(path);
        var spot = "urn:ngsi-ld:ParkingSpot:" + Guid.NewGuid().ToString("N");
        var created = await fixture.SendAsync("system-admin", HttpMethod.Post, "/ngsi-ld/v1/entities",
            $$$"""{"id":"{{{spot}}}","type":"ParkingSpot","status":{"type":"Property","value":"free"},"occupant":{"type":"Property","value":"nobody"}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var subscribed = await fixture.SendAsync("resident", HttpMethod.Post, "/ngsi-ld/v1/subscriptions",
            $$$$"""{"type":"Subscription","entities":[{"id":"{{{{spot}}}}","type":"ParkingSpot"}],"notification":{"endpoint":{"uri":"{{{{url}}}}"}}}""");
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        var subscription = subscribed.Headers.Location!.OriginalString;

        var occupied = await fixture.SendAsync("system-admin", HttpMethod.Patch, $"/ngsi-ld/v1/entities/{spot}/attrs",
            """{"status":{"type":"Property","value":"taken"},"occupant":{"type":"Property","value":"Hanako Suzuki"}}""");
        Assert.Equal(HttpStatusCode.NoContent, occupied.StatusCode);
        var notification = (await receiver.NextAsync(path)).Body;
        var data = notification["data"]!.AsArray().Single()!;
        Assert.Equal("taken", data["status"]!["value"]!.GetValue<string>());
        Assert.Null(data["occupant"]);
        Assert.DoesNotContain("Hanako", notification.ToJsonString());

        // A change of an attribute the owner may not read does not notify it at all.
        await fixture.SendAsync("system-admin", HttpMethod.Patch, $"/ngsi-ld/v1/entities/{spot}/attrs", """{"occupant":{"type":"Property","value":"Jiro"}}""");
        await fixture.SendAsync("system-admin", HttpMethod.Patch, $"/ngsi-ld/v1/entities/{spot}/attrs", """{"status":{"type":"Property","value":"free"}}""");
        var next = (await receiver.NextAsync(path)).Body;
        Assert.Equal("free", next["data"]![0]!["status"]!["value"]!.GetValue<string>());
        Assert.DoesNotContain("Jiro", next.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, (await fixture.SendAsync("resident", HttpMethod.Get, subscription)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.SendAsync("service", HttpMethod.Get, subscription)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.SendAsync("service", HttpMethod.Delete, subscription)).StatusCode);
        var listed = await fixture.SendAsync("service", HttpMethod.Get, "/ngsi-ld/v1/subscriptions");
        Assert.DoesNotContain(url, await listed.Content.ReadAsStringAsync());
        var adminList = await fixture.SendAsync("tenant-admin", HttpMethod.Get, "/ngsi-ld/v1/subscriptions");
        Assert.Contains(url, await adminList.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.SendAsync("resident", HttpMethod.Delete, subscription)).StatusCode);
    }

    private static string Building(string id) => $$$"""{"id":"{{{id}}}","type":"Building","name":{"type":"Property","value":"New"}}""";
}
