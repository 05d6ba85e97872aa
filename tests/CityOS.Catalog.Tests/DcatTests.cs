using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CityOS.Identity.Model;

namespace CityOS.Catalog.Tests;

/// <summary>A triple as a real RDF client (jsonld, n3) parsed it; blank nodes keep the parser's labels.</summary>
public sealed record Triple(string S, string P, string O, string Kind, string? Lang, string? Datatype);

/// <summary>Parses DCAT exports with the npm packages jsonld and n3 (tests/CityOS.Catalog.Tests/js, `npm ci`).</summary>
internal static class RdfClient
{
    public const string Dcat = "http://www.w3.org/ns/dcat#";
    public const string Dct = "http://purl.org/dc/terms/";
    public const string Rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    public const string Xsd = "http://www.w3.org/2001/XMLSchema#";
    public const string Foaf = "http://xmlns.com/foaf/0.1/";
    public const string Hydra = "http://www.w3.org/ns/hydra/core#";
    public const string Spdx = "http://spdx.org/rdf/terms#";
    public const string Vcard = "http://www.w3.org/2006/vcard/ns#";

    private static string JsDirectory
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CityOS.Catalog.Tests.csproj"))) directory = directory.Parent;
            return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("CityOS.Catalog.Tests.csproj"), "js");
        }
    }

    /// <param name="format">jsonld, turtle or n3.</param>
    public static async Task<IReadOnlyList<Triple>> ParseAsync(string format, string document)
    {
        Assert.True(Directory.Exists(Path.Combine(JsDirectory, "node_modules")), $"The npm packages are not installed: run `npm ci` in {JsDirectory}.");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, document);
            var printed = await NodeScript.RunAsync(JsDirectory, "rdf-triples.js", format, file);
            return [.. JsonNode.Parse(printed)!.AsArray().Select(t => new Triple(
                t!["s"]!.GetValue<string>(), t["p"]!.GetValue<string>(), t["o"]!.GetValue<string>(), t["kind"]!.GetValue<string>(),
                t["lang"]?.GetValue<string>(), t["datatype"]?.GetValue<string>()))];
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static IEnumerable<string> Objects(this IReadOnlyList<Triple> triples, string subject, string predicate) =>
        triples.Where(t => t.S == subject && t.P == predicate).Select(t => t.O);

    public static string Single(this IReadOnlyList<Triple> triples, string subject, string predicate)
    {
        var values = triples.Objects(subject, predicate).ToArray();
        Assert.True(values.Length == 1, $"<{subject}> <{predicate}>: {values.Length} values ({string.Join(", ", values)})");
        return values[0];
    }

    /// <summary>The triples with blank nodes replaced by their place (predicate path), to compare two parses of one graph.</summary>
    public static ISet<string> Canonical(this IReadOnlyList<Triple> triples)
    {
        var parents = triples.Where(t => t.Kind == "blank").ToDictionary(t => t.O, t => t.S + " " + t.P);
        string Name(string node) => node.StartsWith("_:", StringComparison.Ordinal) && parents.TryGetValue(node, out var parent) ? "[" + parent + "]" : node;
        return triples.Select(t => $"{Name(t.S)} {t.P} {(t.Kind == "blank" ? Name(t.O) : t.O)} {t.Kind} {t.Lang} {t.Datatype}").ToHashSet();
    }
}

public sealed class DcatTests(DcatHost host) : IClassFixture<DcatHost>
{
    private static string NewTenant() => "d" + Guid.NewGuid().ToString("N")[..12];

    private string Site => host.BaseAddress.ToString().TrimEnd('/');

    private async Task<(HttpResponseMessage Response, string Body)> GetAsync(string url, string? tenant, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (tenant is not null) request.Headers.Add("NGSILD-Tenant", tenant);
        if (accept is not null) request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(accept));
        var response = await host.Client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonObject> CreateRiverDatasetAsync(string tenant)
    {
        var organization = await Ckan.ResultAsync(host.Client, "organization_create", new { name = "river-office", title = "河川課" }, tenant);
        var package = (await Ckan.ResultAsync(host.Client, "package_create", new
        {
            name = "river-levels",
            title = "河川水位観測データ",
            notes = "市内の河川の水位を10分ごとに観測したデータです。\n\"速報値\"を含みます。",
            owner_org = "river-office",
            license_id = "cc-by-4.0",
            maintainer = "河川課 防災係",
            maintainer_email = "river@city.example.jp",
            version = "2.1",
            tags = new[] { new { name = "河川" }, new { name = "防災" } },
            extras = new[]
            {
                new { key = "title_en", value = "River water levels" },
                new { key = "temporal_start", value = "2024-04-01" },
                new { key = "temporal_end", value = "2025-03-31" },
                new { key = "frequency", value = "http://publications.europa.eu/resource/authority/frequency/CONT" },
                new { key = "spatial", value = "{\"type\":\"Point\",\"coordinates\":[135.19,34.69]}" },
            },
        }, tenant)).AsObject();
        var csv = new ByteArrayContent(Encoding.UTF8.GetBytes("観測所,水位\n新町,1.25\n"));
        csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var upload = await FileResourceTests.UploadAsync(host.Client, "resource_create", new() { ["package_id"] = "river-levels", ["name"] = "水位 CSV" }, csv, "levels.csv", tenant);
        Assert.True(upload["status"]!.GetValue<int>() == 200, upload.ToJsonString());
        package["organization_id"] = organization["id"]!.DeepClone();
        package["upload"] = upload["result"]!.DeepClone();
        return package;
    }

    [Fact]
    public async Task A_dataset_in_Turtle_N3_and_JSON_LD_parses_back_to_its_DCAT_AP_triples()
    {
        var tenant = NewTenant();
        var package = await CreateRiverDatasetAsync(tenant);
        var id = package["id"]!.GetValue<string>();
        var resource = package["upload"]!;
        var dataset = $"{Site}/dataset/{id}";
        var distribution = $"{dataset}/resource/{resource["id"]}";

        var (turtleResponse, turtle) = await GetAsync("/dataset/river-levels.ttl", tenant);
        Assert.Equal(HttpStatusCode.OK, turtleResponse.StatusCode);
        Assert.Equal("text/turtle", turtleResponse.Content.Headers.ContentType!.MediaType);
        var triples = await RdfClient.ParseAsync("turtle", turtle);

        Assert.Contains(new Triple(dataset, RdfClient.Rdf + "type", RdfClient.Dcat + "Dataset", "iri", null, null), triples);
        Assert.Equal(id, triples.Single(dataset, RdfClient.Dct + "identifier"));
        var titles = triples.Where(t => t.S == dataset && t.P == RdfClient.Dct + "title").ToArray();
        Assert.Contains(titles, t => t.O == "河川水位観測データ" && t.Lang == "ja");
        Assert.Contains(titles, t => t.O == "River water levels" && t.Lang == "en");
        Assert.Equal("市内の河川の水位を10分ごとに観測したデータです。\n\"速報値\"を含みます。", triples.Single(dataset, RdfClient.Dct + "description"));
        Assert.Equal(new[] { "河川", "防災" }, triples.Objects(dataset, RdfClient.Dcat + "keyword").Order(StringComparer.Ordinal));
        Assert.Equal("2.1", triples.Single(dataset, "http://www.w3.org/2002/07/owl#versionInfo"));
        var modified = triples.Single(t => t.S == dataset && t.P == RdfClient.Dct + "modified");
        Assert.Equal(RdfClient.Xsd + "dateTime", modified.Datatype);
        Assert.StartsWith(DateTime.UtcNow.ToString("yyyy-MM-dd"), modified.O);
        Assert.Equal("http://publications.europa.eu/resource/authority/frequency/CONT", triples.Single(dataset, RdfClient.Dct + "accrualPeriodicity"));

        var publisher = triples.Single(dataset, RdfClient.Dct + "publisher");
        Assert.Equal($"{Site}/organization/{package["organization_id"]}", publisher);
        Assert.Equal("河川課", triples.Single(publisher, RdfClient.Foaf + "name"));
        var contact = triples.Single(dataset, RdfClient.Dcat + "contactPoint");
        Assert.Equal("河川課 防災係", triples.Single(contact, RdfClient.Vcard + "fn"));
        Assert.Equal("mailto:river@city.example.jp", triples.Single(contact, RdfClient.Vcard + "hasEmail"));
        var period = triples.Single(dataset, RdfClient.Dct + "temporal");
        Assert.Contains(new Triple(period, RdfClient.Dcat + "startDate", "2024-04-01", "literal", null, RdfClient.Xsd + "date"), triples);
        var location = triples.Single(dataset, RdfClient.Dct + "spatial");
        Assert.Equal("{\"type\":\"Point\",\"coordinates\":[135.19,34.69]}", triples.Single(location, "http://www.w3.org/ns/locn#geometry"));

        Assert.Equal(distribution, triples.Single(dataset, RdfClient.Dcat + "distribution"));
        Assert.Contains(new Triple(distribution, RdfClient.Rdf + "type", RdfClient.Dcat + "Distribution", "iri", null, null), triples);
        Assert.Equal("水位 CSV", triples.Single(distribution, RdfClient.Dct + "title"));
        Assert.Equal(resource["url"]!.GetValue<string>(), triples.Single(distribution, RdfClient.Dcat + "downloadURL"));
        Assert.Equal(resource["url"]!.GetValue<string>(), triples.Single(distribution, RdfClient.Dcat + "accessURL"));
        Assert.Equal("CSV", triples.Single(distribution, RdfClient.Dct + "format"));
        Assert.Equal("http://www.iana.org/assignments/media-types/text/csv", triples.Single(distribution, RdfClient.Dcat + "mediaType"));
        Assert.Equal("https://creativecommons.org/licenses/by/4.0/", triples.Single(distribution, RdfClient.Dct + "license"));
        Assert.Contains(new Triple(distribution, RdfClient.Dcat + "byteSize", resource["size"]!.ToString(), "literal", null, RdfClient.Xsd + "nonNegativeInteger"), triples);
        var checksum = triples.Single(distribution, RdfClient.Spdx + "checksum");
        Assert.Equal(resource["hash"]!.GetValue<string>(), triples.Single(checksum, RdfClient.Spdx + "checksumValue"));
        Assert.Equal(RdfClient.Spdx + "checksumAlgorithm_sha256", triples.Single(checksum, RdfClient.Spdx + "algorithm"));

        // The same graph in JSON-LD (jsonld.toRDF) and N3, and by content negotiation on the dataset's own URL.
        var (jsonLdResponse, jsonLd) = await GetAsync("/dataset/river-levels.jsonld", tenant);
        Assert.Equal("application/ld+json", jsonLdResponse.Content.Headers.ContentType!.MediaType);
        Assert.Equal(triples.Canonical(), (await RdfClient.ParseAsync("jsonld", jsonLd)).Canonical());
        var (_, n3) = await GetAsync($"/dataset/{id}.n3", tenant);
        Assert.Equal(triples.Canonical(), (await RdfClient.ParseAsync("n3", n3)).Canonical());
        var (negotiated, negotiatedBody) = await GetAsync("/dataset/river-levels", tenant, "text/turtle");
        Assert.Equal("text/turtle", negotiated.Content.Headers.ContentType!.MediaType);
        Assert.Equal(triples.Canonical(), (await RdfClient.ParseAsync("turtle", negotiatedBody)).Canonical());

        // RDF/XML (ckanext-dcat's fallback): read as XML, the dataset's description has its title and distribution.
        foreach (var url in new[] { "/dataset/river-levels.rdf", "/dataset/river-levels.xml", "/dataset/river-levels" })
        {
            var (xmlResponse, xmlBody) = await GetAsync(url, tenant);
            Assert.Equal("application/rdf+xml", xmlResponse.Content.Headers.ContentType!.MediaType);
            var xml = XDocument.Parse(xmlBody);
            XNamespace rdf = RdfClient.Rdf, dct = RdfClient.Dct, dcat = RdfClient.Dcat;
            var description = xml.Root!.Elements(rdf + "Description").Single(e => (string?)e.Attribute(rdf + "about") == dataset);
            Assert.Contains(description.Elements(dct + "title"), e => e.Value == "河川水位観測データ" && (string?)e.Attribute(XNamespace.Xml + "lang") == "ja");
            Assert.Equal(distribution, (string?)description.Element(dcat + "distribution")!.Attribute(rdf + "resource"));
        }
    }

    [Fact]
    public async Task The_catalog_pages_its_public_datasets_with_Hydra_and_filters_by_modified_since_and_q()
    {
        var tenant = NewTenant();
        foreach (var name in new[] { "bus-stops", "shelters", "parks" }) await Ckan.ResultAsync(host.Client, "package_create", new { name, title = name + " データ" }, tenant);
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "hidden", @private = true }, tenant);

        var (first, firstBody) = await GetAsync("/catalog.ttl", tenant);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var page1 = await RdfClient.ParseAsync("turtle", firstBody);
        Assert.Contains(new Triple(Site, RdfClient.Rdf + "type", RdfClient.Dcat + "Catalog", "iri", null, null), page1);
        Assert.Equal("Kobe open data", page1.Single(Site, RdfClient.Dct + "title"));
        var view = $"{Site}/catalog.ttl?page=1";
        Assert.Contains(new Triple(view, RdfClient.Rdf + "type", RdfClient.Hydra + "PagedCollection", "iri", null, null), page1);
        Assert.Equal("3", page1.Single(view, RdfClient.Hydra + "totalItems"));
        Assert.Equal("2", page1.Single(view, RdfClient.Hydra + "itemsPerPage"));
        Assert.Equal($"{Site}/catalog.ttl?page=2", page1.Single(view, RdfClient.Hydra + "nextPage"));
        Assert.Equal($"{Site}/catalog.ttl?page=2", page1.Single(view, RdfClient.Hydra + "lastPage"));
        Assert.Empty(page1.Objects(view, RdfClient.Hydra + "previousPage"));
        var onPage1 = page1.Objects(Site, RdfClient.Dcat + "dataset").ToArray();
        Assert.Equal(2, onPage1.Length);
        Assert.All(onPage1, d => Assert.Contains(new Triple(d, RdfClient.Rdf + "type", RdfClient.Dcat + "Dataset", "iri", null, null), page1));

        var (_, secondBody) = await GetAsync("/catalog.jsonld?page=2", tenant);
        var page2 = await RdfClient.ParseAsync("jsonld", secondBody);
        var view2 = $"{Site}/catalog.jsonld?page=2";
        Assert.Equal($"{Site}/catalog.jsonld?page=1", page2.Single(view2, RdfClient.Hydra + "previousPage"));
        Assert.Empty(page2.Objects(view2, RdfClient.Hydra + "nextPage"));
        var all = onPage1.Concat(page2.Objects(Site, RdfClient.Dcat + "dataset")).ToArray();
        var titles = page1.Concat(page2).Where(t => all.Contains(t.S) && t.P == RdfClient.Dct + "title").Select(t => t.O).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { "bus-stops データ", "parks データ", "shelters データ" }, titles);

        // Negotiated; the other parameters are kept in the page links.
        var (negotiated, negotiatedBody) = await GetAsync("/catalog?q=parks", tenant, "application/ld+json");
        Assert.Equal("application/ld+json", negotiated.Content.Headers.ContentType!.MediaType);
        var parks = await RdfClient.ParseAsync("jsonld", negotiatedBody);
        Assert.Single(parks.Objects(Site, RdfClient.Dcat + "dataset"));
        Assert.Equal($"{Site}/catalog?q=parks&page=1", parks.Single($"{Site}/catalog?q=parks&page=1", RdfClient.Hydra + "firstPage"));

        var (_, laterBody) = await GetAsync($"/catalog.ttl?modified_since={DateTime.UtcNow.AddDays(1):yyyy-MM-dd}", tenant);
        Assert.Empty((await RdfClient.ParseAsync("turtle", laterBody)).Objects(Site, RdfClient.Dcat + "dataset"));
        var (_, earlierBody) = await GetAsync($"/catalog.ttl?modified_since={DateTime.UtcNow.AddDays(-1):yyyy-MM-ddTHH:mm:ssZ}", tenant);
        Assert.Equal(2, (await RdfClient.ParseAsync("turtle", earlierBody)).Objects(Site, RdfClient.Dcat + "dataset").Count());

        // Another tenant's catalog is its own.
        var (_, otherBody) = await GetAsync("/catalog.ttl", NewTenant());
        Assert.Empty((await RdfClient.ParseAsync("turtle", otherBody)).Objects(Site, RdfClient.Dcat + "dataset"));
    }

    [Theory]
    [InlineData("/catalog.ttl?page=0", HttpStatusCode.BadRequest)]
    [InlineData("/catalog.ttl?page=x", HttpStatusCode.BadRequest)]
    [InlineData("/catalog.ttl?modified_since=yesterday", HttpStatusCode.BadRequest)]
    [InlineData("/catalog.ttl?q=title:(", HttpStatusCode.BadRequest)]
    [InlineData("/catalog.pdf", HttpStatusCode.NotFound)]
    [InlineData("/dataset/no-such-dataset.ttl", HttpStatusCode.NotFound)]
    [InlineData("/dataset/no-such-dataset", HttpStatusCode.NotFound)]
    public async Task Bad_parameters_and_missing_datasets_are_problem_details(string url, HttpStatusCode status)
    {
        var (response, body) = await GetAsync(url, NewTenant());
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.False(string.IsNullOrEmpty(JsonNode.Parse(body)!["detail"]?.GetValue<string>()), body);
    }
}

/// <summary>With security on: the DCAT exports and live downloads show each caller what package_show and the broker would.</summary>
public sealed class OpenDataVisibilityTests(SecuredCatalogHost host) : IClassFixture<SecuredCatalogHost>
{
    [Fact]
    public async Task Private_datasets_are_neither_exported_nor_downloaded_live_for_callers_who_may_not_read_them()
    {
        const string tenant = "dcat-visibility";
        await Ckan.ResultAsync(host.Client, "organization_create", new { name = "city-hall" }, tenant);
        var open = await Ckan.ResultAsync(host.Client, "package_create", new { name = "open-data", title = "公開データ" }, tenant);
        var closed = await Ckan.ResultAsync(host.Client, "package_create", new { name = "closed-data", title = "内部データ", @private = true, owner_org = "city-hall" }, tenant);
        var live = await Ckan.ResultAsync(host.Client, "resource_create", new { package_id = "closed-data", url_type = "live", ngsi_type = "Thing" }, tenant);
        var openLive = await Ckan.ResultAsync(host.Client, "resource_create", new { package_id = "open-data", url_type = "live", ngsi_type = "Thing" }, tenant);
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        var outsider = await host.TokenAsync("dcat-outsider", new TenantMembership("elsewhere", BuiltInRoles.TenantAdmin));

        async Task<(HttpStatusCode Status, string Body)> Get(HttpClient client, string url, string? bearer = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Add("NGSILD-Tenant", tenant);
            if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            using var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.OK, (await Get(anonymous, "/dataset/open-data.ttl")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(anonymous, "/dataset/closed-data.ttl")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(anonymous, "/dataset/closed-data.jsonld", outsider)).Status);
        var (status, body) = await Get(host.Client, "/dataset/closed-data.ttl");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(new Triple($"{host.BaseAddress.ToString().TrimEnd('/')}/dataset/{closed["id"]}", RdfClient.Dct + "title", "内部データ", "literal", null, RdfClient.Xsd + "string"),
            await RdfClient.ParseAsync("turtle", body));

        // The harvested catalog holds the public datasets only, whoever asks.
        foreach (var client in new[] { anonymous, host.Client })
        {
            var catalog = await RdfClient.ParseAsync("turtle", (await Get(client, "/catalog.ttl")).Body);
            var site = host.BaseAddress.ToString().TrimEnd('/');
            Assert.Equal(new[] { $"{site}/dataset/{open["id"]}" }, catalog.Objects(site, RdfClient.Dcat + "dataset"));
        }

        // Live data of a private dataset is not read for an anonymous caller; the broker decides the rest (no grant to anonymous callers here).
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(anonymous, live["url"]!.GetValue<string>())).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(anonymous, live["url"]!.GetValue<string>(), outsider)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get(host.Client, live["url"]!.GetValue<string>())).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(anonymous, openLive["url"]!.GetValue<string>())).Status);
    }
}

/// <summary>With CityOS:Catalog:SiteUrl: download and DCAT URLs are the configured site's, not the request's.</summary>
public sealed class SiteUrlTests(PublicSiteHost host) : IClassFixture<PublicSiteHost>
{
    [Fact]
    public async Task Download_and_DCAT_URLs_are_at_the_configured_site_address()
    {
        const string tenant = "site-url";
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "bus-stops" }, tenant);
        var upload = await FileResourceTests.UploadAsync(host.Client, "resource_create", new() { ["package_id"] = "bus-stops" }, new StringContent("stop,name\n1,三宮\n"), "stops.csv", tenant);
        Assert.True(upload["status"]!.GetValue<int>() == 200, upload.ToJsonString());
        var resource = upload["result"]!;
        var dataset = $"{PublicSiteHost.Site}/dataset/{resource["package_id"]}";
        var distribution = $"{dataset}/resource/{resource["id"]}";
        Assert.Equal($"{distribution}/download/stops.csv", resource["url"]!.GetValue<string>());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/dataset/bus-stops.ttl");
        request.Headers.Add("NGSILD-Tenant", tenant);
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var triples = await RdfClient.ParseAsync("turtle", await response.Content.ReadAsStringAsync());
        Assert.Equal(distribution, triples.Single(dataset, RdfClient.Dcat + "distribution"));
        Assert.Equal(resource["url"]!.GetValue<string>(), triples.Single(distribution, RdfClient.Dcat + "downloadURL"));
    }
}
