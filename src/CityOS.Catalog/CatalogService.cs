using System.Globalization;
using SortKey = CityOS.Catalog.Storage.SortKey;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityOS.Catalog.Ckan;
using CityOS.Catalog.Files;
using CityOS.Catalog.Search;
using CityOS.Catalog.Storage;
using CityOS.Core.Security;
using Microsoft.Extensions.Options;

namespace CityOS.Catalog;

/// <summary>
/// The rules of the catalog's actions (CKAN 2.10 semantics): validation with CKAN's messages, the dictionaries CKAN
/// returns, visibility of private and deleted datasets. Parameters come as the action's JSON dictionary.
/// </summary>
public sealed partial class CatalogService(ICatalogStore store, CatalogAccess access, ResourceFiles files, TimeProvider clock, IOptions<CatalogOptions> options)
{
    /// <summary>The url_type of a resource whose file was uploaded to the catalog (CKAN's).</summary>
    public const string UploadUrlType = "upload";

    /// <summary>The url_type of a resource whose data is read from the broker when it is downloaded.</summary>
    public const string LiveUrlType = "live";

    private static readonly string[] PackageTextFields = ["title", "notes", "author", "author_email", "maintainer", "maintainer_email", "url", "version", "license_id", "owner_org"];
    private static readonly string[] ResourceTextFields = ["name", "description", "format", "mimetype", "url", "hash"];

    public async Task<JsonObject> PackageCreateAsync(string? tenant, CallerIdentity caller, JsonObject input, CancellationToken ct)
    {
        var name = input["name"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? input["name"]!.GetValue<string>() : null;
        await access.DemandAsync(caller, tenant, AccessAction.Create, name, "create package", ct);
        var now = Now();
        var package = new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["metadata_created"] = now,
            ["creator_user_id"] = caller.Subject,
            ["resources"] = new JsonArray(),
        };
        await ApplyAsync(tenant, package, input, replace: true, ct);
        await SaveAsync(tenant, package, ct);
        return await ShowAsync(tenant, package, ct);
    }

    public async Task<JsonObject> PackageShowAsync(string? tenant, CallerIdentity caller, JsonObject input, CancellationToken ct)
    {
        var package = await VisiblePackageAsync(tenant, caller, Required(input, "id"), AccessAction.Read, "read package", ct);
        return await ShowAsync(tenant, package, ct);
    }

    /// <summary>package_update replaces the dataset's fields (resources are kept when the dictionary has none); package_patch changes only the fields given.</summary>
    public async Task<JsonObject> PackageUpdateAsync(string? tenant, CallerIdentity caller, JsonObject input, bool patch, CancellationToken ct)
    {
        var package = await VisiblePackageAsync(tenant, caller, Required(input, "id", "name"), AccessAction.Update, patch ? "patch package" : "update package", ct);
        await ApplyAsync(tenant, package, input, replace: !patch, ct);
        await SaveAsync(tenant, package, ct);
        return await ShowAsync(tenant, package, ct);
    }

    public async Task PackageDeleteAsync(string? tenant, CallerIdentity caller, JsonObject input, CancellationToken ct)
    {
        var package = await VisiblePackageAsync(tenant, caller, Required(input, "id"), AccessAction.Delete, "delete package", ct);
        package["state"] = "deleted";
        package["metadata_modified"] = Now();
        await SaveAsync(tenant, package, ct);
    }

    public async Task<JsonArray> PackageListAsync(string? tenant, JsonObject input, CancellationToken ct)
    {
        var limit = OptionalInt(input, "limit", 0, int.MaxValue);
        var offset = OptionalInt(input, "offset", 0, int.MaxValue) ?? 0;
        return new JsonArray([.. (await store.ListPackageNamesAsync(tenant, limit, offset, ct)).Select(n => JsonValue.Create(n))]);
    }

    public async Task<PackageSearchResult> PackageSearchAsync(string? tenant, CallerIdentity caller, JsonObject input, CancellationToken ct)
    {
        var rows = OptionalInt(input, "rows", 0, int.MaxValue) ?? 10;
        var start = OptionalInt(input, "start", 0, int.MaxValue) ?? 0;
        if (rows > options.Value.MaxRows) throw CkanException.Invalid("rows", $"Must be less than or equal to {options.Value.MaxRows}");
        var facetLimit = OptionalInt(input, "facet.limit", -1, int.MaxValue) ?? 50;
        var includePrivate = OptionalBool(input, "include_private") ?? false;
        if (includePrivate && !await access.AllowsAsync(caller, tenant, AccessAction.Read, null, ct)) includePrivate = false;
        QueryNode query;
        List<QueryNode> filters = [];
        IReadOnlyList<SortKey> sort;
        IReadOnlyList<string> facetFields;
        try
        {
            query = CkanQuery.Parse(OptionalString(input, "q"));
            if (OptionalString(input, "fq") is { } fq) filters.Add(CkanQuery.Parse(fq));
            if (input["fq_list"] is JsonArray fqList) filters.AddRange(fqList.Select(f => CkanQuery.Parse(f?.ToString())));
            sort = ParseSort(OptionalString(input, "sort") ?? "score desc, metadata_modified desc");
            facetFields = ParseFacetFields(input["facet.field"]);
        }
        catch (FormatException error)
        {
            throw CkanException.SearchError(error.Message);
        }
        SearchPage page;
        try
        {
            page = await store.SearchAsync(tenant, new CatalogSearch(query, filters, includePrivate, null, sort, rows, start, facetFields, facetLimit < 0 ? int.MaxValue : facetLimit), ct);
        }
        catch (FormatException error)
        {
            throw CkanException.SearchError(error.Message);
        }
        var shown = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var results = page.Results.Select(package =>
        {
            var org = package.OwnerOrg ?? "";
            if (!shown.TryGetValue(org, out var members)) shown[org] = members = ShownMembersJson(page.Organizations.GetValueOrDefault(org));
            return new FoundPackage(package, members);
        }).ToArray();
        var facets = new JsonObject();
        var searchFacets = new JsonObject();
        foreach (var (field, counts) in page.Facets)
        {
            facets[field] = new JsonObject([.. counts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))]);
            searchFacets[field] = new JsonObject
            {
                ["items"] = new JsonArray([.. counts.Select(c => (JsonNode)new JsonObject { ["count"] = c.Value, ["display_name"] = c.Key, ["name"] = c.Key })]),
                ["title"] = field,
            };
        }
        return new PackageSearchResult(page.Count, facets, results, string.Join(", ", sort.Select(k => k.Field + (k.Descending ? " desc" : " asc"))), searchFacets);
    }

    public async Task<JsonObject> ResourceCreateAsync(string? tenant, CallerIdentity caller, JsonObject input, StagedFile? upload, CancellationToken ct)
    {
        var package = await VisiblePackageAsync(tenant, caller, Required(input, "package_id"), AccessAction.Update, "update package", ct);
        var resources = package["resources"]!.AsArray();
        var now = Now();
        var resource = new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["created"] = now };
        ApplyResource(resource, input, package["id"]!.GetValue<string>(), resources.Count, now);
        if (upload is not null) ApplyUpload(tenant, resource, upload, now);
        resources.Add(resource);
        package["metadata_modified"] = now;
        await SaveAsync(tenant, package, ct);
        return resource.DeepClone().AsObject();
    }

    public async Task<JsonObject> ResourceShowAsync(string? tenant, CallerIdentity caller, JsonObject input, CancellationToken ct)
    {
        var (_, resource) = await ResourceAsync(tenant, caller, Required(input, "id"), AccessAction.Read, "read resource", ct);
        return resource.DeepClone().AsObject();
    }

    /// <summary>
    /// resource_update: replaces the resource's fields. An uploaded file is kept when the dictionary names no other URL (none,
    /// its file name, or its download URL as resource_show gave it), replaced by <paramref name="upload"/>, and dropped for a link.
    /// </summary>
    public async Task<JsonObject> ResourceUpdateAsync(string? tenant, CallerIdentity caller, JsonObject input, StagedFile? upload, CancellationToken ct)
    {
        var id = Required(input, "id");
        var (package, resource) = await ResourceAsync(tenant, caller, id, AccessAction.Update, "update resource", ct);
        var now = Now();
        var previous = resource.DeepClone().AsObject();
        var wasUpload = previous["url_type"]?.ToString() == UploadUrlType;
        var keepsFile = wasUpload && upload is null && input["url_type"]?.ToString() != LiveUrlType && (input["url"]?.ToString() is not { Length: > 0 } url || url == previous["url"]?.ToString()
            || url.EndsWith($"/resource/{id}/download/{Uri.EscapeDataString(previous["url"]?.ToString() ?? "")}", StringComparison.Ordinal));
        foreach (var field in ResourceTextFields) resource.Remove(field);
        ApplyResource(resource, input, package["id"]!.GetValue<string>(), resource["position"]!.GetValue<int>(), now);
        if (upload is not null) ApplyUpload(tenant, resource, upload, now);
        else if (keepsFile)
        {
            foreach (var field in new[] { "url", "url_type", "size", "hash", "last_modified" }) resource[field] = previous[field]?.DeepClone();
            if (input["mimetype"] is null) resource["mimetype"] = previous["mimetype"]?.DeepClone();
        }
        package["metadata_modified"] = now;
        await SaveAsync(tenant, package, ct);
        if (wasUpload && upload is null && !keepsFile) files.Delete(tenant, id);
        return resource.DeepClone().AsObject();
    }

    /// <summary>Replaces the file of a resource (a streamed PUT): the other fields stay as they are.</summary>
    public async Task<JsonObject> ResourceFileReplaceAsync(string? tenant, CallerIdentity caller, string packageIdOrName, string id, StagedFile upload, CancellationToken ct)
    {
        var (package, resource) = await ResourceOfPackageAsync(tenant, caller, packageIdOrName, id, AccessAction.Update, "update resource", ct);
        var now = Now();
        if (upload.ContentType is not null) resource.Remove("mimetype");
        ApplyUpload(tenant, resource, upload, now);
        resource["metadata_modified"] = now;
        package["metadata_modified"] = now;
        await SaveAsync(tenant, package, ct);
        return resource.DeepClone().AsObject();
    }

    /// <summary>The dataset and resource a download URL names, if the caller may read the dataset.</summary>
    public Task<(JsonObject Package, JsonObject Resource)> DownloadableAsync(string? tenant, CallerIdentity caller, string packageIdOrName, string id, CancellationToken ct) =>
        ResourceOfPackageAsync(tenant, caller, packageIdOrName, id, AccessAction.Read, "read resource", ct);

    /// <summary>The most bytes one upload of the tenant may have: the upload limit, or less when the tenant's quota is nearly used.</summary>
    public long UploadLimit(string? tenant)
    {
        var limit = options.Value.MaxUploadBytes;
        if (options.Value.TenantQuotaBytes > 0) limit = Math.Min(limit, Math.Max(0, options.Value.TenantQuotaBytes - files.UsedBytes(tenant)));
        return limit;
    }

    /// <summary>Refuses an upload before its body is read when no caller could be allowed it (anonymous, with security on).</summary>
    public void DemandUploader(CallerIdentity caller)
    {
        if (access.Enabled && caller.IsAnonymous) throw CkanException.Unauthorized("Access denied: User  not authorized to upload");
    }

    public async Task ResourceDeleteAsync(string? tenant, CallerIdentity caller, JsonObject input, CancellationToken ct)
    {
        var (package, resource) = await ResourceAsync(tenant, caller, Required(input, "id"), AccessAction.Update, "delete resource", ct);
        var resources = package["resources"]!.AsArray();
        resources.Remove(resource);
        for (var i = 0; i < resources.Count; i++) resources[i]!["position"] = i;
        package["metadata_modified"] = Now();
        await SaveAsync(tenant, package, ct);
        if (resource["url_type"]?.ToString() == UploadUrlType) files.Delete(tenant, resource["id"]!.GetValue<string>());
    }

    public async Task<JsonObject> OrganizationCreateAsync(string? tenant, CallerIdentity caller, JsonObject input, CancellationToken ct)
    {
        await access.DemandAsync(caller, tenant, AccessAction.Admin, null, "create groups", ct);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var name = OptionalString(input, "name");
        if (ValidateName(name) is { } problem) errors["name"] = [problem];
        else if (await store.FindOrganizationAsync(tenant, name!, ct) is not null) errors["name"] = ["Group name already exists in database"];
        if (errors.Count > 0) throw CkanException.Invalid(errors);
        var title = OptionalString(input, "title") ?? "";
        var organization = new JsonObject
        {
            ["approval_status"] = "approved",
            ["created"] = Now(),
            ["description"] = OptionalString(input, "description") ?? "",
            ["display_name"] = title.Length > 0 ? title : name,
            ["id"] = Guid.NewGuid().ToString(),
            ["image_display_url"] = OptionalString(input, "image_url") ?? "",
            ["image_url"] = OptionalString(input, "image_url") ?? "",
            ["is_organization"] = true,
            ["name"] = name,
            ["num_followers"] = 0,
            ["package_count"] = 0,
            ["state"] = "active",
            ["title"] = title,
            ["type"] = "organization",
        };
        await store.SaveOrganizationAsync(tenant, organization["id"]!.GetValue<string>(), name!, organization, ct);
        return await OrganizationWithCountAsync(tenant, organization, ct);
    }

    public async Task<JsonObject> OrganizationShowAsync(string? tenant, JsonObject input, CancellationToken ct)
    {
        var organization = await store.FindOrganizationAsync(tenant, Required(input, "id"), ct) ?? throw CkanException.NotFound("Organization was not found.");
        var shown = await OrganizationWithCountAsync(tenant, organization, ct);
        // CKAN's organization_show adds its extras, groups, tags and members; CityOS keeps none of them for an organization.
        foreach (var list in new[] { "extras", "groups", "tags", "users" }) shown[list] = new JsonArray();
        return shown;
    }

    public async Task<JsonArray> OrganizationListAsync(string? tenant, JsonObject input, CancellationToken ct)
    {
        var all = OptionalBool(input, "all_fields") ?? false;
        var list = new JsonArray();
        foreach (var organization in await store.ListOrganizationsAsync(tenant, ct))
        {
            list.Add(all ? await OrganizationWithCountAsync(tenant, organization, ct) : JsonValue.Create(organization["name"]!.GetValue<string>()));
        }
        return list;
    }

    public async Task<JsonArray> TagListAsync(string? tenant, JsonObject input, CancellationToken ct)
    {
        var tags = await store.ListTagsAsync(tenant, OptionalString(input, "query"), ct);
        if (OptionalBool(input, "all_fields") ?? false)
        {
            return new JsonArray([.. tags.Select(t => (JsonNode)new JsonObject { ["id"] = TagId(t), ["name"] = t, ["vocabulary_id"] = null })]);
        }
        return new JsonArray([.. tags.Select(t => JsonValue.Create(t))]);
    }

    public static JsonArray LicenseList() => new([.. Licenses.All.Select(l => (JsonNode)Licenses.ToJson(l))]);

    public JsonObject StatusShow() => new()
    {
        ["ckan_version"] = "2.10.0",
        ["site_title"] = options.Value.SiteTitle,
        ["site_description"] = "",
        ["site_url"] = "",
        ["error_emails_to"] = null,
        ["locale_default"] = "ja",
        ["extensions"] = new JsonArray("dcat"),
    };

    private async Task<JsonObject> VisiblePackageAsync(string? tenant, CallerIdentity caller, string idOrName, AccessAction action, string actionName, CancellationToken ct)
    {
        var package = await store.FindPackageAsync(tenant, idOrName, ct) ?? throw CkanException.NotFound();
        var name = package["name"]!.GetValue<string>();
        var hidden = package["private"]!.GetValue<bool>() || package["state"]!.GetValue<string>() != "active";
        if (action != AccessAction.Read || hidden) await access.DemandAsync(caller, tenant, action, name, actionName, ct);
        return package;
    }

    private async Task<(JsonObject Package, JsonObject Resource)> ResourceAsync(string? tenant, CallerIdentity caller, string id, AccessAction action, string actionName, CancellationToken ct)
    {
        var packageId = await store.PackageIdOfResourceAsync(tenant, id, ct) ?? throw CkanException.NotFound("Resource was not found.");
        var package = await VisiblePackageAsync(tenant, caller, packageId, action, actionName, ct);
        var resource = package["resources"]!.AsArray().Select(r => r!.AsObject()).First(r => r["id"]!.GetValue<string>() == id);
        return (package, resource);
    }

    private async Task<(JsonObject Package, JsonObject Resource)> ResourceOfPackageAsync(string? tenant, CallerIdentity caller, string packageIdOrName, string id, AccessAction action, string actionName, CancellationToken ct)
    {
        var (package, resource) = await ResourceAsync(tenant, caller, id, action, actionName, ct);
        if (package["id"]!.GetValue<string>() != packageIdOrName && package["name"]!.GetValue<string>() != packageIdOrName) throw CkanException.NotFound("Resource was not found.");
        return (package, resource);
    }

    /// <summary>The fields of an uploaded file, as CKAN sets them: url is the file name (its download URL when shown), size, hash, media type, format.</summary>
    private void ApplyUpload(string? tenant, JsonObject resource, StagedFile upload, string now)
    {
        var fileName = SafeFileName(upload.FileName is { Length: > 0 } given ? given : resource["name"]?.ToString() is { Length: > 0 } name ? name : "file");
        resource["url"] = fileName;
        resource["url_type"] = UploadUrlType;
        resource["size"] = upload.Size;
        resource["hash"] = upload.Sha256;
        resource["last_modified"] = now;
        if (resource["name"]?.ToString() is not { Length: > 0 }) resource["name"] = fileName;
        if (resource["format"]?.ToString() is not { Length: > 0 }) resource["format"] = Path.GetExtension(fileName).TrimStart('.').ToUpperInvariant();
        if (resource["mimetype"] is null)
        {
            resource["mimetype"] = upload.ContentType is { Length: > 0 } type && type != "application/octet-stream" ? type
                : MediaTypes.Guess(resource["format"]!.GetValue<string>(), fileName) ?? "application/octet-stream";
        }
        files.Commit(tenant, resource["id"]!.GetValue<string>(), upload);
    }

    /// <summary>The last segment of a client's file name, without characters that would break a URL path or a header.</summary>
    private static string SafeFileName(string name)
    {
        var last = name.Replace('\\', '/').Split('/').Last().Trim();
        var safe = new string([.. last.Where(c => !char.IsControl(c) && c is not ('"' or '?' or '#' or '%'))]);
        return safe.Length is > 0 and <= 200 && safe is not ("." or "..") ? safe : "file";
    }

    private async Task ApplyAsync(string? tenant, JsonObject package, JsonObject input, bool replace, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var id = package["id"]!.GetValue<string>();
        if (input.ContainsKey("name") || replace)
        {
            var name = OptionalString(input, "name");
            if (ValidateName(name) is { } problem) errors["name"] = [problem];
            else if (await store.PackageIdOfNameAsync(tenant, name!, ct) is { } other && other != id) errors["name"] = ["That URL is already in use."];
            else package["name"] = name;
        }
        foreach (var field in PackageTextFields)
        {
            if (!input.ContainsKey(field) && !replace) continue;
            var node = input[field];
            if (node is not null and not JsonValue) errors[field] = ["Must be a string"];
            else package[field] = node?.ToString() is { Length: > 0 } text ? text : (field is "title" or "notes" or "owner_org" or "license_id" ? null : "");
        }
        if (package["owner_org"]?.GetValue<string>() is { } org)
        {
            if (await store.FindOrganizationAsync(tenant, org, ct) is { } organization) package["owner_org"] = organization["id"]!.GetValue<string>();
            else errors["owner_org"] = ["Organization does not exist"];
        }
        if (input.ContainsKey("private") || replace)
        {
            var isPrivate = OptionalBool(input, "private");
            if (input.ContainsKey("private") && isPrivate is null) errors["private"] = ["Must be a boolean"];
            package["private"] = isPrivate ?? false;
        }
        if (input.ContainsKey("tags") || replace)
        {
            var tags = new JsonArray();
            if (input["tags"] is JsonArray given)
            {
                foreach (var tag in given)
                {
                    var tagName = tag is JsonObject o ? o["name"]?.ToString() : tag?.ToString();
                    if (string.IsNullOrWhiteSpace(tagName) || tagName.Length > 100) errors["tags"] = ["Tag \"" + tagName + "\" length is less than minimum 1 or more than 100"];
                    else tags.Add(new JsonObject { ["display_name"] = tagName, ["id"] = TagId(tagName), ["name"] = tagName, ["state"] = "active", ["vocabulary_id"] = null });
                }
            }
            else if (input["tags"] is not null) errors["tags"] = ["Must be a list"];
            package["tags"] = tags;
        }
        if (input.ContainsKey("extras") || replace)
        {
            var extras = new JsonArray();
            if (input["extras"] is JsonArray given)
            {
                foreach (var extra in given)
                {
                    if (extra is JsonObject { } e && e["key"]?.ToString() is { Length: > 0 } key) extras.Add(new JsonObject { ["key"] = key, ["value"] = e["value"]?.ToString() ?? "" });
                    else errors["extras"] = ["Each extra needs a key"];
                }
            }
            package["extras"] = extras;
        }
        if (input["resources"] is JsonArray resources)
        {
            var list = new JsonArray();
            var now = Now();
            foreach (var given in resources)
            {
                if (given is not JsonObject r) { errors["resources"] = ["Must be a list of dictionaries"]; break; }
                var existing = r["id"]?.ToString() is { } rid ? package["resources"]?.AsArray().FirstOrDefault(x => x?["id"]?.ToString() == rid)?.AsObject() : null;
                var resource = new JsonObject { ["id"] = existing?["id"]?.ToString() ?? Guid.NewGuid().ToString(), ["created"] = existing?["created"]?.ToString() ?? now };
                ApplyResource(resource, r, id, list.Count, now);
                list.Add(resource);
            }
            package["resources"] = list;
        }
        if (errors.Count > 0) throw CkanException.Invalid(errors);
        package["type"] = "dataset";
        package["state"] = "active";
        package["metadata_modified"] = Now();
        if (Licenses.Find(package["license_id"]?.GetValue<string>()) is { } license)
        {
            package["license_title"] = license.Title;
            package["license_url"] = license.Url;
            package["isopen"] = license.OdConformance;
        }
        else
        {
            package.Remove("license_title");
            package.Remove("license_url");
            package["isopen"] = false;
        }
    }

    private static void ApplyResource(JsonObject resource, JsonObject input, string packageId, int position, string now)
    {
        foreach (var field in ResourceTextFields) resource[field] = input[field] is JsonValue value ? value.ToString() : (field is "mimetype" ? null : "");
        if (resource["mimetype"] is null && MediaTypes.Guess(resource["format"]!.GetValue<string>(), resource["url"]!.GetValue<string>()) is { } guessed) resource["mimetype"] = guessed;
        resource["cache_last_updated"] = null;
        resource["cache_url"] = null;
        resource["datastore_active"] = false;
        resource["last_modified"] = input["last_modified"]?.ToString();
        resource["metadata_modified"] = now;
        resource["mimetype_inner"] = null;
        resource["package_id"] = packageId;
        resource["position"] = position;
        resource["resource_type"] = null;
        resource["size"] = input["size"] is JsonValue size && size.TryGetValue<long>(out var bytes) ? bytes : null;
        resource["state"] = "active";
        resource["url_type"] = input["url_type"]?.ToString();
        if (resource["url_type"]?.ToString() == LiveUrlType) Live.LiveData.Apply(resource, input);
        else foreach (var field in Live.LiveData.Fields) resource.Remove(field);
    }

    private async Task SaveAsync(string? tenant, JsonObject package, CancellationToken ct)
    {
        var resources = package["resources"]!.AsArray();
        var tags = package["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToArray();
        package["num_resources"] = resources.Count;
        package["num_tags"] = tags.Length;
        package.Remove("organization");
        await store.SavePackageAsync(tenant, new IndexedPackage(
            package["id"]!.GetValue<string>(),
            package["name"]!.GetValue<string>(),
            package["owner_org"]?.GetValue<string>(),
            package["private"]!.GetValue<bool>(),
            package["state"]!.GetValue<string>(),
            package["metadata_modified"]!.GetValue<string>(),
            package["license_id"]?.GetValue<string>(),
            package["title"]?.GetValue<string>() ?? "",
            package["notes"]?.GetValue<string>() ?? "",
            tags,
            resources.Select(r => r!["format"]?.ToString() ?? "").ToArray(),
            resources.Select(r => r!["id"]!.GetValue<string>()).ToArray(),
            package), ct);
    }

    /// <summary>The dictionary package_show returns: the stored one with its organization, groups and relationships.</summary>
    private async Task<JsonObject> ShowAsync(string? tenant, JsonObject stored, CancellationToken ct)
    {
        var package = stored.DeepClone().AsObject();
        var organization = package["owner_org"]?.GetValue<string>() is { } org ? await store.FindOrganizationAsync(tenant, org, ct) : null;
        foreach (var (key, value) in ShownMembers(organization)) package[key] = value;
        return package;
    }

    /// <summary>What package_show adds to the stored dictionary: a summary of its organization, its groups and relationships.</summary>
    private static KeyValuePair<string, JsonNode?>[] ShownMembers(JsonObject? organization) =>
    [
        new("organization", organization is null ? null : new JsonObject
        {
            ["id"] = organization["id"]?.DeepClone(),
            ["name"] = organization["name"]?.DeepClone(),
            ["title"] = organization["title"]?.DeepClone(),
            ["type"] = "organization",
            ["description"] = organization["description"]?.DeepClone(),
            ["image_url"] = organization["image_url"]?.DeepClone(),
            ["created"] = organization["created"]?.DeepClone(),
            ["is_organization"] = true,
            ["approval_status"] = "approved",
            ["state"] = "active",
        }),
        new("groups", new JsonArray()),
        new("relationships_as_object", new JsonArray()),
        new("relationships_as_subject", new JsonArray()),
    ];

    /// <summary><see cref="ShownMembers"/> as UTF-8 JSON object members without the braces, for a search answer.</summary>
    private static byte[] ShownMembersJson(JsonObject? organization)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, PackageJson.WriterOptions))
        {
            new JsonObject(ShownMembers(organization)).WriteTo(writer);
        }
        return buffer.WrittenSpan[1..^1].ToArray();
    }

    private async Task<JsonObject> OrganizationWithCountAsync(string? tenant, JsonObject organization, CancellationToken ct)
    {
        var result = organization.DeepClone().AsObject();
        var search = new CatalogSearch(new FieldNode("owner_org", organization["id"]!.GetValue<string>()), [], false, null, [new SortKey("name", false)], 0, 0, [], 0);
        result["package_count"] = (await store.SearchAsync(tenant, search, ct)).Count;
        return result;
    }

    private static IReadOnlyList<SortKey> ParseSort(string sort)
    {
        var keys = new List<SortKey>();
        foreach (var part in sort.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var field = words[0] == "title_string" ? "title" : words[0];
            if (field is not ("score" or "name" or "title" or "metadata_modified" or "metadata_created")) throw new FormatException($"Can not sort on the field '{words[0]}'.");
            var descending = words.Length > 1 && words[1].Equals("desc", StringComparison.OrdinalIgnoreCase);
            if (words.Length > 2 || (words.Length == 2 && !descending && !words[1].Equals("asc", StringComparison.OrdinalIgnoreCase))) throw new FormatException($"Invalid sort '{part}': use '<field> asc' or '<field> desc'.");
            keys.Add(new SortKey(field, descending));
        }
        if (keys.Count == 0) throw new FormatException("The sort is empty.");
        return keys;
    }

    private static IReadOnlyList<string> ParseFacetFields(JsonNode? node)
    {
        if (node is null) return [];
        var text = node.ToString();
        var fields = node is JsonArray array ? array.Select(f => f?.ToString() ?? "").ToArray() : System.Text.Json.JsonSerializer.Deserialize<string[]>(text) ?? [];
        return fields;
    }

    private static string? ValidateName(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "Missing value";
        if (name.Length < 2) return "Must be at least 2 characters long";
        if (name.Length > 100) return "Name must be a maximum of 100 characters long";
        return NamePattern().IsMatch(name) ? null : "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_";
    }

    private static string TagId(string tag) => new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(tag))).ToString();

    private string Now() => clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static string Required(JsonObject input, params string[] names)
    {
        foreach (var name in names)
        {
            if (input[name] is JsonValue value && value.ToString() is { Length: > 0 } text) return text;
        }
        throw CkanException.Invalid(names[0], "Missing value");
    }

    private static string? OptionalString(JsonObject input, string name) => input[name] is JsonValue value ? value.ToString() : null;

    private static bool? OptionalBool(JsonObject input, string name) => input[name] switch
    {
        JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.False => false,
        JsonValue v when v.ToString().ToLowerInvariant() is "true" or "1" or "yes" => true,
        JsonValue v when v.ToString().ToLowerInvariant() is "false" or "0" or "no" => false,
        _ => null,
    };

    private static int? OptionalInt(JsonObject input, string name, int min, int max)
    {
        if (input[name] is null) return null;
        if (!int.TryParse(input[name]!.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) throw CkanException.Invalid(name, "Invalid integer");
        if (value < min) throw CkanException.Invalid(name, $"Must be a natural number");
        return Math.Min(value, max);
    }

    [GeneratedRegex("^[a-z0-9_-]+$")]
    private static partial Regex NamePattern();
}
