using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Security;
using CityOS.Portal.Http;
using CityOS.Portal.Pages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static CityOS.Portal.Pages.Html;

namespace CityOS.Portal.Explorer;

/// <summary>
/// The data explorer: a tenant's entity types, a list of entities with filters, and an entity page with its attributes,
/// relationships, history chart, map and live values. Everything is read as the signed-in user (IContextReader with the
/// user's caller, the temporal API with the user's token), so a page shows exactly what the user may read.
/// </summary>
public static class ExplorerPages
{
    public const int PageSize = 20;
    public const int Neighbours = 200;

    public static IEndpointRouteBuilder MapExplorerPages(this IEndpointRouteBuilder routes)
    {
        var pages = routes.MapPortalGroup();
        pages.MapGet("/explore", ShowTypes).WithName("PortalExplorer");
        pages.MapGet("/explore/entities", ShowEntities).WithName("PortalEntities");
        pages.MapGet("/explore/entity", ShowEntity).WithName("PortalEntity");
        pages.MapGet("/explore/live", StreamEntity).WithName("PortalEntityLive");
        return routes;
    }

    private static ContextCall CallOf(PortalPage page, string? tenant) =>
        new(page.User?.Caller ?? CallerIdentity.Anonymous, tenant is { Length: > 0 } ? tenant : null);

    private static IContextReader Reader(HttpContext http) => http.RequestServices.GetRequiredService<IContextReader>();

    private static string TenantQuery(string? tenant) => tenant is { Length: > 0 } ? "tenant=" + Q(tenant) + "&" : "";

    public static string EntityLink(string? tenant, string id) => $"{PortalRoutes.Entity}?{TenantQuery(tenant)}id={Q(id)}";

    private static async Task<IResult> ShowTypes(HttpContext http, string? tenant, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        var body = new StringBuilder();
        body.Append($"""
            <p>{E(t.ExplorerIntro)}</p>
            <form method="get" action="{PortalRoutes.Explorer}" class="row">
            <label for="tenant">{E(t.Tenant)}<input id="tenant" name="tenant" type="text" value="{E(tenant)}" placeholder="{E(t.DefaultTenant)}"></label>
            <button type="submit">{E(t.Show)}</button>
            </form>
            <h2>{E(t.EntityTypes)}</h2>
            """);
        IReadOnlyList<string> types;
        try
        {
            types = await Reader(http).ListTypesAsync(CallOf(page, tenant), ct);
        }
        catch (ContextException e) when (e.Kind == ContextErrorKind.TenantNotFound)
        {
            types = [];
        }
        catch (ContextException e)
        {
            return Refused(page, e);
        }
        body.Append(types.Count == 0
            ? $"<p id=\"no-types\">{E(t.NoTypes)}</p>"
            : $"<ul id=\"types\">{string.Concat(types.Select(type => $"<li><a href=\"{PortalRoutes.Entities}?{TenantQuery(tenant)}type={Q(type)}\">{E(type)}</a></li>"))}</ul>");
        return page.Render(t.ExplorerTitle, body.ToString());
    }

    private static async Task<IResult> ShowEntities(HttpContext http, string? tenant, string? type, string? q, int? offset, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        if (type is not { Length: > 0 }) return Results.Redirect(PortalRoutes.Explorer + (tenant is { Length: > 0 } ? "?tenant=" + Q(tenant) : ""));
        var from = Math.Max(offset ?? 0, 0);
        ContextPage result;
        try
        {
            result = await Reader(http).QueryAsync(CallOf(page, tenant), new ContextQuery { Type = type, Q = q is { Length: > 0 } ? q : null, Limit = PageSize, Offset = from, Count = true }, ct);
        }
        catch (ContextException e) when (e.Kind == ContextErrorKind.TenantNotFound)
        {
            result = new ContextPage([], 0);
        }
        catch (ContextException e)
        {
            return Refused(page, e);
        }
        var title = string.Format(System.Globalization.CultureInfo.InvariantCulture, t.EntitiesOfType, type);
        var body = new StringBuilder();
        body.Append($"""
            <p><a href="{PortalRoutes.Explorer}?{TenantQuery(tenant)}">{E(t.EntityTypes)}</a></p>
            <form method="get" action="{PortalRoutes.Entities}" class="row">
            <input type="hidden" name="tenant" value="{E(tenant)}">
            <input type="hidden" name="type" value="{E(type)}">
            <label for="q">{E(t.QueryFilter)}<input id="q" name="q" type="text" value="{E(q)}" placeholder="{E(t.QueryFilterHint)}"></label>
            <button type="submit">{E(t.Filter)}</button>
            </form>
            """);
        if (result.Entities.Count == 0)
        {
            body.Append($"<p id=\"no-entities\">{E(t.NoEntities)}</p>");
            return page.Render(title, body.ToString());
        }
        var total = result.TotalCount ?? result.Entities.Count;
        body.Append($"<p>{F(t.PageRange, from + 1, from + result.Entities.Count, total)}</p>");
        body.Append($"<div class=\"table-wrap\"><table id=\"entities\"><thead><tr><th scope=\"col\">{E(t.EntityId)}</th><th scope=\"col\">{E(t.EntityType)}</th><th scope=\"col\">{E(t.Attributes)}</th></tr></thead><tbody>");
        foreach (var entity in result.Entities)
        {
            var id = entity["id"]?.ToString() ?? "";
            var attributes = EntityView.Attributes(entity).Take(4).Select(a => $"{E(a.Name)}: {E(a.Value)}");
            body.Append($"<tr><td><a href=\"{EntityLink(tenant, id)}\">{E(id)}</a></td><td>{E(EntityView.Types(entity))}</td><td>{string.Join("<br>", attributes)}</td></tr>");
        }
        body.Append("</tbody></table></div>");
        var pageLink = $"{PortalRoutes.Entities}?{TenantQuery(tenant)}type={Q(type)}&q={Q(q)}&offset=";
        var links = new List<string>();
        if (from > 0) links.Add($"<li><a rel=\"prev\" href=\"{pageLink}{Math.Max(from - PageSize, 0)}\">{E(t.Previous)}</a></li>");
        if (from + result.Entities.Count < total) links.Add($"<li><a rel=\"next\" href=\"{pageLink}{from + PageSize}\">{E(t.Next)}</a></li>");
        if (links.Count > 0) body.Append($"<nav class=\"pages\" aria-label=\"{E(t.Pagination)}\"><ul>{string.Concat(links)}</ul></nav>");
        return page.Render(title, body.ToString());
    }

    private static async Task<IResult> ShowEntity(HttpContext http, TemporalHistory history, string? tenant, string? id, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        if (id is not { Length: > 0 }) return page.Error(StatusCodes.Status400BadRequest, string.Format(System.Globalization.CultureInfo.InvariantCulture, t.BadRequest, "id"));
        var call = CallOf(page, tenant);
        JsonObject entity;
        try
        {
            entity = await Reader(http).RetrieveAsync(call, id, null, ct);
        }
        catch (ContextException e)
        {
            return Refused(page, e);
        }
        var attributes = EntityView.Attributes(entity);
        var body = new StringBuilder();
        var type = EntityView.Types(entity);
        var firstType = type.Split(", ")[0];
        body.Append($"""
            <p><a href="{PortalRoutes.Entities}?{TenantQuery(tenant)}type={Q(firstType)}">{F(t.EntitiesOfType, type)}</a></p>
            <dl><dt>{E(t.EntityId)}</dt><dd><code>{E(id)}</code></dd><dt>{E(t.EntityType)}</dt><dd>{E(type)}</dd></dl>
            <p class="live" id="live" role="status" data-state="connecting" data-source="{PortalRoutes.Live}?{TenantQuery(tenant)}id={Q(id)}" data-on="{E(t.LiveOn)}" data-off="{E(t.LiveOff)}">{E(t.LiveUpdates)}: {E(t.LiveConnecting)}</p>
            <h2>{E(t.Attributes)}</h2>
            <div class="table-wrap"><table id="attributes"><thead><tr><th scope="col">{E(t.Attribute)}</th><th scope="col">{E(t.AttributeKind)}</th><th scope="col">{E(t.Value)}</th><th scope="col">{E(t.ObservedAt)}</th></tr></thead><tbody>
            """);
        foreach (var attribute in attributes.DistinctBy(a => a.Name))
        {
            var value = attribute.Object is { } target ? $"<a href=\"{EntityLink(tenant, target)}\">{E(target)}</a>" : E(attribute.Value);
            body.Append($"<tr data-attr=\"{E(attribute.Name)}\"><th scope=\"row\">{E(attribute.Name)}</th><td>{E(attribute.Kind)}</td><td class=\"value\">{value}</td><td class=\"observed\">{E(attribute.ObservedAt)}</td></tr>");
        }
        body.Append("</tbody></table></div>");
        var relationships = attributes.Where(a => a.Object is not null).ToList();
        if (relationships.Count > 0)
        {
            body.Append($"<h2>{E(t.Relationships)}</h2><ul id=\"relationships\">{string.Concat(relationships.Select(r => $"<li>{E(r.Name)}: <a href=\"{EntityLink(tenant, r.Object!)}\">{E(r.Object)}</a></li>"))}</ul>");
        }
        body.Append($"<h2>{E(t.History)}</h2>");
        var series = await history.NumericAsync(page.User, tenant, id, ct);
        if (series.Count == 0) body.Append($"<p id=\"no-history\">{E(t.NoHistory)}</p>");
        var index = 0;
        foreach (var (name, points) in series)
        {
            var caption = string.Format(System.Globalization.CultureInfo.InvariantCulture, t.HistoryOf, name);
            body.Append($"<figure class=\"history\" data-attr=\"{E(name)}\">{Svg.HistoryChart($"history-{index++}", caption, points)}<figcaption>{E(caption)}</figcaption></figure>");
        }
        body.Append($"<h2>{E(t.Map)}</h2>");
        var geometries = EntityView.Geometries(entity);
        if (geometries.Count == 0)
        {
            body.Append($"<p id=\"no-location\">{E(t.NoLocation)}</p>");
        }
        else
        {
            var own = EntityView.Positions(geometries[0].Geometry["coordinates"]).ToList();
            var neighbours = await NeighboursAsync(Reader(http), call, firstType, id, ct);
            var caption = string.Format(System.Globalization.CultureInfo.InvariantCulture, t.MapOf, id);
            body.Append($"<figure id=\"map\">{Svg.Map("map-svg", caption, own, neighbours)}<figcaption>{E(caption)}: {E(string.Join("; ", own.Select(p => $"{Svg.Coordinate(p.Lat)}, {Svg.Coordinate(p.Lon)}")))}</figcaption></figure>");
        }
        body.Append($"<p><a href=\"/ngsi-ld/v1/entities/{Q(id)}\">{E(t.AsJson)}</a></p>");
        return page.Render(id, body.ToString(), scripts: "portal-live.js");
    }

    /// <summary>The positions of other entities of the type, for the map's surroundings.</summary>
    private static async Task<IReadOnlyList<(double Lon, double Lat)>> NeighboursAsync(IContextReader reader, ContextCall call, string type, string id, CancellationToken ct)
    {
        try
        {
            var others = await reader.QueryAsync(call, new ContextQuery { Type = type, Attrs = ["location"], Limit = Neighbours }, ct);
            return [.. others.Entities.Where(e => e["id"]?.ToString() != id)
                .SelectMany(e => EntityView.Geometries(e).Take(1).SelectMany(g => EntityView.Positions(g.Geometry["coordinates"])))];
        }
        catch (ContextException)
        {
            return [];
        }
    }

    /// <summary>Server-sent events: the entity's attributes now, and again after each committed change of it, as the user reads them.</summary>
    private static async Task<IResult> StreamEntity(HttpContext http, LiveChanges live, string? tenant, string? id, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        if (id is not { Length: > 0 }) return Results.BadRequest();
        var call = CallOf(page, tenant);
        var reader = Reader(http);
        var watcher = live.Watch(tenant, id);
        try
        {
            var first = await reader.RetrieveAsync(call, id, null, ct);
            return TypedResults.ServerSentEvents(Values(first, watcher, reader, call, id, ct), "entity");
        }
        catch (ContextException e)
        {
            watcher.Dispose();
            return Results.StatusCode(e.Kind switch
            {
                ContextErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
                ContextErrorKind.Forbidden => StatusCodes.Status403Forbidden,
                _ => StatusCodes.Status404NotFound,
            });
        }
    }

    private static async IAsyncEnumerable<string> Values(JsonObject first, LiveChanges.Watcher watcher, IContextReader reader, ContextCall call, string id, [EnumeratorCancellation] CancellationToken ct)
    {
        using (watcher)
        {
            yield return Snapshot(first);
            while (await watcher.Changes.WaitToReadAsync(ct))
            {
                watcher.Changes.TryRead(out _);
                JsonObject entity;
                try
                {
                    entity = await reader.RetrieveAsync(call, id, null, ct);
                }
                catch (ContextException)
                {
                    yield break;
                }
                yield return Snapshot(entity);
            }
        }
    }

    private static string Snapshot(JsonObject entity)
    {
        var values = new JsonObject();
        foreach (var attribute in EntityView.Attributes(entity).DistinctBy(a => a.Name))
        {
            values[attribute.Name] = new JsonObject { ["value"] = attribute.Value, ["observedAt"] = attribute.ObservedAt };
        }
        return values.ToJsonString();
    }

    private static IResult Refused(PortalPage page, ContextException e) => e.Kind switch
    {
        ContextErrorKind.Unauthorized when page.User is null => page.SignInFirst(),
        ContextErrorKind.Unauthorized or ContextErrorKind.Forbidden => page.Error(StatusCodes.Status403Forbidden, page.T.Forbidden),
        ContextErrorKind.NotFound => page.Error(StatusCodes.Status404NotFound, page.T.NotFound),
        _ => page.Error(StatusCodes.Status400BadRequest, string.Format(System.Globalization.CultureInfo.InvariantCulture, page.T.BadRequest, e.Message)),
    };
}
