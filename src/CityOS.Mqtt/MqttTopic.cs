namespace CityOS.Mqtt;

/// <summary>Topic name and topic filter rules of MQTT 3.1.1 section 4.7.</summary>
public static class MqttTopic
{
    /// <summary>Longest UTF-8 string the protocol can carry (two-byte length prefix).</summary>
    public const int MaxUtf8Length = ushort.MaxValue;

    /// <summary>UTF-8 that throws on unpaired surrogates instead of replacing them.</summary>
    internal static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Returns null when <paramref name="topic"/> may be published to, otherwise why not.</summary>
    public static string? CheckTopicName(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Length == 0)
            return "a topic name must not be empty";
        if (topic.AsSpan().IndexOfAny('+', '#') >= 0)
            return $"the topic name '{topic}' contains a wildcard ('+' or '#'), which only subscriptions may use";
        return CheckUtf8(topic, "topic name");
    }

    /// <summary>Returns null when <paramref name="filter"/> may be subscribed to, otherwise why not.</summary>
    public static string? CheckTopicFilter(string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.Length == 0)
            return "a topic filter must not be empty";
        var levelStart = 0;
        for (var i = 0; i <= filter.Length; i++)
        {
            if (i < filter.Length && filter[i] != '/')
                continue;
            var level = filter.AsSpan(levelStart, i - levelStart);
            if (level.IndexOfAny('+', '#') >= 0 && level.Length != 1)
                return $"in the topic filter '{filter}' a wildcard must occupy a whole level";
            if (level is "#" && i != filter.Length)
                return $"in the topic filter '{filter}' the multi-level wildcard '#' must be the last level";
            levelStart = i + 1;
        }
        return CheckUtf8(filter, "topic filter");
    }

    /// <summary>Whether a message published to <paramref name="topic"/> is delivered to a subscription to <paramref name="filter"/>.</summary>
    public static bool Matches(string filter, string topic)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(topic);
        // Wildcards at the first level must not match the broker's own $SYS-style topics (4.7.2).
        if (topic.StartsWith('$') && (filter.StartsWith('+') || filter.StartsWith('#')))
            return false;

        var f = filter.AsSpan();
        var t = topic.AsSpan();
        while (true)
        {
            var fEnd = f.IndexOf('/');
            var fLevel = fEnd < 0 ? f : f[..fEnd];
            if (fLevel is "#")
                return true;
            var tEnd = t.IndexOf('/');
            var tLevel = tEnd < 0 ? t : t[..tEnd];
            if (fLevel is not "+" && !fLevel.SequenceEqual(tLevel))
                return false;
            if (fEnd < 0 || tEnd < 0)
            {
                // "a/#" also matches "a": the parent level of a multi-level wildcard.
                return fEnd < 0 && tEnd < 0 || tEnd < 0 && f[(fEnd + 1)..] is "#";
            }
            f = f[(fEnd + 1)..];
            t = t[(tEnd + 1)..];
        }
    }

    internal static string? CheckUtf8(string value, string what)
    {
        if (value.Contains('\0'))
            return $"the {what} contains the character U+0000, which MQTT forbids";
        int byteCount;
        try
        {
            byteCount = StrictUtf8.GetByteCount(value);
        }
        catch (System.Text.EncoderFallbackException)
        {
            return $"the {what} is not valid UTF-16 (unpaired surrogate), so it has no UTF-8 form";
        }
        return byteCount > MaxUtf8Length
            ? $"the {what} is {byteCount} bytes long in UTF-8; MQTT allows at most {MaxUtf8Length}"
            : null;
    }
}
