using System.Globalization;

namespace CityOS.Devices.Tests;

/// <summary>FIWARE's own agent library (iotagent-node-lib, NGSI-LD mode, in-memory registry) with cityos as its context broker.</summary>
public sealed class FiwareAgentTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    [Fact]
    public async Task An_agent_on_iotagent_node_lib_provisions_a_device_and_its_measures_land_in_cityos()
    {
        var output = await MqttBrokerTests.RunNodeAsync("fiware-agent.js", host.BaseAddress.ToString().TrimEnd('/'),
            CityOsProcess.FreePort().ToString(CultureInfo.InvariantCulture), "riverside", "gauge1");
        Assert.Contains("{\"provisioned\":201,\"updates\":2}", output);

        var entity = await host.Client.EntityAsync("riverside", "urn:ngsi-ld:Gauge:gauge1");
        Assert.NotNull(entity);
        Assert.Equal("Gauge", (string)entity["type"]!);
        Assert.Equal(1.75, (double)entity["level"]!["value"]!);
        Assert.Equal("rising", (string)entity["state"]!["value"]!);
        Assert.Equal("Kamo", (string)entity["river"]!["value"]!);
        Assert.Null(await host.Client.EntityAsync("default", "urn:ngsi-ld:Gauge:gauge1"));
    }
}
