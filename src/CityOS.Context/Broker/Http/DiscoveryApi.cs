using System.Text.Json.Nodes;
using CityOS.Context.Access;
using CityOS.Context.JsonLd;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityOS.Context.Broker.Http;

/// <summary>Discovery of entity types and attributes (5.7.5–5.7.10, 6.25–6.28).</summary>
public static class DiscoveryApi
{
    public static RouteGroupBuilder MapDiscoveryApi(this RouteGroupBuilder api)
    {
        // These routes read the store directly: its errors become NGSI-LD errors here.
        var discovery = api.MapGroup("").WithTags("Discovery").AddEndpointFilter(StorageErrorMapping.Filter)
            .WithSurface(ApiSurface.NgsiLd).RequireAuthorization(CallerAuthentication.CallerPolicy);
        discovery.MapGet("/types", ListTypes).WithName("ListTypes").WithSummary("Available entity types (5.7.5, 5.7.6).");
        discovery.MapGet("/types/{type}", TypeDetails).WithName("TypeInfo").WithSummary("Details of one entity type (5.7.7).");
        discovery.MapGet("/attributes", ListAttributes).WithName("ListAttributes").WithSummary("Available attributes (5.7.8, 5.7.9).");
        discovery.MapGet("/attributes/{attrId}", AttributeDetails).WithName("AttributeInfo").WithSummary("Details of one attribute (5.7.10).");
        return api;
    }

    private static async Task<NgsiLdResponse> ListTypes(HttpRequest request, BrokerRequestReader reader, IEntityStore store, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        QueryParameters.AllowOnly(request.Query, "details", "local");
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var types = await VisibleCatalog.TypesAsync(store, tenant, access, ct);
        JsonNode body = QueryParameters.Flag(request.Query, "details")
            ? new JsonArray(types.Select(t => (JsonNode)new JsonObject
            {
                ["id"] = t.Type,
                ["type"] = "EntityType",
                ["typeName"] = terms.CompactIri(t.Type),
                ["attributeNames"] = Names(t.Attributes.Select(a => a.Attribute), terms),
            }).ToArray())
            : new JsonObject
            {
                ["id"] = "urn:ngsi-ld:EntityTypeList:" + Guid.NewGuid(),
                ["type"] = "EntityTypeList",
                ["typeList"] = Names(types.Select(t => t.Type), terms),
            };
        return new NgsiLdResponse(body, terms, mediaType);
    }

    private static async Task<NgsiLdResponse> TypeDetails(string type, HttpRequest request, BrokerRequestReader reader, IEntityStore store, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        QueryParameters.AllowOnly(request.Query, "local");
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var iri = terms.ExpandTerm(Uri.UnescapeDataString(type));
        var found = (await VisibleCatalog.TypesAsync(store, tenant, access, ct)).FirstOrDefault(t => t.Type == iri)
            ?? throw NgsiLdException.NotFound($"No entity of type {type} exists.");
        var body = new JsonObject
        {
            ["id"] = found.Type,
            ["type"] = "EntityTypeInfo",
            ["typeName"] = terms.CompactIri(found.Type),
            ["entityCount"] = found.EntityCount,
            ["attributeDetails"] = new JsonArray(found.Attributes.Select(a => (JsonNode)new JsonObject
            {
                ["id"] = a.Attribute,
                ["type"] = "Attribute",
                ["attributeName"] = terms.CompactIri(a.Attribute),
                ["attributeTypes"] = new JsonArray(a.Kinds.Select(k => (JsonNode)k.ToString()).ToArray()),
            }).ToArray()),
        };
        return new NgsiLdResponse(body, terms, mediaType);
    }

    private static async Task<NgsiLdResponse> ListAttributes(HttpRequest request, BrokerRequestReader reader, IEntityStore store, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        QueryParameters.AllowOnly(request.Query, "details", "local");
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var attributes = await VisibleCatalog.AttributesAsync(store, tenant, access, ct);
        JsonNode body = QueryParameters.Flag(request.Query, "details")
            ? new JsonArray(attributes.Select(a => (JsonNode)AttributeObject(a, terms, withCounts: false)).ToArray())
            : new JsonObject
            {
                ["id"] = "urn:ngsi-ld:AttributeList:" + Guid.NewGuid(),
                ["type"] = "AttributeList",
                ["attributeList"] = Names(attributes.Select(a => a.Attribute), terms),
            };
        return new NgsiLdResponse(body, terms, mediaType);
    }

    private static async Task<NgsiLdResponse> AttributeDetails(string attrId, HttpRequest request, BrokerRequestReader reader, IEntityStore store, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        QueryParameters.AllowOnly(request.Query, "local");
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var iri = terms.ExpandTerm(Uri.UnescapeDataString(attrId));
        var found = (await VisibleCatalog.AttributesAsync(store, tenant, access, ct)).FirstOrDefault(a => a.Attribute == iri)
            ?? throw NgsiLdException.NotFound($"No entity has an attribute {attrId}.");
        return new NgsiLdResponse(AttributeObject(found, terms, withCounts: true), terms, mediaType);
    }

    /// <summary>
    /// The Attribute data type (5.2.28). attributeCount and attributeTypes belong to the details of one attribute (5.7.10);
    /// the detailed list (5.7.9) gives id, attributeName and typeNames.
    /// </summary>
    private static JsonObject AttributeObject(AttributeSummary attribute, LdContext terms, bool withCounts)
    {
        var result = new JsonObject
        {
            ["id"] = attribute.Attribute,
            ["type"] = "Attribute",
            ["attributeName"] = terms.CompactIri(attribute.Attribute),
        };
        if (withCounts)
        {
            result["attributeCount"] = attribute.EntityCount;
            result["attributeTypes"] = new JsonArray(attribute.Kinds.Select(k => (JsonNode)k.ToString()).ToArray());
        }
        result["typeNames"] = Names(attribute.Types, terms);
        return result;
    }

    private static JsonArray Names(IEnumerable<string> iris, LdContext terms) =>
        new(iris.Select(i => (JsonNode)terms.CompactIri(i)).ToArray());
}
