using CityOS.Context.Query;
using CityOS.Core;
using Microsoft.AspNetCore.Http;

namespace CityOS.Context.Broker.Http;

/// <summary>What Purge Entities (5.6.21, ETSI GS CIM 009 V1.9.1) removes: the entities a query selects, or only some of their attributes.</summary>
/// <param name="Keep">Attributes that stay (every other one is removed); null when not given.</param>
/// <param name="Drop">Attributes that are removed (the entity stays); null when not given.</param>
public sealed record PurgeRequest(QueryRequest Query, IReadOnlyList<string>? Keep, IReadOnlyList<string>? Drop);

/// <summary>The query-string parameters of DELETE /entities (6.4.3.3).</summary>
public static class PurgeParameters
{
    /// <summary>Names the broker sets or the entity carries itself: a filter on them alone selects every entity.</summary>
    private static readonly HashSet<string> SystemNames = new(StringComparer.Ordinal) { "id", "type", "scope", "createdAt", "modifiedAt", "deletedAt" };

    /// <summary>
    /// Reads the request and refuses, with BadRequestData and before anything is deleted, one that is too wide (5.6.21.4):
    /// it needs a type, attrs naming a non-system attribute, a q over a non-system attribute, a scopeQ, a geo-query,
    /// or local=true; ids and an id pattern alone do not qualify. keep and drop exclude each other, and linked-entity
    /// forms (attr{...}) are refused in q and attrs.
    /// </summary>
    public static PurgeRequest FromQueryString(IQueryCollection query, ContextOptions settings)
    {
        var keep = QueryParameters.List(query, "keep");
        var drop = QueryParameters.List(query, "drop");
        if (keep is not null && drop is not null) throw NgsiLdException.BadRequest("keep and drop cannot be given together.");
        var attrs = QueryParameters.List(query, "attrs");
        var q = QueryParameters.Text(query, "q");
        if (q is not null && q.Contains('{') || attrs?.Any(a => a.Contains('{')) == true)
        {
            throw NgsiLdException.BadRequest("Purge Entities does not take linked-entity queries or projections (attr{...}).");
        }
        var request = new QueryRequest
        {
            Selectors = QueryParameters.Selectors(QueryParameters.List(query, "id"), QueryParameters.Text(query, "idPattern"), QueryParameters.Text(query, "type")),
            Attrs = attrs,
            Q = q,
            ScopeQ = QueryParameters.Text(query, "scopeQ"),
            Geo = Geo.GeoQuery.FromQueryParameters(QueryParameters.Text(query, "georel"), QueryParameters.Text(query, "geometry"),
                QueryParameters.Text(query, "coordinates"), QueryParameters.Text(query, "geoproperty")),
            Limit = settings.MaxLimit,
        };
        var qualifies = request.Selectors.Any(s => s.Type is not null)
            || attrs?.Any(a => !SystemNames.Contains(a)) == true
            || q is not null && QExpression.Parse(q).AttributeNames.Count > 0
            || request.ScopeQ is not null || request.Geo is not null
            || QueryParameters.Flag(query, "local");
        return qualifies
            ? new PurgeRequest(request, keep, drop)
            : throw NgsiLdException.BadRequest("Too wide a purge: give a type, attrs or q naming a non-system attribute, scopeQ, a geo-query, or local=true.");
    }
}
