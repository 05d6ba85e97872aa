using System.Text.Json.Nodes;
using CityOS.Catalog.Ckan;
using CityOS.Catalog.Search;

namespace CityOS.Catalog.Storage;

/// <summary>
/// The datasets (CKAN packages, with their resources), organizations and tags of each tenant. Packages and organizations
/// are kept as the CKAN dictionaries the API returns; the store indexes what search, facets and lookups need.
/// Tenant null is the default tenant.
/// </summary>
public interface ICatalogStore
{
    ValueTask<bool> PingAsync(CancellationToken ct);

    /// <summary>A package by id or name (deleted ones too: their state says so); null when there is none.</summary>
    Task<JsonObject?> FindPackageAsync(string? tenant, string idOrName, CancellationToken ct);

    /// <summary>The id of the package of that name, if any.</summary>
    Task<string?> PackageIdOfNameAsync(string? tenant, string name, CancellationToken ct);

    /// <summary>Creates or replaces a package and its index entries in one transaction.</summary>
    Task SavePackageAsync(string? tenant, IndexedPackage package, CancellationToken ct);

    /// <summary>Names of the active public packages, by name.</summary>
    Task<IReadOnlyList<string>> ListPackageNamesAsync(string? tenant, int? limit, int offset, CancellationToken ct);

    Task<SearchPage> SearchAsync(string? tenant, CatalogSearch search, CancellationToken ct);

    /// <summary>The id of the package that holds this resource, if any.</summary>
    Task<string?> PackageIdOfResourceAsync(string? tenant, string resourceId, CancellationToken ct);

    Task<JsonObject?> FindOrganizationAsync(string? tenant, string idOrName, CancellationToken ct);

    Task SaveOrganizationAsync(string? tenant, string id, string name, JsonObject organization, CancellationToken ct);

    /// <summary>Organizations by name.</summary>
    Task<IReadOnlyList<JsonObject>> ListOrganizationsAsync(string? tenant, CancellationToken ct);

    /// <summary>Tags of active public packages, by name; only those containing <paramref name="contains"/> when given.</summary>
    Task<IReadOnlyList<string>> ListTagsAsync(string? tenant, string? contains, CancellationToken ct);
}

/// <summary>A package as stored: its CKAN dictionary and what is indexed of it.</summary>
public sealed record IndexedPackage(
    string Id,
    string Name,
    string? OwnerOrg,
    bool Private,
    string State,
    string MetadataModified,
    string? LicenseId,
    string Title,
    string Notes,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Formats,
    IReadOnlyList<string> ResourceIds,
    JsonObject Package);

/// <summary>What package_search asks of the store.</summary>
/// <param name="PrivateOrgs">Private packages of these organizations' ids are visible too; null for all of them.</param>
public sealed record CatalogSearch(
    QueryNode Query,
    IReadOnlyList<QueryNode> Filters,
    bool IncludePrivate,
    IReadOnlyList<string>? PrivateOrgs,
    IReadOnlyList<SortKey> Sort,
    int Rows,
    int Start,
    IReadOnlyList<string> FacetFields,
    int FacetLimit);

/// <summary>A sort key: score, name, title, metadata_modified, metadata_created.</summary>
public sealed record SortKey(string Field, bool Descending);

/// <summary>
/// One page of search results (their dictionaries as stored, ready to write) with the organizations they belong to (by id),
/// the total count and the facet counts (field → value → count).
/// </summary>
public sealed record SearchPage(
    long Count,
    IReadOnlyList<PackageJson> Results,
    IReadOnlyDictionary<string, JsonObject> Organizations,
    IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, long>>> Facets);
