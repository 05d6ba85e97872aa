namespace CityOS.Mqtt.Tests;

public sealed class MqttTopicTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("/")]
    [InlineData("a//b/")]
    [InlineData("$SYS/broker")]
    [InlineData("ciudad/señal")]
    [InlineData("with space/and?query")]
    public void Valid_topic_names(string topic) => Assert.Null(MqttTopic.CheckTopicName(topic));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a/+", "wildcard")]
    [InlineData("a/#", "wildcard")]
    [InlineData("a+b", "wildcard")]
    [InlineData("a\0b", "U+0000")]
    public void Invalid_topic_names(string topic, string reason) =>
        Assert.Contains(reason, MqttTopic.CheckTopicName(topic), StringComparison.Ordinal);

    [Theory]
    [InlineData("#")]
    [InlineData("+")]
    [InlineData("a/#")]
    [InlineData("+/+/c")]
    [InlineData("/+")]
    [InlineData("a//+/#")]
    public void Valid_topic_filters(string filter) => Assert.Null(MqttTopic.CheckTopicFilter(filter));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a#", "whole level")]
    [InlineData("a/b+", "whole level")]
    [InlineData("#/a", "last level")]
    [InlineData("a/#/", "last level")]
    [InlineData("++", "whole level")]
    public void Invalid_topic_filters(string filter, string reason) =>
        Assert.Contains(reason, MqttTopic.CheckTopicFilter(filter), StringComparison.Ordinal);

    [Theory]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a/c", false)]
    [InlineData("a/b", "a/b/c", false)]
    [InlineData("a/b/c", "a/b", false)]
    [InlineData("a/+", "a/b", true)]
    [InlineData("a/+", "a/", true)]
    [InlineData("a/+", "a/b/c", false)]
    [InlineData("a/+", "a", false)]
    [InlineData("+/+", "/x", true)]
    [InlineData("+", "/x", false)]
    [InlineData("a/#", "a", true)]
    [InlineData("a/#", "a/b/c", true)]
    [InlineData("a/#", "ab", false)]
    [InlineData("#", "a/b", true)]
    [InlineData("#", "/", true)]
    [InlineData("#", "$SYS/uptime", false)]
    [InlineData("+/uptime", "$SYS/uptime", false)]
    [InlineData("$SYS/#", "$SYS/uptime", true)]
    [InlineData("a/+/c/#", "a/b/c", true)]
    [InlineData("a/+/c/#", "a/b/d", false)]
    public void Matching_follows_section_4_7(string filter, string topic, bool matches) =>
        Assert.Equal(matches, MqttTopic.Matches(filter, topic));
}
