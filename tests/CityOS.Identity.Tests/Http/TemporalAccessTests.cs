using System.Net;
using System.Text.Json.Nodes;

namespace CityOS.Identity.Tests.Http;

/// <summary>
/// Issue 21 item 5: the temporal API selects by what the caller may read. Residents of the secured fixture read only
/// the status of parking spots; a spot's hidden occupant changes, and no temporal query of theirs (attrs, count,
/// timerel) tells which spots hold an occupant or when it changed.
/// </summary>
public sealed class TemporalAccessTests(SecuredBrokerFixture fixture) : IClassFixture<SecuredBrokerFixture>
{
    private const string Temporal = "/ngsi-ld/v1/temporal/entities";

    private async Task<(long Count, JsonArray Entities)> QueryAsync(string who, string query)
    {
        var response = await fixture.SendAsync(who, HttpMethod.Get, $"{Temporal}?type=ParkingSpot&count=true&{query}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return (long.Parse(response.Headers.GetValues("NGSILD-Results-Count").Single()), JsonNode.Parse(text)!.AsArray());
    }

    [Fact]
    public async Task Attrs_count_and_timerel_apply_only_to_attributes_the_caller_may_read()
    {
        // timerel=after includes timeAt itself (ETSI GS CIM 009 4.11): the boundary lies after the fixture's own writes.
        fixture.Host.Clock.Advance(TimeSpan.FromMinutes(1));
        var since = fixture.Host.Clock.Now.ToString("yyyy-MM-dd'T'HH':'mm':'ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        fixture.Host.Clock.Advance(TimeSpan.FromMinutes(1));
        var patch = await fixture.SendAsync("system-admin", HttpMethod.Patch, $"/ngsi-ld/v1/entities/{SecuredBrokerFixture.Spot}/attrs",
            """{"occupant":{"type":"Property","value":"Hanako Sato"}}""");
        Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);
        var changedSince = $"timeproperty=modifiedAt&timerel=after&timeAt={since}";

        // The positive signal: history has recorded the change, as an administrator sees.
        var seen = await QueryAsync("system-admin", "attrs=occupant&" + changedSince);
        for (var i = 0; i < 100 && seen.Count == 0; i++)
        {
            await Task.Delay(50);
            seen = await QueryAsync("system-admin", "attrs=occupant&" + changedSince);
        }
        Assert.Equal(1, seen.Count);

        var byHidden = await QueryAsync("resident", "attrs=occupant");
        Assert.Equal(0, byHidden.Count);
        Assert.Empty(byHidden.Entities);
        var hiddenChange = await QueryAsync("resident", changedSince);
        Assert.Equal(0, hiddenChange.Count);
        Assert.Empty(hiddenChange.Entities);
        var hiddenChangeByName = await QueryAsync("resident", "attrs=occupant&" + changedSince);
        Assert.Equal(0, hiddenChangeByName.Count);

        var readable = await QueryAsync("resident", "attrs=status,occupant");
        Assert.Equal(1, readable.Count);
        var spot = Assert.Single(readable.Entities)!;
        Assert.NotNull(spot["status"]);
        Assert.Null(spot["occupant"]);
    }
}
