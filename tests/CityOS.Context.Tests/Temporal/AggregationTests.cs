using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.Temporal;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Temporal;

/// <summary>The aggregated representation (4.5.19, 5.5.9) over known data, and ISO 8601 durations.</summary>
public sealed class AggregationTests(TemporalHost host) : IClassFixture<TemporalHost>, IAsyncLifetime
{
    private readonly HttpClient _client = host.Client;
    private readonly string _id = Ngsi.Unique("Thermometer");
    private const string Between = "timerel=between&timeAt=2026-01-01T00:00:00Z&endTimeAt=2026-01-01T04:00:00Z";

    /// <summary>Hour 0: 1, 2, 3, 4; hour 1: 5, 5; hour 2: nothing; hour 3: 10.</summary>
    public async Task InitializeAsync()
    {
        var points = new (string Time, int Value)[] { ("00:00", 1), ("00:15", 2), ("00:30", 3), ("00:45", 4), ("01:00", 5), ("01:30", 5), ("03:10", 10) };
        var instances = string.Join(",", points.Select(p => $$$"""{"type": "Property", "value": {{{p.Value}}}, "observedAt": "2026-01-01T{{{p.Time}}}:00Z"}"""));
        await _client.CreateTemporalAsync($$$"""{"id": "{{{_id}}}", "type": "Thermometer", "t": [{{{instances}}}]}""");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<JsonObject> AggregateAsync(string methods, string? period, string time = Between)
    {
        var duration = period is null ? "" : $"&aggrPeriodDuration={period}";
        var entity = await _client.GetTemporalAsync(_id, $"?options=aggregatedValues&aggrMethods={methods}{duration}&{time}");
        return entity["t"]!.AsObject();
    }

    private static (double? Value, string Start, string End)[] Periods(JsonObject attribute, string method) =>
        attribute[method]!.AsArray().Select(p => (p![0]?.GetValue<double>(), p[1]!.GetValue<string>(), p[2]!.GetValue<string>())).ToArray();

    private static double?[] Values(JsonObject attribute, string method) => Periods(attribute, method).Select(p => p.Value).ToArray();

    [Fact]
    public async Task Hourly_periods_start_at_timeAt_and_leave_out_empty_hours()
    {
        var attribute = await AggregateAsync("totalCount", "PT1H");
        Assert.Equal("Property", attribute["type"]!.GetValue<string>());
        Assert.Equal(
            [(4.0, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"), (2.0, "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"), (1.0, "2026-01-01T03:00:00Z", "2026-01-01T04:00:00Z")],
            Periods(attribute, "totalCount"));
    }

    [Theory]
    [InlineData("totalCount", new[] { 4.0, 2, 1 })]
    [InlineData("distinctCount", new[] { 4.0, 1, 1 })]
    [InlineData("sum", new[] { 10.0, 10, 10 })]
    [InlineData("avg", new[] { 2.5, 5, 10 })]
    [InlineData("min", new[] { 1.0, 5, 10 })]
    [InlineData("max", new[] { 4.0, 5, 10 })]
    [InlineData("sumsq", new[] { 30.0, 50, 100 })]
    public async Task Each_method_per_hour(string method, double[] expected)
    {
        var attribute = await AggregateAsync(method, "PT1H");
        Assert.Equal(expected.Select(e => (double?)e), Values(attribute, method));
    }

    [Fact]
    public async Task Stddev_is_the_sample_standard_deviation()
    {
        var values = Values(await AggregateAsync("stddev", "PT1H"), "stddev");
        Assert.Equal(Math.Sqrt(5.0 / 3), values[0]!.Value, 12);
        Assert.Equal(0, values[1]!.Value, 12);
        Assert.Equal(0, values[2]!.Value, 12);
    }

    [Fact]
    public async Task Without_a_duration_one_period_covers_the_query_range()
    {
        var attribute = await AggregateAsync("totalCount,sum,avg,min,max,sumsq,stddev,distinctCount", null);
        Assert.Equal([(7.0, "2026-01-01T00:00:00Z", "2026-01-01T04:00:00Z")], Periods(attribute, "totalCount"));
        Assert.Equal(30, Values(attribute, "sum")[0]);
        Assert.Equal(30.0 / 7, Values(attribute, "avg")[0]!.Value, 12);
        Assert.Equal(1, Values(attribute, "min")[0]);
        Assert.Equal(10, Values(attribute, "max")[0]);
        Assert.Equal(180, Values(attribute, "sumsq")[0]);
        Assert.Equal(6, Values(attribute, "distinctCount")[0]);
        Assert.Equal(Math.Sqrt((180 - 900.0 / 7) / 6), Values(attribute, "stddev")[0]!.Value, 10);
    }

    [Fact]
    public async Task A_day_period_and_several_methods_at_once()
    {
        var attribute = await AggregateAsync("max,avg", "P1D", "timerel=after&timeAt=2025-12-31T00:00:00Z");
        Assert.Equal([(10.0, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")], Periods(attribute, "max"));
        Assert.Equal(30.0 / 7, Values(attribute, "avg")[0]!.Value, 12);
    }

    [Fact]
    public async Task Without_timerel_periods_start_at_the_first_instance()
    {
        var entity = await _client.GetTemporalAsync(_id, "?aggrMethods=totalCount&aggrPeriodDuration=PT2H");
        Assert.Equal(
            [(6.0, "2026-01-01T00:00:00Z", "2026-01-01T02:00:00Z"), (1.0, "2026-01-01T02:00:00Z", "2026-01-01T04:00:00Z")],
            Periods(entity["t"]!.AsObject(), "totalCount"));
    }

    [Theory]
    [InlineData("options=aggregatedValues")]
    [InlineData("options=aggregatedValues&aggrMethods=median")]
    [InlineData("options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1H")]
    [InlineData("options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT")]
    [InlineData("options=aggregatedValues,temporalValues&aggrMethods=avg")]
    public async Task Invalid_aggregation_requests_are_bad_request_data(string query)
    {
        var response = await _client.GetAsync($"{Temporal.Url}/{_id}?{query}");
        await response.AssertProblemAsync(400, "BadRequestData");
    }

    [Theory]
    [InlineData("PT1H", 0, 0, 0, 3600)]
    [InlineData("P1D", 0, 0, 1, 0)]
    [InlineData("P1W", 0, 0, 7, 0)]
    [InlineData("P1Y2M3DT4H5M6.5S", 1, 2, 3, 14706.5)]
    [InlineData("PT0S", 0, 0, 0, 0)]
    public void Iso_durations(string text, int years, int months, int days, double seconds)
    {
        var duration = IsoDuration.Parse(text);
        Assert.Equal(new IsoDuration(years, months, days, TimeSpan.FromSeconds(seconds)), duration);
    }

    [Fact]
    public void Month_periods_follow_the_calendar()
    {
        var month = IsoDuration.Parse("P1M");
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), month.AddTo(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero)));
    }
}
