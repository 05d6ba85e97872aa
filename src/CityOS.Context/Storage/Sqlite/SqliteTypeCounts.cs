using CityOS.Core.Context;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>
/// Entity types with counts up to a limit (<see cref="IEntityStore.CountTypesAsync"/>) from the type index alone:
/// entity_types is keyed (type, entity), so each next type is one seek past the previous one (a loose index scan) and a
/// count reads at most limit + 1 entries of its type.
/// </summary>
internal static class SqliteTypeCounts
{
    private const string NextType = "SELECT type FROM entity_types WHERE type > ? ORDER BY type LIMIT 1";
    private const string CountOfType = "SELECT count(*) FROM (SELECT 1 FROM entity_types WHERE type = ? LIMIT ?)";

    public static IReadOnlyList<ContextTypeCount> Count(ReadSession session, string? type, int countUpTo)
    {
        var counts = new List<ContextTypeCount>();
        foreach (var name in type is null ? Types(session) : [type])
        {
            var count = Scalar(session.Statement(CountOfType).Bind(1, name).Bind(2, countUpTo + 1L));
            if (count > 0) counts.Add(new ContextTypeCount(name, Math.Min(count, countUpTo), count > countUpTo));
        }
        return counts;
    }

    private static List<string> Types(ReadSession session)
    {
        var types = new List<string>();
        var next = session.Statement(NextType);
        var after = "";
        while (true)
        {
            try
            {
                if (!next.Bind(1, after).Step()) return types;
                after = next.Text(0);
            }
            finally
            {
                next.Reset();
            }
            types.Add(after);
        }
    }

    private static long Scalar(RawStatement statement)
    {
        try
        {
            return statement.Step() ? statement.Int64(0) : 0;
        }
        finally
        {
            statement.Reset();
        }
    }
}
