using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace CityOS.NgsiV2;

/// <summary>
/// The "orion" member of GET /version, as Orion answers it (clients such as IoT Agents and Cygnus read
/// <c>orion.version</c> to know which NGSI-v2 features the broker has): the Orion release whose /v2 this API follows.
/// </summary>
public static class V2Version
{
    /// <summary>The Orion release whose NGSI-v2 API (manual "Orion API") this block answers as.</summary>
    public const string OrionVersion = "4.0.0";

    public static JsonObject Orion(string cityOsVersion)
    {
        var up = DateTime.UtcNow - Process.GetCurrentProcess().StartTime.ToUniversalTime();
        return new JsonObject
        {
            ["version"] = OrionVersion,
            ["uptime"] = string.Create(CultureInfo.InvariantCulture, $"{up.Days} d, {up.Hours} h, {up.Minutes} m, {up.Seconds} s"),
            ["git_hash"] = "cityos-" + cityOsVersion,
            ["compile_time"] = "nodate",
            ["compiled_by"] = "cityos",
            ["compiled_in"] = "dotnet",
            ["release_date"] = "nodate",
            ["machine"] = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch { System.Runtime.InteropServices.Architecture.X64 => "x86_64", System.Runtime.InteropServices.Architecture.Arm64 => "aarch64", var other => other.ToString().ToLowerInvariant() },
            ["doc"] = "https://fiware-orion.rtfd.io/",
            ["libversions"] = new JsonObject { ["dotnet"] = Environment.Version.ToString() },
        };
    }
}
