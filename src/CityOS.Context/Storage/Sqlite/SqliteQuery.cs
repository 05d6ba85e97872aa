using System.Globalization;
using System.Text;
using CityOS.Context.Model;
using Microsoft.Data.Sqlite;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>Turns the prefilters of an <see cref="EntityQuery"/> into SQL and applies the exact predicate to what it returns.</summary>
internal static class SqliteQuery
{
    public static QueryPage Run(SqliteConnection connection, EntityQuery query, CancellationToken ct)
    {
        using var command = connection.CreateCommand();
        var parameterIndex = 0;
        string Parameter(object value)
        {
            var name = "$p" + parameterIndex++.ToString(CultureInfo.InvariantCulture);
            command.Parameters.AddWithValue(name, value);
            return name;
        }
        string List<T>(IEnumerable<T> values) => string.Join(",", values.Select(v => Parameter(v!)));

        // SQLite materialises an IN (subquery) completely, so only selective prefilters (ids, values,
        // geo) are written that way; type and attribute filters become correlated EXISTS probes on
        // their primary keys. With nothing selective, a single type or attribute drives the scan in
        // rowid order from its own index, so a page costs its size, not the table's.
        var selective = query.Ids is { Count: > 0 } || query.ValueFilters.Count > 0 || query.GeoEnvelope is { IsNull: false };
        var sql = new StringBuilder();
        var types = query.TypeAnyOf is { Count: > 0 } t ? t : null;
        var attributes = query.HasAnyAttribute is { Count: > 0 } a ? a : null;
        string order;
        if (!selective && types is { Count: 1 })
        {
            sql.Append("SELECT e.doc FROM entity_types d JOIN entities e ON e.rowid = d.entity WHERE d.type = ").Append(Parameter(types[0]));
            types = null;
            order = " ORDER BY d.entity";
        }
        else if (!selective && types is null && attributes is { Count: 1 })
        {
            sql.Append("SELECT e.doc FROM entity_attrs d JOIN entities e ON e.rowid = d.entity WHERE d.attr = ").Append(Parameter(attributes[0]));
            attributes = null;
            order = " ORDER BY d.entity";
        }
        else
        {
            sql.Append("SELECT e.doc FROM entities e WHERE 1=1");
            order = " ORDER BY e.rowid";
        }

        if (query.Ids is { Count: > 0 } ids) sql.Append(" AND e.id IN (").Append(List(ids)).Append(')');
        if (types is not null)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM entity_types t WHERE t.entity = e.rowid AND t.type IN (").Append(List(types)).Append("))");
        }
        if (attributes is not null)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM entity_attrs x WHERE x.entity = e.rowid AND x.attr IN (").Append(List(attributes)).Append("))");
        }
        if (query.GeoEnvelope is { IsNull: false } box && query.GeoPropertyIri is { } geoProperty)
        {
            sql.Append(" AND e.rowid IN (SELECT g.entity FROM geo_rtree r JOIN geo_entries g ON g.id = r.id WHERE g.attr = ")
                .Append(Parameter(geoProperty))
                .Append(" AND r.minx <= ").Append(Parameter(box.MaxX))
                .Append(" AND r.maxx >= ").Append(Parameter(box.MinX))
                .Append(" AND r.miny <= ").Append(Parameter(box.MaxY))
                .Append(" AND r.maxy >= ").Append(Parameter(box.MinY)).Append(')');
        }
        foreach (var filter in query.ValueFilters)
        {
            sql.Append(" AND e.rowid IN (SELECT entity FROM attr_values WHERE attr = ").Append(Parameter(filter.AttributeIri));
            if (filter.TextAnyOf is { Count: > 0 } texts) sql.Append(" AND txt IN (").Append(List(texts)).Append(')');
            else if (filter.NumberAnyOf is { Count: > 0 } numbers) sql.Append(" AND num IN (").Append(List(numbers)).Append(')');
            else
            {
                sql.Append(" AND num IS NOT NULL");
                if (filter.Min is { } min) sql.Append(filter.MinInclusive ? " AND num >= " : " AND num > ").Append(Parameter(min));
                if (filter.Max is { } max) sql.Append(filter.MaxInclusive ? " AND num <= " : " AND num < ").Append(Parameter(max));
            }
            sql.Append(')');
        }
        sql.Append(order);
        command.CommandText = sql.ToString();

        var page = new List<Entity>(Math.Min(query.Limit, 1000));
        long matched = 0;
        var ordered = query.OrderBy is not null ? new List<(double Key, long Sequence, Entity Entity)>() : null;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            ct.ThrowIfCancellationRequested();
            var entity = EntityDocument.Deserialize(((byte[])reader[0]).AsSpan());
            if (query.Predicate is { } predicate && !predicate(entity)) continue;
            if (ordered is not null)
            {
                ordered.Add((query.OrderBy!(entity), matched++, entity));
                continue;
            }
            if (matched >= query.Offset && page.Count < query.Limit) page.Add(entity);
            matched++;
            if (!query.Count && page.Count >= query.Limit) break;
        }
        if (ordered is not null)
        {
            page.AddRange(ordered.OrderBy(o => o.Key).ThenBy(o => o.Sequence).Skip(query.Offset).Take(query.Limit).Select(o => o.Entity));
        }
        return new QueryPage(page, query.Count ? matched : null);
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
