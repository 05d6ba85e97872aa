using CityOS.Context.Model;

namespace CityOS.Context.Geo;

/// <summary>A geo-query applied to an entity's GeoProperty: whether one of its geometries matches, and how near the nearest is.</summary>
public static class EntityGeometry
{
    public static bool Matches(Entity entity, string geoProperty, GeoQuery geo)
    {
        if (!entity.Attributes.TryGetValue(geoProperty, out var instances)) return false;
        foreach (var instance in instances)
        {
            if (instance.Kind == AttributeKind.GeoProperty && instance.Value is not null && geo.Matches(GeoJsonReader.Read(instance.Value))) return true;
        }
        return false;
    }

    /// <summary>The geodesic distance in metres of the entity's nearest geometry to the query's; <see cref="double.MaxValue"/> without one.</summary>
    public static double NearestDistance(Entity entity, string geoProperty, GeoQuery geo)
    {
        var nearest = double.MaxValue;
        if (!entity.Attributes.TryGetValue(geoProperty, out var instances)) return nearest;
        foreach (var instance in instances)
        {
            if (instance.Kind == AttributeKind.GeoProperty && instance.Value is not null) nearest = Math.Min(nearest, geo.DistanceMetres(GeoJsonReader.Read(instance.Value)));
        }
        return nearest;
    }
}
