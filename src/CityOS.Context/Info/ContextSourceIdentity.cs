using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using CityOS.Core.Hosting;

namespace CityOS.Context.Info;

/// <summary>
/// The identity of this broker as a Context Source (GS CIM 009 1.9.1, 5.2.40 and 5.15.1): a stable id kept in the data
/// directory, how long the broker has been up, its clock, and an alias per tenant, so that peers federating with two
/// tenants of this broker can tell them apart (a Via chain naming one alias for every tenant would read as a loop).
/// </summary>
public sealed class ContextSourceIdentity
{
    private const string IdFile = "context-source-id";

    private readonly TimeProvider time;
    private readonly DateTimeOffset startedAt;
    private readonly string instanceId;

    public ContextSourceIdentity(DataDirectory data, TimeProvider time)
    {
        this.time = time;
        startedAt = time.GetUtcNow();
        instanceId = LoadOrCreateId(data.Combine(IdFile));
    }

    public string Id => "urn:ngsi-ld:ContextSource:" + instanceId;

    /// <summary>The alias of a tenant (null for the default tenant): the same every time, and different for every tenant.</summary>
    public string Alias(string? tenant) => tenant is null
        ? Id
        : $"{Id}:tenant:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tenant)))[..16]}";

    /// <summary>The ContextSourceIdentity document seen by a tenant.</summary>
    public JsonObject Describe(string? tenant)
    {
        var now = time.GetUtcNow();
        var uptime = now - startedAt;
        return new JsonObject
        {
            ["id"] = Id,
            ["type"] = "ContextSourceIdentity",
            ["contextSourceAlias"] = Alias(tenant),
            ["contextSourceUptime"] = XmlConvert.ToString(uptime < TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Floor(uptime.TotalMilliseconds))),
            ["contextSourceTimeAt"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static string LoadOrCreateId(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: 32 } kept && kept.All(char.IsAsciiHexDigitLower))
        {
            return kept;
        }
        var created = Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, created);
        return created;
    }
}
