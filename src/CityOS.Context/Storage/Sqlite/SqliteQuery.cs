using System.Globalization;
using System.Text;
using CityOS.Context.Model;
using CityOS.Context.Geo;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>
/// Turns the index prefilters of an <see cref="EntityQuery"/> (<see cref="IndexFilters.Of"/>) into SQL, orders by
/// distance when asked, and gives what they return to the residual filter. Of the query's parts it applies exactly
/// only the entity selector, when the prefilters select it exactly (one selector of ids and plain type names).
/// </summary>
internal static class SqliteQuery
{
    public static QueryParts Applies(EntityQuery query) => IndexFilters.SelectsEntitiesExactly(query) ? QueryParts.Entities : QueryParts.None;

    public static QueryPage Run(ReadSession session, EntityQuery query, IResidualFilter? residual, CancellationToken ct)
    {
        var sql = new SqlBuilder();
        var prefilter = IndexFilters.Of(query);
        return query is { NearPoint: { } near, Geo: { } geo } && prefilter is { GeoEnvelope.IsNull: false, Ids: null or { Count: 0 } }
            ? RunNear(session, sql, query, prefilter, geo, near, residual, ct)
            : RunScan(session, sql, query, prefilter, residual, ct);
    }

    /// <summary>Builds the SQL text and its parameters ($p0, $p1, … in order, so the n-th is bound at index n + 1).</summary>
    private sealed class SqlBuilder
    {
        private readonly StringBuilder _text = new();
        private int _parameters;

        public List<object> Values { get; } = [];

        public SqlBuilder Append(string text)
        {
            _text.Append(text);
            return this;
        }

        public SqlBuilder Parameter(object value)
        {
            _text.Append("$p").Append(_parameters++.ToString(CultureInfo.InvariantCulture));
            Values.Add(value);
            return this;
        }

        public SqlBuilder List<T>(IEnumerable<T> values)
        {
            var first = true;
            foreach (var value in values)
            {
                if (!first) _text.Append(',');
                Parameter(value!);
                first = false;
            }
            return this;
        }

        public override string ToString() => _text.ToString();
    }

    // SQLite materialises an IN (subquery) completely, so only selective prefilters (ids, values,
    // geo) are written that way; type and attribute filters become correlated EXISTS probes on
    // their primary keys. With nothing selective, a single type or attribute drives the scan in
    // rowid order from its own index, so a page costs its size, not the table's. A cursor is a
    // range on that same rowid, so a page after it starts where the previous one ended.
    private static QueryPage RunScan(ReadSession session, SqlBuilder sql, EntityQuery query, IndexPrefilter prefilter, IResidualFilter? residual, CancellationToken ct)
    {
        var selective = prefilter.Ids is { Count: > 0 } || prefilter.ValueFilters.Count > 0 || prefilter.GeoEnvelope is { IsNull: false };
        var types = prefilter.TypeAnyOf is { Count: > 0 } t ? t : null;
        var attributes = prefilter.HasAnyAttribute is { Count: > 0 } a ? a : null;
        var near = query.Order == EntityOrder.Distance ? query.Geo : null;
        var cursor = Cursor.Parse(query.After, byDistance: near is not null);
        string key;
        if (!selective && types is { Count: 1 })
        {
            sql.Append("SELECT d.entity, e.doc FROM entity_types d JOIN entities e ON e.rowid = d.entity WHERE d.type = ").Parameter(types[0]);
            types = null;
            key = "d.entity";
        }
        else if (!selective && types is null && attributes is { Count: 1 })
        {
            sql.Append("SELECT d.entity, e.doc FROM entity_attrs d JOIN entities e ON e.rowid = d.entity WHERE d.attr = ").Parameter(attributes[0]);
            attributes = null;
            key = "d.entity";
        }
        else
        {
            sql.Append("SELECT e.rowid, e.doc FROM entities e WHERE 1=1");
            key = "e.rowid";
        }
        // By distance the cursor is a (distance, rowid) pair, applied once the candidates are ordered.
        if (cursor is { } after && near is null) sql.Append(" AND " + key + " > ").Parameter(after.RowId);
        Conditions(sql, prefilter, types, attributes, geo: true, entity: "e.rowid");
        sql.Append(" ORDER BY " + key);

        var page = new List<Entity>(Math.Min(query.Limit, 1000));
        long matched = 0, last = 0;
        var ordered = near is not null ? new List<(double Key, long RowId, Entity Entity)>() : null;
        // A query of the same shape has the same text: its statement is prepared once per connection, and documents are
        // decoded straight from SQLite's buffer.
        var rows = session.Statement(sql.ToString());
        try
        {
            for (var i = 0; i < sql.Values.Count; i++) rows.BindValue(i + 1, sql.Values[i]);
            while (rows.Step())
            {
                ct.ThrowIfCancellationRequested();
                if (residual is null && ordered is null && (matched < query.Offset || page.Count >= query.Limit))
                {
                    // Nothing left to decide: rows before the offset (or, counting, after the page) are counted unread.
                    matched++;
                    if (!query.Count && page.Count >= query.Limit) break;
                    continue;
                }
                var entity = EntityDocument.Deserialize(rows.Blob(1));
                if (residual is not null && !residual.Matches(entity)) continue;
                if (ordered is not null)
                {
                    var distance = EntityGeometry.NearestDistance(entity, near!.PropertyIri, near.Query);
                    if (cursor is null || cursor.Value.Precedes(distance, rows.Int64(0))) ordered.Add((distance, rows.Int64(0), entity));
                    continue;
                }
                if (matched >= query.Offset && page.Count < query.Limit)
                {
                    page.Add(entity);
                    last = rows.Int64(0);
                }
                matched++;
                if (!query.Count && page.Count >= query.Limit) break;
            }
        }
        finally
        {
            rows.Reset();
        }
        if (ordered is null) return new QueryPage(page, query.Count ? matched : null, Next(page, query, last));
        var taken = ordered.OrderBy(o => o.Key).ThenBy(o => o.RowId).Skip(query.Offset).Take(query.Limit).ToList();
        page.AddRange(taken.Select(o => o.Entity));
        return new QueryPage(page, query.Count ? ordered.Count : null, taken.Count > 0 ? Next(page, query, taken[^1].RowId, taken[^1].Key) : null);
    }

    /// <summary>The cursor after a page's last entity, when the page is full (a shorter page is the last).</summary>
    private static string? Next(List<Entity> page, EntityQuery query, long rowId, double? distance = null) =>
        page.Count > 0 && page.Count >= query.Limit ? new Cursor(rowId, distance).ToString() : null;

    /// <summary>
    /// A position in a query's order: the rowid of the last entity of a page and, by distance, its distance. Rowids
    /// are never reused for an older entity, so what follows a position is what was not yet returned.
    /// </summary>
    private readonly record struct Cursor(long RowId, double? Distance)
    {
        public static Cursor? Parse(string? text, bool byDistance)
        {
            if (text is null) return null;
            var parts = text.Split(':');
            if (parts.Length != (byDistance ? 2 : 1)
                || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rowId)
                || (byDistance && !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            {
                throw new InvalidCursorException(text);
            }
            return new Cursor(rowId, byDistance ? double.Parse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture) : null);
        }

        /// <summary>Whether a candidate at this distance and rowid comes after the position (by distance, then rowid).</summary>
        public bool Precedes(double distance, long rowId) => distance > Distance || (distance == Distance && rowId > RowId);

        public override string ToString() => Distance is { } distance
            ? RowId.ToString(CultureInfo.InvariantCulture) + ":" + distance.ToString("R", CultureInfo.InvariantCulture)
            : RowId.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// near, ordered by distance: candidates come from the R*Tree with their indexed Point positions,
    /// are ordered by geodesic distance without reading their documents, and documents are read in
    /// that order only until the page is full (or, with count, until all are checked).
    /// </summary>
    private static QueryPage RunNear(ReadSession session, SqlBuilder sql, EntityQuery query, IndexPrefilter prefilter, GeoFilter geo, Coordinate near,
        IResidualFilter? residual, CancellationToken ct)
    {
        var cursor = Cursor.Parse(query.After, byDistance: true);
        var box = prefilter.GeoEnvelope!;
        // The R*Tree rows carry the entity's types, so the type filter costs no index probe per candidate.
        sql.Append("SELECT r.entity, r.x, r.y, r.types FROM geo_rtree r WHERE r.attr = ")
            .Parameter(geo.PropertyIri)
            .Append(" AND r.minx <= ").Parameter(box.MaxX).Append(" AND r.maxx >= ").Parameter(box.MinX)
            .Append(" AND r.miny <= ").Parameter(box.MaxY).Append(" AND r.maxy >= ").Parameter(box.MinY);
        Conditions(sql, prefilter, types: null, prefilter.HasAnyAttribute is { Count: > 0 } a ? a : null, geo: false, entity: "r.entity");
        var wanted = prefilter.TypeAnyOf is { Count: > 0 } t ? new HashSet<string>(t, StringComparer.Ordinal) : null;

        var distances = new Dictionary<long, double>();
        var loaded = new Dictionary<long, Entity>();
        // Hundreds of candidate rows per query: read them on SQLite's own API, not through a data reader.
        var candidates = session.Statement(sql.ToString());
        try
        {
            for (var i = 0; i < sql.Values.Count; i++) candidates.BindValue(i + 1, sql.Values[i]);
            while (candidates.Step())
            {
                ct.ThrowIfCancellationRequested();
                var rowid = candidates.Int64(0);
                if (wanted is not null && !candidates.Text(3).Split(SqliteEntityWriter.TypeSeparator).Any(wanted.Contains)) continue;
                if (candidates.IsNull(1))
                {
                    if (loaded.ContainsKey(rowid)) continue;
                    var entity = session.GetByRowId(rowid);
                    if (entity is null) continue;
                    loaded[rowid] = entity;
                    distances[rowid] = EntityGeometry.NearestDistance(entity, geo.PropertyIri, geo.Query);
                    continue;
                }
                var distance = GeoMetrics.HaversineMetres(near.X, near.Y, candidates.Double(1), candidates.Double(2));
                distances[rowid] = distances.TryGetValue(rowid, out var known) ? Math.Min(known, distance) : distance;
            }
        }
        finally
        {
            candidates.Reset();
        }

        var page = new List<Entity>(Math.Min(query.Limit, 1000));
        long matched = 0;
        (long RowId, double Distance) last = default;
        foreach (var (rowid, distance) in distances.OrderBy(d => d.Value).ThenBy(d => d.Key))
        {
            ct.ThrowIfCancellationRequested();
            if (cursor is { } after && !after.Precedes(distance, rowid)) continue;
            var entity = loaded.TryGetValue(rowid, out var found) ? found : session.GetByRowId(rowid);
            if (entity is null || (residual is not null && !residual.Matches(entity))) continue;
            if (matched >= query.Offset && page.Count < query.Limit)
            {
                page.Add(entity);
                last = (rowid, distance);
            }
            matched++;
            if (!query.Count && page.Count >= query.Limit) break;
        }
        return new QueryPage(page, query.Count ? matched : null, Next(page, query, last.RowId, last.Distance));
    }

    /// <summary>The prefilters as conditions on <paramref name="entity"/>, the expression that names the candidate's rowid.</summary>
    private static void Conditions(SqlBuilder sql, IndexPrefilter query, IReadOnlyList<string>? types, IReadOnlyList<string>? attributes, bool geo, string entity)
    {
        if (query.Ids is { Count: > 0 } ids) sql.Append(" AND e.id IN (").List(ids).Append(")");
        if (types is not null)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM entity_types t WHERE t.entity = " + entity + " AND t.type IN (").List(types).Append("))");
        }
        if (attributes is not null)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM entity_attrs x WHERE x.entity = " + entity + " AND x.attr IN (").List(attributes).Append("))");
        }
        if (geo && query.GeoEnvelope is { IsNull: false } box && query.GeoPropertyIri is { } geoProperty)
        {
            sql.Append(" AND " + entity + " IN (SELECT r.entity FROM geo_rtree r WHERE r.attr = ").Parameter(geoProperty)
                .Append(" AND r.minx <= ").Parameter(box.MaxX)
                .Append(" AND r.maxx >= ").Parameter(box.MinX)
                .Append(" AND r.miny <= ").Parameter(box.MaxY)
                .Append(" AND r.maxy >= ").Parameter(box.MinY).Append(")");
        }
        foreach (var filter in query.ValueFilters)
        {
            if (filter.TextAnyOf is { Count: > 0 } texts)
            {
                sql.Append(" AND " + entity + " IN (SELECT entity FROM attr_texts WHERE attr = ").Parameter(filter.AttributeIri).Append(" AND txt IN (").List(texts).Append(")");
            }
            else if (filter.NumberAnyOf is { Count: > 0 } numbers)
            {
                sql.Append(" AND " + entity + " IN (SELECT entity FROM attr_numbers WHERE attr = ").Parameter(filter.AttributeIri).Append(" AND num IN (").List(numbers).Append(")");
            }
            else
            {
                sql.Append(" AND " + entity + " IN (SELECT entity FROM attr_numbers WHERE attr = ").Parameter(filter.AttributeIri);
                if (filter.Min is { } min) sql.Append(filter.MinInclusive ? " AND num >= " : " AND num > ").Parameter(min);
                if (filter.Max is { } max) sql.Append(filter.MaxInclusive ? " AND num <= " : " AND num < ").Parameter(max);
                // Inside the one IN list, so that the scan still runs in rowid order and stops when the page is full.
                if (filter is { FromSeveralTerms: true, Min: not null, Max: not null }) sql.Append(" UNION ALL SELECT entity FROM attr_multi WHERE attr = ").Parameter(filter.AttributeIri);
            }
            sql.Append(")");
        }
    }

    public static IReadOnlyList<TypeSummary> Types(SqliteConnection connection)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var attributes = new Dictionary<string, SortedDictionary<string, SortedSet<AttributeKind>>>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT type, count(*) FROM entity_types GROUP BY type";
            using var reader = command.ExecuteReader();
            while (reader.Read()) counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT DISTINCT t.type, a.attr, a.kind FROM entity_types t JOIN entity_attrs a ON a.entity = t.entity";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var byAttribute = attributes.TryGetValue(reader.GetString(0), out var found) ? found : attributes[reader.GetString(0)] = new(StringComparer.Ordinal);
                var kinds = byAttribute.TryGetValue(reader.GetString(1), out var set) ? set : byAttribute[reader.GetString(1)] = [];
                kinds.Add((AttributeKind)reader.GetInt32(2));
            }
        }
        return counts.Select(c => new TypeSummary(c.Key, c.Value,
            attributes.TryGetValue(c.Key, out var attrs)
                ? attrs.Select(a => new AttributeUse(a.Key, a.Value.ToList())).ToList()
                : [])).ToList();
    }

    public static IReadOnlyList<AttributeSummary> Attributes(SqliteConnection connection)
    {
        var result = new SortedDictionary<string, (long Count, SortedSet<string> Types, SortedSet<AttributeKind> Kinds)>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT attr, count(*) FROM entity_attrs GROUP BY attr";
            using var reader = command.ExecuteReader();
            while (reader.Read()) result[reader.GetString(0)] = (reader.GetInt64(1), new SortedSet<string>(StringComparer.Ordinal), []);
        }
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT DISTINCT a.attr, t.type, a.kind FROM entity_attrs a JOIN entity_types t ON t.entity = a.entity";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (!result.TryGetValue(reader.GetString(0), out var entry)) continue;
                entry.Types.Add(reader.GetString(1));
                entry.Kinds.Add((AttributeKind)reader.GetInt32(2));
            }
        }
        return result.Select(r => new AttributeSummary(r.Key, r.Value.Count, r.Value.Types.ToList(), r.Value.Kinds.ToList())).ToList();
    }
}
