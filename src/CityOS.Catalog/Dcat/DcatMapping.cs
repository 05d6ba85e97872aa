using System.Globalization;
using System.Text.Json.Nodes;

namespace CityOS.Catalog.Dcat;

/// <summary>
/// CKAN datasets in DCAT-AP 3 / DCAT 3 terms, as ckanext-dcat's euro_dcat_ap profiles map them: the catalog is the site
/// (<c>{site}</c>), a dataset <c>{site}/dataset/{id}</c>, a distribution <c>{site}/dataset/{id}/resource/{rid}</c>, a publisher
/// <c>{site}/organization/{id}</c>. Extras with ckanext-dcat's keys (language, theme, frequency, access_rights, spatial_uri,
/// spatial, temporal_start, temporal_end, contact_*), and <c>title_en</c>/<c>notes_en</c> for English beside Japanese.
/// </summary>
public static class DcatMapping
{
    private const string DateTime = Ns.Xsd + "dateTime";

    /// <summary>The catalog node of a page of the site's catalog, with the page's datasets and ckanext-dcat's Hydra paging.</summary>
    public static void AddCatalog(RdfGraph graph, string siteUrl, string title, IReadOnlyList<JsonObject> packages, HydraPage page)
    {
        var catalog = new RdfIri(siteUrl);
        graph.Type(catalog, Ns.Dcat + "Catalog");
        graph.Add(catalog, Ns.Dct + "title", title);
        graph.Add(catalog, Ns.Foaf + "homepage", new RdfIri(siteUrl));
        graph.Add(catalog, Ns.Dct + "language", "ja");
        if (packages.Select(p => p["metadata_modified"]?.ToString()).Where(m => m is not null).Max() is { } modified) graph.Add(catalog, Ns.Dct + "modified", modified, datatype: DateTime);
        foreach (var package in packages) graph.Add(catalog, Ns.Dcat + "dataset", DatasetIri(siteUrl, package));
        foreach (var package in packages) AddDataset(graph, siteUrl, package);

        var view = new RdfIri(page.Url(page.Page));
        graph.Type(view, Ns.Hydra + "PagedCollection");
        graph.Add(view, Ns.Hydra + "totalItems", Integer(page.TotalItems));
        graph.Add(view, Ns.Hydra + "itemsPerPage", Integer(page.ItemsPerPage));
        graph.Add(view, Ns.Hydra + "firstPage", page.Url(1));
        graph.Add(view, Ns.Hydra + "lastPage", page.Url(page.LastPage));
        if (page.Page > 1) graph.Add(view, Ns.Hydra + "previousPage", page.Url(Math.Min(page.Page - 1, page.LastPage)));
        if (page.Page < page.LastPage) graph.Add(view, Ns.Hydra + "nextPage", page.Url(page.Page + 1));
    }

    public static RdfIri DatasetIri(string siteUrl, JsonObject package) => new($"{siteUrl}/dataset/{package["id"]}");

    /// <summary>A dataset (package_show's dictionary, its resource URLs absolute) with its distributions, publisher and contact.</summary>
    public static void AddDataset(RdfGraph graph, string siteUrl, JsonObject package)
    {
        var dataset = DatasetIri(siteUrl, package);
        var extras = (package["extras"] as JsonArray ?? []).OfType<JsonObject>()
            .GroupBy(e => e["key"]?.ToString() ?? "").ToDictionary(g => g.Key, g => g.Last()["value"]?.ToString() ?? "", StringComparer.Ordinal);
        string? Extra(string key) => extras.TryGetValue(key, out var value) && value.Length > 0 ? value : null;

        graph.Type(dataset, Ns.Dcat + "Dataset");
        graph.Add(dataset, Ns.Dct + "identifier", package["id"]?.ToString());
        // With an English title beside it, the title is the Japanese one; alone, its language is not known.
        var bilingual = Extra("title_en") is not null || Extra("notes_en") is not null;
        graph.Add(dataset, Ns.Dct + "title", package["title"]?.ToString() ?? package["name"]?.ToString(), bilingual ? "ja" : null);
        graph.Add(dataset, Ns.Dct + "title", Extra("title_en"), "en");
        graph.Add(dataset, Ns.Dct + "description", package["notes"]?.ToString(), bilingual ? "ja" : null);
        graph.Add(dataset, Ns.Dct + "description", Extra("notes_en"), "en");
        foreach (var tag in (package["tags"] as JsonArray ?? []).OfType<JsonObject>()) graph.Add(dataset, Ns.Dcat + "keyword", tag["name"]?.ToString());
        graph.Add(dataset, Ns.Dcat + "landingPage", RdfGraph.Iri(package["url"]?.ToString()));
        graph.Add(dataset, Ns.Owl + "versionInfo", package["version"]?.ToString());
        graph.Add(dataset, Ns.Dct + "issued", package["metadata_created"]?.ToString(), datatype: DateTime);
        graph.Add(dataset, Ns.Dct + "modified", package["metadata_modified"]?.ToString(), datatype: DateTime);
        foreach (var language in Split(Extra("language"))) graph.Add(dataset, Ns.Dct + "language", RdfGraph.Iri(language) ?? (RdfTerm)new RdfLiteral(language));
        foreach (var theme in Split(Extra("theme"))) graph.Add(dataset, Ns.Dcat + "theme", RdfGraph.Iri(theme) ?? (RdfTerm)new RdfLiteral(theme));
        graph.Add(dataset, Ns.Dct + "accrualPeriodicity", Extra("frequency") is { } frequency ? RdfGraph.Iri(frequency) ?? (RdfTerm)new RdfLiteral(frequency) : null);
        graph.Add(dataset, Ns.Dct + "accessRights", Extra("access_rights") is { } rights ? RdfGraph.Iri(rights) ?? (RdfTerm)new RdfLiteral(rights) : null);
        AddSpatial(graph, dataset, Extra("spatial_uri"), Extra("spatial_text"), Extra("spatial"));
        if (Extra("temporal_start") is not null || Extra("temporal_end") is not null)
        {
            var period = graph.NewBlank();
            graph.Add(dataset, Ns.Dct + "temporal", period);
            graph.Type(period, Ns.Dct + "PeriodOfTime");
            graph.Add(period, Ns.Dcat + "startDate", Extra("temporal_start"), datatype: DateType(Extra("temporal_start")));
            graph.Add(period, Ns.Dcat + "endDate", Extra("temporal_end"), datatype: DateType(Extra("temporal_end")));
        }
        AddContact(graph, dataset, Extra("contact_name") ?? NonEmpty(package["maintainer"]) ?? NonEmpty(package["author"]),
            Extra("contact_email") ?? NonEmpty(package["maintainer_email"]) ?? NonEmpty(package["author_email"]));
        if (package["organization"] is JsonObject organization)
        {
            var publisher = new RdfIri($"{siteUrl}/organization/{organization["id"]}");
            graph.Add(dataset, Ns.Dct + "publisher", publisher);
            graph.Type(publisher, Ns.Foaf + "Organization");
            graph.Add(publisher, Ns.Foaf + "name", NonEmpty(organization["title"]) ?? organization["name"]?.ToString());
        }
        var license = RdfGraph.Iri(package["license_url"]?.ToString());
        foreach (var resource in (package["resources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var distribution = new RdfIri($"{dataset.Value}/resource/{resource["id"]}");
            graph.Add(dataset, Ns.Dcat + "distribution", distribution);
            AddDistribution(graph, distribution, resource, license);
        }
    }

    private static void AddDistribution(RdfGraph graph, RdfIri distribution, JsonObject resource, RdfIri? license)
    {
        graph.Type(distribution, Ns.Dcat + "Distribution");
        graph.Add(distribution, Ns.Dct + "title", NonEmpty(resource["name"]));
        graph.Add(distribution, Ns.Dct + "description", NonEmpty(resource["description"]));
        var url = RdfGraph.Iri(resource["url"]?.ToString());
        graph.Add(distribution, Ns.Dcat + "accessURL", url);
        if (Ckan.ResourceUrls.IsServed(resource)) graph.Add(distribution, Ns.Dcat + "downloadURL", url);
        graph.Add(distribution, Ns.Dct + "format", NonEmpty(resource["format"]));
        if (NonEmpty(resource["mimetype"]) is { } mediaType) graph.Add(distribution, Ns.Dcat + "mediaType", RdfGraph.Iri("http://www.iana.org/assignments/media-types/" + mediaType));
        graph.Add(distribution, Ns.Dct + "license", license);
        graph.Add(distribution, Ns.Dct + "issued", NonEmpty(resource["created"]), datatype: DateTime);
        graph.Add(distribution, Ns.Dct + "modified", NonEmpty(resource["last_modified"]) ?? NonEmpty(resource["metadata_modified"]), datatype: DateTime);
        if (resource["size"] is JsonValue size && size.TryGetValue<long>(out var bytes)) graph.Add(distribution, Ns.Dcat + "byteSize", bytes.ToString(CultureInfo.InvariantCulture), datatype: Ns.Xsd + "nonNegativeInteger");
        if (NonEmpty(resource["hash"]) is { Length: 64 } sha256)
        {
            var checksum = graph.NewBlank();
            graph.Add(distribution, Ns.Spdx + "checksum", checksum);
            graph.Type(checksum, Ns.Spdx + "Checksum");
            graph.Add(checksum, Ns.Spdx + "algorithm", new RdfIri(Ns.Spdx + "checksumAlgorithm_sha256"));
            graph.Add(checksum, Ns.Spdx + "checksumValue", sha256, datatype: Ns.Xsd + "hexBinary");
        }
    }

    private static void AddSpatial(RdfGraph graph, RdfIri dataset, string? uri, string? name, string? geometry)
    {
        if (uri is null && name is null && geometry is null) return;
        RdfTerm location = RdfGraph.Iri(uri) is { } iri ? iri : graph.NewBlank();
        graph.Add(dataset, Ns.Dct + "spatial", location);
        graph.Type(location, Ns.Dct + "Location");
        graph.Add(location, Ns.Locn + "geographicName", name);
        graph.Add(location, Ns.Locn + "geometry", geometry, datatype: Ns.Gsp + "geoJSONLiteral");
    }

    private static void AddContact(RdfGraph graph, RdfIri dataset, string? name, string? email)
    {
        if (name is null && email is null) return;
        var contact = graph.NewBlank();
        graph.Add(dataset, Ns.Dcat + "contactPoint", contact);
        graph.Type(contact, Ns.Vcard + "Organization");
        graph.Add(contact, Ns.Vcard + "fn", name);
        if (email is not null) graph.Add(contact, Ns.Vcard + "hasEmail", RdfGraph.Iri(email.StartsWith("mailto:", StringComparison.Ordinal) ? email : "mailto:" + email));
    }

    private static RdfLiteral Integer(long value) => new(value.ToString(CultureInfo.InvariantCulture), Datatype: Ns.Xsd + "integer");

    private static string? NonEmpty(JsonNode? node) => node is JsonValue value && value.ToString() is { Length: > 0 } text ? text : null;

    /// <summary>A list extra: a JSON array of strings, or comma-separated text.</summary>
    private static IEnumerable<string> Split(string? value)
    {
        if (value is null) return [];
        if (value.StartsWith('['))
        {
            try
            {
                return (JsonNode.Parse(value) as JsonArray ?? []).Select(v => v?.ToString() ?? "").Where(v => v.Length > 0).ToArray();
            }
            catch (System.Text.Json.JsonException)
            {
                // Not JSON: taken as text.
            }
        }
        return value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    private static string DateType(string? value) => value is { Length: 10 } ? Ns.Xsd + "date" : DateTime;
}

/// <summary>A page of the catalog as ckanext-dcat pages it (1-based), and the URL of any page with the request's other parameters.</summary>
public sealed record HydraPage(int Page, int ItemsPerPage, long TotalItems, Func<int, string> Url)
{
    public int LastPage => (int)Math.Max(1, (TotalItems + ItemsPerPage - 1) / ItemsPerPage);
}
