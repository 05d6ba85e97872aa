using System.Text;

namespace CityOS.Robustness.Tests;

/// <summary>Class 4 of issue 9: malformed input is a 400 naming what is wrong, never a 500, and changes nothing.</summary>
[Collection(RealProcessCollection.Name)]
public sealed class MalformedInputTests
{
    private const string Entities = "/ngsi-ld/v1/entities";
    private static readonly string KnownAttrs = $"{Entities}/{HostileCity.KnownId}/attrs";

    [Fact]
    public async Task Malformed_bodies_parameters_and_token_requests_are_400_and_change_nothing()
    {
        await using var city = await HostileCity.StartAsync();

        var duplicates = new Dictionary<string, (string Path, HttpMethod Method, string Json)>
        {
            ["duplicate id keys"] = (Entities, HttpMethod.Post, """{"id": "urn:ngsi-ld:Malformed:dup", "id": "urn:ngsi-ld:Malformed:dup2", "type": "Malformed"}"""),
            ["duplicate attribute keys in an update of the known entity"] = (KnownAttrs, HttpMethod.Patch, """{"reading": {"type": "Property", "value": 1}, "reading": {"type": "Property", "value": 2}}"""),
            ["duplicate value keys in an attribute"] = (KnownAttrs, HttpMethod.Patch, """{"reading": {"type": "Property", "value": 1, "value": 2}}"""),
            ["a lone surrogate in a value"] = (KnownAttrs, HttpMethod.Patch, """{"name": {"type": "Property", "value": "\ud800"}}"""),
            ["a lone surrogate in an attribute name"] = (Entities, HttpMethod.Post, """{"id": "urn:ngsi-ld:Malformed:surrogate", "type": "Malformed", "\udc00x": {"type": "Property", "value": 1}}"""),
            ["a lone surrogate in an id"] = (Entities, HttpMethod.Post, """{"id": "urn:ngsi-ld:Malformed:\ud800", "type": "Malformed"}"""),
        };
        foreach (var (name, (path, method, json)) in duplicates)
        {
            await city.SendJsonAsync(name, Expect.Status(400), method, path, json);
        }

        var invalidUtf8 = new Dictionary<string, byte[]>
        {
            ["an invalid UTF-8 sequence"] = [0xC3, 0x28],
            ["a UTF-8 encoded surrogate"] = [0xED, 0xA0, 0x80],
            ["a truncated UTF-8 sequence"] = [0xE3, 0x81],
        };
        foreach (var (name, bytes) in invalidUtf8)
        {
            await city.SendAsync($"{name} in an update of the known entity", Expect.Status(400), HttpMethod.Patch, KnownAttrs,
                HostileCity.Body(Utf8With("""{"name": {"type": "Property", "value": "x""", bytes, "\"}}"), "application/json"));
            await city.SendAsync($"{name} in a new entity", Expect.Status(400), HttpMethod.Post, Entities,
                HostileCity.Body(Utf8With("""{"id": "urn:ngsi-ld:Malformed:utf8", "type": "Malformed", "name": {"type": "Property", "value": "x""", bytes, "\"}}"), "application/json"));
        }
        await city.SendAsync("the refused entities do not exist", Expect.Status(200).WithBody("an empty list", body => body.Trim() == "[]"), HttpMethod.Get, $"{Entities}?type=Malformed");

        foreach (var duration in new[] { "P10000Y", "PT99999999999999H", "P-1D" })
        {
            await city.SendAsync($"aggrPeriodDuration={duration}", Expect.Status(400), HttpMethod.Get,
                $"/ngsi-ld/v1/temporal/entities/{HostileCity.KnownId}?attrs=reading&aggrMethods=avg&aggrPeriodDuration={duration}&timerel=after&timeAt=2000-01-01T00:00:00Z");
        }

        await city.SendAsync("a token request with grant_type=%00 and a 100 KB client_id",
            Expect.Status(400).WithOAuthError("invalid_request", "unsupported_grant_type"), HttpMethod.Post, "/identity/v1/oauth/token",
            HostileCity.Body("grant_type=%00&client_id=" + new string('a', 100_000), "application/x-www-form-urlencoded"), tenant: null);
        await city.SendAsync("a token request with a NUL in client_secret", Expect.OneOf(400, 401).WithOAuthError("invalid_request", "invalid_client"),
            HttpMethod.Post, "/identity/v1/oauth/token",
            HostileCity.Body("grant_type=client_credentials&client_id=x&client_secret=%00%FF", "application/x-www-form-urlencoded"), tenant: null);
        using var multipart = new MultipartFormDataContent { { new StringContent("client_credentials"), "grant_type" }, { new StringContent("sensor"), "client_id" } };
        await city.SendAsync("a multipart token request", Expect.Status(400).WithOAuthError("invalid_request"), HttpMethod.Post, "/identity/v1/oauth/token", multipart, tenant: null);

        await city.AssertEverythingElseStillWorksAsync("after the malformed requests");
    }

    private static byte[] Utf8With(string before, byte[] raw, string after) => [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];
}
