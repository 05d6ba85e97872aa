using System.Net;
using System.Text.Json.Nodes;

namespace CityOS.Catalog.Tests;

public sealed class CkanActionTests(CatalogHost host) : IClassFixture<CatalogHost>
{
    private static string NewTenant() => "t" + Guid.NewGuid().ToString("N")[..12];

    private async Task<JsonObject> CreateSampleAsync(string tenant, string name = "sample-dataset-1")
    {
        await Ckan.ResultAsync(host.Client, "organization_create", new { name = "sample-organization", title = "Sample Organization", description = "This is a sample organization." }, tenant);
        return (await Ckan.ResultAsync(host.Client, "package_create", new
        {
            name,
            title = "Sample Dataset",
            notes = "A CKAN Dataset is a collection of data resources.",
            author = "Test Author",
            author_email = "test@email.com",
            maintainer = "Test Maintainer",
            maintainer_email = "test@email.com",
            license_id = "cc-by-4.0",
            owner_org = "sample-organization",
            version = "1.0",
            extras = new[] { new { key = "spatial", value = "{\"type\": \"Point\", \"coordinates\": [139.7, 35.6]}" } },
            tags = new[] { new { name = "csv" } },
            resources = new[] { new { name = "sample-linked.csv", url = "https://example.org/org1_sample.csv", format = "CSV", mimetype = "text/csv", description = "This is a sample resource added via url." } },
        }, tenant)).AsObject();
    }

    [Fact]
    public async Task Package_show_answers_the_shape_and_values_of_CKANs_example()
    {
        var tenant = NewTenant();
        var created = await CreateSampleAsync(tenant);
        var (status, body) = await Ckan.GetAsync(host.Client, "package_show?id=sample-dataset-1", tenant);
        Assert.Equal(HttpStatusCode.OK, status);
        var expected = Ckan.Fixture("package_show");
        Ckan.AssertSameShape(expected, body);
        var result = body["result"]!;
        foreach (var field in new[] { "author", "author_email", "isopen", "license_id", "license_title", "license_url", "maintainer", "name", "notes", "num_resources", "num_tags", "private", "state", "title", "type", "version" })
        {
            Assert.True(JsonNode.DeepEquals(expected["result"]![field], result[field]), $"{field}: {result[field]?.ToJsonString()}");
        }
        Assert.True(JsonNode.DeepEquals(expected["result"]!["extras"], result["extras"]));
        Assert.Equal(created["id"]!.GetValue<string>(), result["id"]!.GetValue<string>());
        Assert.Equal(result["organization"]!["id"]!.GetValue<string>(), result["owner_org"]!.GetValue<string>());
        Assert.Equal("sample-organization", result["organization"]!["name"]!.GetValue<string>());
        var resource = result["resources"]![0]!;
        foreach (var field in new[] { "description", "format", "mimetype", "name", "position", "state", "datastore_active" })
        {
            Assert.True(JsonNode.DeepEquals(expected["result"]!["resources"]![0]![field], resource[field]), field);
        }
        Assert.Equal(result["id"]!.GetValue<string>(), resource["package_id"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$", result["metadata_created"]!.GetValue<string>());
    }

    [Fact]
    public async Task Package_list_answers_CKANs_example_shape_with_public_active_names()
    {
        var tenant = NewTenant();
        await CreateSampleAsync(tenant, "b-dataset");
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "a-dataset" }, tenant);
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "c-private", @private = true, owner_org = "sample-organization" }, tenant);
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "d-deleted" }, tenant);
        await Ckan.ResultAsync(host.Client, "package_delete", new { id = "d-deleted" }, tenant);
        var (_, body) = await Ckan.GetAsync(host.Client, "package_list", tenant);
        Ckan.AssertSameShape(Ckan.Fixture("package_list"), body);
        Assert.Equal(["a-dataset", "b-dataset"], body["result"]!.AsArray().Select(n => n!.GetValue<string>()));
        var page = await Ckan.ResultAsync(host.Client, "package_list", new { limit = 1, offset = 1 }, tenant);
        Assert.Equal(["b-dataset"], page.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task Not_found_and_validation_errors_are_CKANs()
    {
        var tenant = NewTenant();
        var (status, body) = await Ckan.GetAsync(host.Client, "package_show?id=nothing-here", tenant);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Ckan.AssertSameShape(Ckan.Fixture("error_not_found"), body);
        Assert.Equal("Not Found Error", body["error"]!["__type"]!.GetValue<string>());
        Assert.False(body["success"]!.GetValue<bool>());

        await CreateSampleAsync(tenant);
        (status, body) = await Ckan.PostAsync(host.Client, "package_create", new { name = "sample-dataset-1" }, tenant);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Ckan.AssertSameShape(Ckan.Fixture("error_validation"), body);
        Assert.True(JsonNode.DeepEquals(Ckan.Fixture("error_validation")["error"], body["error"]));

        (status, body) = await Ckan.PostAsync(host.Client, "package_create", new { name = "Bad Name", owner_org = "no-such-org" }, tenant);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_", body["error"]!["name"]![0]!.GetValue<string>());
        Assert.Equal("Organization does not exist", body["error"]!["owner_org"]![0]!.GetValue<string>());

        (status, body) = await Ckan.PostAsync(host.Client, "package_create", new { title = "no name" }, tenant);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("Missing value", body["error"]!["name"]![0]!.GetValue<string>());
        Assert.Equal(["sample-dataset-1"], (await Ckan.ResultAsync(host.Client, "package_list", null, tenant)).AsArray().Select(n => n!.GetValue<string>()));

        (status, body) = await Ckan.GetAsync(host.Client, "no_such_action", tenant);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Action name not known", body["error"]!["message"]!.GetValue<string>());

        (status, body) = await Ckan.GetAsync(host.Client, "package_search?rows=abc", tenant);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.True(body["error"]!.AsObject().ContainsKey("rows"));
        (status, body) = await Ckan.GetAsync(host.Client, "package_search?q=unknownfield:x", tenant);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("Search Query Error", body["error"]!["__type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_patch_and_delete_change_what_show_and_search_answer()
    {
        var tenant = NewTenant();
        var created = await CreateSampleAsync(tenant);
        var id = created["id"]!.GetValue<string>();

        var patched = (await Ckan.ResultAsync(host.Client, "package_patch", new { id, title = "Patched title" }, tenant)).AsObject();
        Assert.Equal("Patched title", patched["title"]!.GetValue<string>());
        Assert.Equal("Test Author", patched["author"]!.GetValue<string>());
        Assert.Equal(1, patched["num_resources"]!.GetValue<int>());

        var updated = (await Ckan.ResultAsync(host.Client, "package_update", new { id, name = "renamed", title = "Updated", tags = new[] { new { name = "river" } } }, tenant)).AsObject();
        Assert.Equal("renamed", updated["name"]!.GetValue<string>());
        Assert.Equal("", updated["author"]!.GetValue<string>());
        Assert.Equal(["river"], updated["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(1, updated["num_resources"]!.GetValue<int>());
        var (status, _) = await Ckan.GetAsync(host.Client, "package_show?id=sample-dataset-1", tenant);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(["river"], (await Ckan.ResultAsync(host.Client, "tag_list", null, tenant)).AsArray().Select(t => t!.GetValue<string>()));

        var (deleteStatus, deleted) = await Ckan.PostAsync(host.Client, "package_delete", new { id = "renamed" }, tenant);
        Assert.Equal(HttpStatusCode.OK, deleteStatus);
        Assert.Null(deleted["result"]);
        Assert.Equal(0, (await Ckan.ResultAsync(host.Client, "package_search", null, tenant))["count"]!.GetValue<int>());
        Assert.Empty((await Ckan.ResultAsync(host.Client, "package_list", null, tenant)).AsArray());
        Assert.Equal("deleted", (await Ckan.ResultAsync(host.Client, "package_show", new { id }, tenant))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Resources_are_created_shown_updated_and_deleted()
    {
        var tenant = NewTenant();
        var created = await CreateSampleAsync(tenant);
        var resource = (await Ckan.ResultAsync(host.Client, "resource_create", new { package_id = "sample-dataset-1", name = "水位.json", url = "https://example.org/w.json", format = "JSON" }, tenant)).AsObject();
        Assert.Equal(1, resource["position"]!.GetValue<int>());
        Assert.Equal(created["id"]!.GetValue<string>(), resource["package_id"]!.GetValue<string>());
        Ckan.AssertSameShape(Ckan.Fixture("package_show")["result"]!["resources"]![0], resource);
        var id = resource["id"]!.GetValue<string>();

        Assert.Equal("水位.json", (await Ckan.ResultAsync(host.Client, "resource_show", new { id }, tenant))["name"]!.GetValue<string>());
        var updated = await Ckan.ResultAsync(host.Client, "resource_update", new { id, name = "level.geojson", url = "https://example.org/w.geojson", format = "GeoJSON" }, tenant);
        Assert.Equal("GeoJSON", updated["format"]!.GetValue<string>());
        var facets = await Ckan.ResultAsync(host.Client, "package_search", new Dictionary<string, object> { ["facet.field"] = "[\"res_format\"]" }, tenant);
        Assert.Equal(1, facets["facets"]!["res_format"]!["GeoJSON"]!.GetValue<int>());

        await Ckan.ResultAsync(host.Client, "resource_delete", new { id }, tenant);
        var (status, body) = await Ckan.PostAsync(host.Client, "resource_show", new { id }, tenant);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("Not Found Error", body["error"]!["__type"]!.GetValue<string>());
        Assert.Equal(1, (await Ckan.ResultAsync(host.Client, "package_show", new { id = "sample-dataset-1" }, tenant))["num_resources"]!.GetValue<int>());
        (status, _) = await Ckan.PostAsync(host.Client, "resource_create", new { package_id = "nothing", url = "x" }, tenant);
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Organizations_licenses_and_status()
    {
        var tenant = NewTenant();
        await CreateSampleAsync(tenant);
        Assert.Equal(["sample-organization"], (await Ckan.ResultAsync(host.Client, "organization_list", null, tenant)).AsArray().Select(o => o!.GetValue<string>()));
        var shown = await Ckan.ResultAsync(host.Client, "organization_show", new { id = "sample-organization" }, tenant);
        Assert.Equal(1, shown["package_count"]!.GetValue<int>());
        Assert.True(shown["is_organization"]!.GetValue<bool>());
        Assert.Equal("Sample Organization", shown["display_name"]!.GetValue<string>());
        var (status, body) = await Ckan.PostAsync(host.Client, "organization_create", new { name = "sample-organization" }, tenant);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("Group name already exists in database", body["error"]!["name"]![0]!.GetValue<string>());
        (status, _) = await Ckan.GetAsync(host.Client, "organization_show?id=none", tenant);
        Assert.Equal(HttpStatusCode.NotFound, status);

        var licenses = (await Ckan.ResultAsync(host.Client, "license_list")).AsArray();
        Assert.Contains(licenses, l => l!["id"]!.GetValue<string>() == "cc-by-4.0" && l["od_conformance"]!.GetValue<string>() == "approved");
        Assert.Contains(licenses, l => l!["title"]!.GetValue<string>().StartsWith("政府標準利用規約", StringComparison.Ordinal));
        var statusShow = await Ckan.ResultAsync(host.Client, "status_show");
        Assert.StartsWith("2.10", statusShow["ckan_version"]!.GetValue<string>());
        Assert.True((await Ckan.ResultAsync(host.Client, "site_read")).GetValue<bool>());
    }

    [Theory]
    [InlineData("package_search", "package_search?q=csv&facet.field=%5B%22tags%22%5D")]
    [InlineData("organization_show", "organization_show?id=sample-organization")]
    [InlineData("organization_list", "organization_list")]
    [InlineData("group_list", "group_list")]
    [InlineData("tag_list", "tag_list")]
    [InlineData("license_list", "license_list")]
    [InlineData("status_show", "status_show")]
    public async Task Read_actions_answer_the_shape_and_values_of_CKANs_examples(string action, string call)
    {
        var tenant = NewTenant();
        await CreateSampleAsync(tenant);
        var (status, body) = await Ckan.GetAsync(host.Client, call, tenant);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var expected = Ckan.Fixture(action);
        Ckan.AssertSameShape(expected, body);
        var (want, got) = (expected["result"]!, body["result"]!);
        switch (action)
        {
            case "package_search":
                Assert.Equal(1, got["count"]!.GetValue<int>());
                foreach (var field in new[] { "facets", "search_facets", "sort" }) Assert.True(JsonNode.DeepEquals(want[field], got[field]), $"{field}: {got[field]?.ToJsonString()}");
                foreach (var field in new[] { "name", "title", "notes", "license_id", "license_title", "isopen", "num_resources", "num_tags", "extras" })
                {
                    Assert.True(JsonNode.DeepEquals(want["results"]![0]![field], got["results"]![0]![field]), $"{field}: {got["results"]![0]![field]?.ToJsonString()}");
                }
                // A tag's id is the site's own; its name and state are CKAN's.
                Assert.Equal(want["results"]![0]!["tags"]!.AsArray().Select(t => t!["name"] + "/" + t["state"]), got["results"]![0]!["tags"]!.AsArray().Select(t => t!["name"] + "/" + t["state"]));
                break;
            case "organization_show":
                foreach (var field in new[] { "name", "title", "display_name", "description", "is_organization", "package_count", "type", "state", "approval_status", "users", "extras" })
                {
                    Assert.True(JsonNode.DeepEquals(want[field], got[field]), $"{field}: {got[field]?.ToJsonString()}");
                }
                break;
            case "license_list":
                Assert.All(got.AsArray(), licence => Ckan.AssertSameShape(want[0], licence));
                Assert.Contains(got.AsArray(), l => l!["id"]!.GetValue<string>() == "cc-by-4.0" && l["url"]!.GetValue<string>() == "https://creativecommons.org/licenses/by/4.0/");
                break;
            case "status_show":
                Assert.StartsWith("2.10", got["ckan_version"]!.GetValue<string>());
                Assert.Contains("dcat", got["extensions"]!.AsArray().Select(e => e!.GetValue<string>()));
                break;
            default:
                Assert.True(JsonNode.DeepEquals(want, got), got.ToJsonString());
                break;
        }
    }

    [Fact]
    public async Task Resource_show_answers_the_shape_and_values_of_CKANs_example_and_its_errors()
    {
        var tenant = NewTenant();
        var created = await CreateSampleAsync(tenant);
        var id = created["resources"]![0]!["id"]!.GetValue<string>();
        var (status, body) = await Ckan.GetAsync(host.Client, "resource_show?id=" + id, tenant);
        Assert.Equal(HttpStatusCode.OK, status);
        var expected = Ckan.Fixture("resource_show");
        Ckan.AssertSameShape(expected, body);
        foreach (var field in new[] { "description", "format", "mimetype", "name", "position", "state", "datastore_active", "url_type", "size", "hash" })
        {
            Assert.True(JsonNode.DeepEquals(expected["result"]![field], body["result"]![field]), $"{field}: {body["result"]![field]?.ToJsonString()}");
        }
        Assert.Equal(created["id"]!.GetValue<string>(), body["result"]!["package_id"]!.GetValue<string>());

        (status, body) = await Ckan.GetAsync(host.Client, "resource_show?id=" + Guid.NewGuid(), tenant);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Ckan.AssertSameShape(Ckan.Fixture("error_not_found"), body);
        (status, body) = await Ckan.GetAsync(host.Client, "resource_show", tenant);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("Validation Error", body["error"]!["__type"]!.GetValue<string>());
        Assert.Equal("Missing value", body["error"]!["id"]![0]!.GetValue<string>());
        (status, body) = await Ckan.PostAsync(host.Client, "resource_create", new { url = "https://example.org/x.csv" }, tenant);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("Missing value", body["error"]!["package_id"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Tenants_are_isolated()
    {
        var (one, two) = (NewTenant(), NewTenant());
        await CreateSampleAsync(one);
        var (status, _) = await Ckan.GetAsync(host.Client, "package_show?id=sample-dataset-1", two);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Empty((await Ckan.ResultAsync(host.Client, "package_list", null, two)).AsArray());
    }
}
