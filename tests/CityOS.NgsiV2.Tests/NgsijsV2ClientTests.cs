using System.Text.Json.Nodes;

namespace CityOS.NgsiV2.Tests;

/// <summary>FIWARE's own NGSI client library (ngsijs, npm), in its NGSI-v2 mode, works against cityos's /v2 unchanged.</summary>
public sealed class NgsijsV2ClientTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    private static readonly string Scripts = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../js"));

    [Theory]
    [InlineData(null)]
    public async Task Ngsijs_creates_queries_with_q_and_geo_updates_subscribes_batches_and_lists_types(string? servicePath)
    {
        if (!Directory.Exists(Path.Combine(Scripts, "node_modules", "ngsijs")))
        {
            throw new InvalidOperationException($"ngsijs is not installed: run `npm ci` in {Scripts} (needs Node.js and npm).");
        }
        var service = "ngsijs" + Guid.NewGuid().ToString("N")[..8];
        string[] arguments = servicePath is null ? [host.BaseAddress.ToString(), service] : [host.BaseAddress.ToString(), service, servicePath];
        var seen = JsonNode.Parse(await NodeScript.RunAsync(Scripts, "ngsijs-v2.js", arguments))!;

        Assert.Matches("^/v2/subscriptions/[0-9a-f]{24}$", seen["subscriptionLocation"]!.GetValue<string>());
        Assert.Equal("/v2/entities/Room1?type=Room", seen["createdLocation"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(seen["createdCorrelator"]?.GetValue<string>()));
        Assert.Equal("AlreadyExists", seen["createdTwice"]!.GetValue<string>());
        JsonAssert.Equal("""
            {"id":"Room1","type":"Room","temperature":{"type":"Float","value":23,"metadata":{}},"pressure":{"type":"Integer","value":720,"metadata":{}},
             "location":{"type":"geo:point","value":"41.3763726, 2.186447514","metadata":{}}}
            """, seen["read"]);
        JsonAssert.Equal("""{"id":"Room1","type":"Room","temperature":23,"pressure":720,"location":"41.3763726, 2.186447514"}""", seen["readKeyValues"]);

        JsonAssert.Equal("""[{"id":"Room1","type":"Room","temperature":23}]""", seen["queryQ"]);
        Assert.Equal(1, seen["queryQCount"]!.GetValue<int>());
        JsonAssert.Equal("""["Room1"]""", seen["queryNear"]);
        JsonAssert.Equal("""["Room1","Room2"]""", seen["queryCoveredBy"]);

        JsonAssert.Equal("""{"id":"Room1","type":"Room","temperature":26.5,"pressure":720,"location":"41.3763726, 2.186447514","humidity":40}""", seen["afterUpdate"]);
        Assert.Equal(26.5, seen["temperatureValue"]!.GetValue<double>());

        var notification = seen["notification"]!;
        Assert.Equal(service, notification["headers"]!["fiware-service"]!.GetValue<string>());
        Assert.Equal(servicePath ?? "/", notification["headers"]!["fiware-servicepath"]!.GetValue<string>());
        Assert.Equal("keyValues", notification["headers"]!["ngsiv2-attrsformat"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(notification["headers"]!["fiware-correlator"]?.GetValue<string>()));
        var subscriptionId = seen["subscriptionLocation"]!.GetValue<string>().Split('/')[^1];
        JsonAssert.Equal($$"""{"subscriptionId":"{{subscriptionId}}","data":[{"id":"Room1","type":"Room","temperature":26.5}]}""", notification["body"]);
        Assert.Equal("active", seen["subscription"]!["status"]!.GetValue<string>());
        Assert.True(seen["subscription"]!["notification"]!["timesSent"]!.GetValue<int>() >= 1);
        Assert.Equal(1, seen["subscriptions"]!.GetValue<int>());

        JsonAssert.Equal($$"""{"subscriptionId":"{{subscriptionId}}","data":[{"id":"Room3","type":"Room","temperature":30}]}""", seen["batchNotification"]);
        JsonAssert.Equal("""[{"id":"Room2","type":"Room","temperature":21,"pressure":700},{"id":"Room3","type":"Room","temperature":30}]""", seen["batchQuery"]);
        Assert.Equal(2, seen["batchQueryCount"]!.GetValue<int>());

        JsonAssert.Equal("""
            [{"type":"Car","attrs":{"speed":{"types":["Number"]}},"count":1},
             {"type":"Room","attrs":{"humidity":{"types":["Number"]},"location":{"types":["geo:json","geo:point"]},"pressure":{"types":["Integer"]},"temperature":{"types":["Float"]}},"count":2}]
            """, seen["types"]);
        JsonAssert.Equal("""["Car","Room"]""", seen["typeValues"]);
        Assert.Equal(2, seen["roomType"]!["count"]!.GetValue<int>());

        Assert.Equal("NotFound", seen["afterDelete"]!.GetValue<string>());
        Assert.Equal("BadRequest", seen["invalid"]!.GetValue<string>());
    }
}
