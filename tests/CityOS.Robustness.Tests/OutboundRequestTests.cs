using System.Text.Json.Nodes;

namespace CityOS.Robustness.Tests;

/// <summary>Class 5 of issue 9: CityOS fetches @contexts and sends notifications only where its outbound policy allows, and a failed fetch tells a caller nothing about the network.</summary>
[Collection(RealProcessCollection.Name)]
public sealed class OutboundRequestTests
{
    private const string Entities = "/ngsi-ld/v1/entities";

    /// <summary>
    /// The spec's answer for a context that cannot be had is 504 LdContextNotAvailable (ETSI GS CIM 009, table 6.3.2-1); a denied
    /// address must not be told apart from one that fails, so a refusal by the outbound policy gets that same answer.
    /// </summary>
    private static readonly Expect ContextFailure = new Expect("a 4xx or 504 LdContextNotAvailable", s => s is >= 400 and < 500 or 504)
        .WithBody("problem details", body => IsProblem(body, s => s is >= 400 and < 500) || IsProblem(body, s => s == 504, "LdContextNotAvailable"));

    private int _entity;

    [Fact]
    public async Task Denied_addresses_context_lists_and_failed_fetches_are_refused_with_one_opaque_error()
    {
        await using var city = await HostileCity.StartAsync();

        // Denied by default: link-local (cloud metadata) and CityOS's own listening address, however it is spelt.
        var denied = new[]
        {
            "http://169.254.169.254/latest/meta-data/",
            $"http://127.0.0.1:{city.Port}/health",
            $"http://localhost:{city.Port}/ngsi-ld/v1/jsonldContexts",
            $"http://0.0.0.0:{city.Port}/health",
        };

        // Allowed (loopback), failing in three ways a port scanner would like to tell apart, and not from a denied address.
        var failing = new[]
        {
            $"http://127.0.0.1:{CityOsProcess.FreePort()}/closed-port.jsonld",
            city.Peer.Context("answers-400").ToString(),
            city.Peer.Context("not-json").ToString(),
        };
        await SameErrorForAllAsync(city, "a denied or failing @context", denied.Concat(failing), ContextFailure);

        var list = string.Join(", ", Enumerable.Range(0, 300).Select(i => $"\"{city.Peer.Context($"list{i}")}\""));
        await city.SendJsonAsync("a 300-URL context list", Expect.ClientError, HttpMethod.Post, Entities,
            $$$$"""{"id": "urn:ngsi-ld:Outbound:list", "type": "Outbound", "@context": [{{{{list}}}}]}""", contentType: "application/ld+json");
        var fetches = city.Peer.ContextFetches("list");
        if (fetches > 30) city.Violation($"one request with a 300-URL context list made {fetches} fetches (a cap well below the list is expected, at most 30)");

        var withCredentials = new UriBuilder(city.Peer.Context("credentials")) { UserName = "robust", Password = "s3cr3t-pw" }.Uri.ToString();
        await city.SendJsonAsync("a context URL with credentials", Expect.AcceptedOrRefused(201), HttpMethod.Post, Entities,
            $$$$"""{"id": "urn:ngsi-ld:Outbound:credentials", "type": "Outbound", "@context": "{{{{withCredentials}}}}"}""", contentType: "application/ld+json");
        foreach (var listing in new[] { "/ngsi-ld/v1/jsonldContexts", "/ngsi-ld/v1/jsonldContexts?details=true" })
        {
            await city.SendAsync($"{listing} after a context URL with credentials", Expect.Status(200).WithBody("free of the URL's credentials", body => !body.Contains("s3cr3t-pw")),
                HttpMethod.Get, listing, tenant: null);
        }

        foreach (var endpoint in new[] { "http://169.254.169.254/latest/meta-data/", $"http://0.0.0.0:{city.Port}{Entities}" })
        {
            await city.SendJsonAsync($"a notification endpoint at {endpoint}", Expect.ClientError, HttpMethod.Post, "/ngsi-ld/v1/subscriptions",
                $$$$"""{"type": "Subscription", "entities": [{"type": "Outbound"}], "notification": {"endpoint": {"uri": "{{{{endpoint}}}}"}}}""");
        }
        await city.SendJsonAsync("a change that a refused subscription would have notified", Expect.Status(201), HttpMethod.Post, Entities,
            Hostile.Entity("urn:ngsi-ld:Outbound:change", "Outbound"));

        await city.AssertEverythingElseStillWorksAsync("after the outbound requests");
    }

    /// <summary>Each URL once as a body @context and once in a Link header: every answer must be the same error, the URL aside.</summary>
    private async Task SameErrorForAllAsync(HostileCity city, string name, IEnumerable<string> urls, Expect expect)
    {
        var errors = new Dictionary<string, string>();
        foreach (var url in urls)
        {
            var inBody = await city.SendJsonAsync($"{name} in the body: {url}", expect, HttpMethod.Post, Entities,
                $$$$"""{"id": "urn:ngsi-ld:Outbound:e{{{{_entity++}}}}", "type": "Outbound", "@context": "{{{{url}}}}"}""", contentType: "application/ld+json");
            var inLink = await city.SendAsync($"{name} in a Link header: {url}", expect, HttpMethod.Post, Entities,
                HostileCity.Body(Hostile.Entity($"urn:ngsi-ld:Outbound:e{_entity++}", "Outbound"), "application/json"),
                headers: request => request.Headers.TryAddWithoutValidation("Link", $"<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\""));
            errors[$"{url} (body)"] = Opaque(inBody, url);
            errors[$"{url} (Link)"] = Opaque(inLink, url);
        }
        if (errors.Values.Distinct().Count() > 1)
        {
            city.Violation($"{name} is not one opaque error; the answers tell the cases apart:\n    " + string.Join("\n    ", errors.Select(e => $"{e.Key} -> {e.Value}")));
        }
    }

    /// <summary>What a caller learns from an answer: status, error type, title and detail, with the URL it named taken out.</summary>
    private static string Opaque(Answer answer, string url)
    {
        var problem = answer.Json as JsonObject;
        string Field(string field) => problem?[field]?.ToString().Replace(url, "<url>", StringComparison.Ordinal) ?? "";
        return $"{answer.Status} {Field("type")} | {Field("title")} | {Field("detail")}";
    }

    private static bool IsProblem(string body, Func<int, bool> status, string? type = null)
    {
        var answer = new Answer(0, "application/json", body);
        return answer.IsProblemDetails && answer.Json!["status"]?.GetValue<int>() is { } code && status(code)
            && (type is null || answer.Json["type"]!.GetValue<string>().EndsWith(type, StringComparison.Ordinal));
    }
}
