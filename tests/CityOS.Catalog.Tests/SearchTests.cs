using System.Net;
using System.Text.Json.Nodes;
using CityOS.Catalog.Storage;
using CityOS.Core.Security;
using CityOS.Identity.Model;

namespace CityOS.Catalog.Tests;

public sealed class SearchTests(CatalogHost host) : IClassFixture<CatalogHost>
{
    private readonly string _tenant = "s" + Guid.NewGuid().ToString("N")[..12];
    private bool _seeded;

    private async Task SeedAsync()
    {
        if (_seeded) return;
        _seeded = true;
        await Ckan.ResultAsync(host.Client, "organization_create", new { name = "kobe-city", title = "神戸市" }, _tenant);
        await Create("river-levels", "河川水位観測データ", "市内の河川の水位を10分ごとに観測しています。", ["防災", "河川"], "CSV", "cc-by-4.0");
        await Create("rain-gauges", "雨量観測所", "かわの近くの雨量計。河川管理者が設置。", ["防災"], "JSON", "cc-by-4.0");
        await Create("bus-stops", "バス停留所一覧", "Bus stops of the city bus, with timetables.", ["交通"], "CSV", "gsl-2.0");
        await Create("population", "Population by district", "Residents per ward, updated monthly.", ["statistics"], "XLSX", "cc-zero");
        await Create("evacuation-sites", "指定緊急避難場所", "災害時の避難場所。ひなんばしょのリスト。", ["防災"], "GeoJSON", "gsl-2.0");
    }

    private Task<JsonNode> Create(string name, string title, string notes, string[] tags, string format, string license) =>
        Ckan.ResultAsync(host.Client, "package_create", new
        {
            name, title, notes, license_id = license, owner_org = "kobe-city",
            tags = tags.Select(t => new { name = t }).ToArray(),
            resources = new[] { new { url = $"https://example.org/{name}", format } },
        }, _tenant);

    private async Task<JsonNode> SearchAsync(Dictionary<string, object> parameters)
    {
        await SeedAsync();
        return await Ckan.ResultAsync(host.Client, "package_search", parameters, _tenant);
    }

    private async Task<string[]> NamesAsync(string q, string? sort = null)
    {
        var parameters = new Dictionary<string, object> { ["q"] = q };
        if (sort is not null) parameters["sort"] = sort;
        var result = await SearchAsync(parameters);
        var names = result["results"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).ToArray();
        Assert.Equal(names.Length, result["count"]!.GetValue<int>());
        return names;
    }

    [Fact]
    public async Task Kanji_finds_the_dataset_of_its_title_and_ranks_title_matches_first()
    {
        Assert.Equal(["river-levels", "rain-gauges"], await NamesAsync("河川"));
        Assert.Equal(["river-levels"], await NamesAsync("水位観測"));
    }

    [Fact]
    public async Task Kana_and_mixed_text_find_their_words()
    {
        Assert.Equal(["evacuation-sites"], await NamesAsync("ひなんばしょ"));
        Assert.Equal(["rain-gauges"], await NamesAsync("かわの近く"));
        Assert.Equal(["bus-stops"], await NamesAsync("バス停"));
    }

    [Fact]
    public async Task English_words_are_found_whatever_their_case_and_all_words_must_match()
    {
        Assert.Equal(["population"], await NamesAsync("population"));
        Assert.Equal(["population"], await NamesAsync("RESIDENTS ward"));
        Assert.Empty(await NamesAsync("residents timetables"));
        Assert.Equal(["bus-stops", "population"], await NamesAsync("residents OR timetables", "name asc"));
        Assert.Equal(["bus-stops"], await NamesAsync("\"city bus\""));
    }

    [Fact]
    public async Task Fields_filters_negation_sort_and_paging()
    {
        Assert.Equal(["evacuation-sites", "rain-gauges", "river-levels"], await NamesAsync("tags:防災", "name asc"));
        Assert.Equal(["evacuation-sites", "rain-gauges"], await NamesAsync("tags:防災 -河川水位", "name asc"));
        Assert.Equal(["bus-stops", "river-levels"], await NamesAsync("res_format:CSV", "name asc"));
        Assert.Equal(["bus-stops", "evacuation-sites"], await NamesAsync("license_id:gsl-2.0 AND organization:kobe-city", "name asc"));

        var filtered = await SearchAsync(new() { ["q"] = "*:*", ["fq"] = "tags:防災", ["sort"] = "name desc", ["rows"] = 2, ["start"] = 1 });
        Assert.Equal(3, filtered["count"]!.GetValue<int>());
        Assert.Equal(["rain-gauges", "evacuation-sites"], filtered["results"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        Assert.Equal("name desc", filtered["sort"]!.GetValue<string>());
    }

    [Fact]
    public async Task Fq_takes_a_metadata_modified_range_as_harvesters_send_it()
    {
        await SeedAsync();
        var since = (await Ckan.ResultAsync(host.Client, "package_show", new { id = "population" }, _tenant))["metadata_modified"]!.GetValue<string>();
        async Task<string[]> ModifiedAsync(string range)
        {
            var result = await SearchAsync(new() { ["q"] = "*:*", ["fq"] = "metadata_modified:" + range, ["sort"] = "name asc" });
            return [.. result["results"]!.AsArray().Select(r => r!["name"]!.GetValue<string>())];
        }

        Assert.Equal(["evacuation-sites", "population"], await ModifiedAsync($"[{since} TO *]"));
        Assert.Equal(["evacuation-sites"], await ModifiedAsync($"{{{since} TO NOW}}"));
        Assert.Empty(await ModifiedAsync($"[* TO {DateTime.UtcNow.AddDays(-1):yyyy-MM-dd}]"));
    }

    [Fact]
    public async Task Facets_count_tags_formats_organizations_and_licenses()
    {
        var result = await SearchAsync(new() { ["facet.field"] = "[\"tags\",\"res_format\",\"organization\",\"license_id\"]", ["rows"] = 0 });
        Assert.Equal(5, result["count"]!.GetValue<int>());
        Assert.Empty(result["results"]!.AsArray());
        Assert.Equal(3, result["facets"]!["tags"]!["防災"]!.GetValue<int>());
        Assert.Equal(2, result["facets"]!["res_format"]!["CSV"]!.GetValue<int>());
        Assert.Equal(5, result["facets"]!["organization"]!["kobe-city"]!.GetValue<int>());
        Assert.Equal(2, result["facets"]!["license_id"]!["gsl-2.0"]!.GetValue<int>());
        var items = result["search_facets"]!["tags"]!["items"]!.AsArray();
        Assert.Equal("防災", items[0]!["name"]!.GetValue<string>());
        Assert.Equal(3, items[0]!["count"]!.GetValue<int>());
        var limited = await SearchAsync(new() { ["facet.field"] = "[\"tags\"]", ["facet.limit"] = 1 });
        Assert.Single(limited["facets"]!["tags"]!.AsObject());
    }

    [Fact]
    public async Task A_search_answers_each_dataset_as_package_show_does_with_the_download_URLs_of_served_resources()
    {
        await SeedAsync();
        await Ckan.ResultAsync(host.Client, "resource_create", new { package_id = "river-levels", name = "現在の水位", url_type = "live", ngsi_type = "WaterLevelObserved" }, _tenant);
        var file = new ByteArrayContent("観測所,水位\n新町,1.25\n"u8.ToArray());
        var upload = await FileResourceTests.UploadAsync(host.Client, "resource_create", new() { ["package_id"] = "river-levels" }, file, "水位 (10分).csv", _tenant);
        Assert.True(upload["status"]!.GetValue<int>() == 200, upload.ToJsonString());

        var found = (await SearchAsync(new() { ["q"] = "name:river-levels" }))["results"]!.AsArray().Single()!;
        var shown = await Ckan.ResultAsync(host.Client, "package_show", new { id = "river-levels" }, _tenant);
        Assert.True(JsonNode.DeepEquals(shown, found), found.ToJsonString());
        Assert.Equal("神戸市", found["organization"]!["title"]!.GetValue<string>());
        var urls = found["resources"]!.AsArray().Select(r => r!["url"]!.GetValue<string>()).ToArray();
        Assert.Equal("https://example.org/river-levels", urls[0]);
        Assert.EndsWith("/download/WaterLevelObserved.csv", urls[1]);
        Assert.EndsWith("/download/" + Uri.EscapeDataString("水位 (10分).csv"), urls[2]);
        Assert.All(urls[1..], url => Assert.StartsWith(host.BaseAddress.ToString().TrimEnd('/') + "/dataset/", url));
    }

    [Fact]
    public async Task Changed_datasets_are_found_by_their_new_words_only_and_single_characters_are_found()
    {
        await SeedAsync();
        await Ckan.ResultAsync(host.Client, "package_patch", new { id = "population", title = "人口（町丁別）", tags = new[] { new { name = "統計" } } }, _tenant);
        Assert.Empty(await NamesAsync("district"));
        Assert.Equal(["population"], await NamesAsync("町丁"));
        Assert.Equal(["population"], await NamesAsync("tags:統計"));
        Assert.Empty(await NamesAsync("tags:statistics"));
        Assert.Equal(["evacuation-sites", "population", "rain-gauges", "river-levels"], await NamesAsync("の OR 人", "name asc"));
        Assert.Equal(["river-levels"], await NamesAsync("水 -雨", "name asc"));
    }
}

/// <summary>The search index follows the SQLite file: what another process (another store over the same file) writes is found.</summary>
public sealed class SearchIndexTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("catalog-index-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static IndexedPackage Package(string id, string name, string title, string modified) =>
        new(id, name, null, false, "active", modified, null, title, "", ["防災"], ["CSV"], [],
            new JsonObject { ["id"] = id, ["name"] = name, ["title"] = title, ["metadata_modified"] = modified, ["resources"] = new JsonArray() });

    private static async Task<string[]> NamesAsync(ICatalogStore store, string q)
    {
        var search = new CatalogSearch(CityOS.Catalog.Search.CkanQuery.Parse(q), [], false, null, [new SortKey("score", true), new SortKey("metadata_modified", true)], 10, 0, [], 0);
        var page = await store.SearchAsync(null, search, default);
        return [.. page.Results.Select(p =>
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer)) p.WriteTo(writer, "http://localhost", []);
            return JsonNode.Parse(buffer.WrittenSpan)!["name"]!.GetValue<string>();
        })];
    }

    [Fact]
    public async Task A_store_finds_what_another_store_wrote_to_the_same_file()
    {
        var data = new CityOS.Core.Hosting.DataDirectory(_folder);
        var (one, two) = (new SqliteCatalogStore(data), new SqliteCatalogStore(data));
        await one.SavePackageAsync(null, Package("a", "river", "河川水位", "2026-01-01T00:00:00.000000"), default);
        Assert.Equal(["river"], await NamesAsync(two, "河川"));
        await one.SavePackageAsync(null, Package("b", "river-2", "河川の水位", "2026-01-02T00:00:00.000000"), default);
        await one.SavePackageAsync(null, Package("a", "river", "雨量", "2026-01-03T00:00:00.000000"), default);
        Assert.Equal(["river-2"], await NamesAsync(two, "河川"));
        Assert.Equal(["river"], await NamesAsync(two, "雨量"));
        Assert.Equal(["river", "river-2"], await NamesAsync(two, "*:*"));
    }

    [Fact]
    public async Task Many_changes_of_one_dataset_leave_it_found_once_by_its_last_words()
    {
        var store = new SqliteCatalogStore(new CityOS.Core.Hosting.DataDirectory(_folder));
        await store.SavePackageAsync(null, Package("b", "shelters", "避難所", "2026-01-01T00:00:00.000000"), default);
        Assert.Equal(["shelters"], await NamesAsync(store, "*:*"));
        // More changes than the index keeps unused slots for: it compacts them while it reads them.
        for (var i = 0; i < 1200; i++) await store.SavePackageAsync(null, Package("a", "gauges", i % 2 == 1 ? "雨量計" : "水位計", $"2026-02-01T00:00:{i / 60 % 60:00}.{i:000000}"), default);
        Assert.Equal(["gauges"], await NamesAsync(store, "雨量"));
        Assert.Equal(["gauges", "shelters"], await NamesAsync(store, "*:*"));
        Assert.Empty(await NamesAsync(store, "水位"));
    }
}

public sealed class VisibilityTests(SecuredCatalogHost host) : IClassFixture<SecuredCatalogHost>
{
    [Fact]
    public async Task Private_datasets_are_seen_only_by_authorized_callers_and_anonymous_callers_cannot_write()
    {
        const string tenant = "visibility";
        await Ckan.ResultAsync(host.Client, "organization_create", new { name = "city-hall" }, tenant);
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "public-data", title = "公開データ" }, tenant);
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "internal-data", title = "内部データ", @private = true, owner_org = "city-hall" }, tenant);
        var anonymous = new HttpClient { BaseAddress = host.BaseAddress };

        var (status, body) = await Ckan.GetAsync(anonymous, "package_show?id=internal-data", tenant);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Ckan.AssertSameShape(Ckan.Fixture("error_authorization"), body);
        Assert.Equal("Authorization Error", body["error"]!["__type"]!.GetValue<string>());
        (status, _) = await Ckan.GetAsync(anonymous, "package_show?id=public-data", tenant);
        Assert.Equal(HttpStatusCode.OK, status);

        (_, body) = await Ckan.GetAsync(anonymous, "package_search?q=データ&include_private=true", tenant);
        Assert.Equal(["public-data"], body["result"]!["results"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        (_, body) = await Ckan.GetAsync(host.Client, "package_search?q=データ&include_private=true&sort=name%20asc", tenant);
        Assert.Equal(["internal-data", "public-data"], body["result"]!["results"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        (_, body) = await Ckan.GetAsync(host.Client, "package_search?q=データ", tenant);
        Assert.Equal(1, body["result"]!["count"]!.GetValue<int>());

        var member = await host.TokenAsync("city-hall-staff", new TenantMembership(tenant, BuiltInRoles.TenantAdmin));
        (status, _) = await Ckan.GetAsync(host.Client, "package_show?id=internal-data", tenant, member);
        Assert.Equal(HttpStatusCode.OK, status);
        var outsider = await host.TokenAsync("other-city", new TenantMembership("elsewhere", BuiltInRoles.TenantAdmin));
        (status, _) = await Ckan.GetAsync(host.Client, "package_show?id=internal-data", tenant, outsider);
        Assert.Equal(HttpStatusCode.Forbidden, status);

        (status, body) = await Ckan.PostAsync(anonymous, "package_create", new { name = "sneaky" }, tenant);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("Authorization Error", body["error"]!["__type"]!.GetValue<string>());
        (status, _) = await Ckan.PostAsync(anonymous, "package_delete", new { id = "public-data" }, tenant);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(["public-data"], (await Ckan.ResultAsync(anonymous, "package_list", null, tenant)).AsArray().Select(n => n!.GetValue<string>()));
    }
}
