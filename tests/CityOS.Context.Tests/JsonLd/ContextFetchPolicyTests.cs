using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Context.Subscriptions;
using CityOS.Context.Tests.Broker;
using CityOS.Core.Outbound;

namespace CityOS.Context.Tests.JsonLd;

/// <summary>
/// A loopback TCP server that fails the way a port scan through the broker would meet: an error status, a page that is
/// not JSON-LD, no answer at all, or (once stopped) a refused connection, all at the same URL.
/// </summary>
public sealed class FailingContextServer : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Socket> held = [];

    public FailingContextServer()
    {
        listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/context.jsonld";
        _ = AcceptAsync();
    }

    public enum Failure { NotFound, NotJsonLd, NoAnswer }

    public string Url { get; }

    public Failure Mode { get; set; }

    /// <summary>Closes the port: connecting is refused from now on.</summary>
    public void Stop() => listener.Stop();

    public void Dispose()
    {
        stopping.Cancel();
        listener.Stop();
        lock (held) held.ForEach(s => s.Dispose());
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            _ = AnswerAsync(socket);
        }
    }

    private async Task AnswerAsync(Socket socket)
    {
        var request = new StringBuilder();
        var buffer = new byte[4096];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0) break;
            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        const string Page = "<html>router login</html>";
        var answer = Mode switch
        {
            Failure.NotFound => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            Failure.NotJsonLd => $"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {Page.Length}\r\nConnection: close\r\n\r\n{Page}",
            _ => null,
        };
        if (answer is null)
        {
            lock (held) held.Add(socket);
            return;
        }
        await socket.SendAsync(Encoding.ASCII.GetBytes(answer));
        socket.Shutdown(SocketShutdown.Both);
        socket.Dispose();
    }
}

/// <summary>A broker that fetches every failing @context again at once (no negative cache) and gives up on a fetch after 1 s.</summary>
public sealed class FetchPolicyHost : CityOsTestHost
{
    protected override string[] Settings =>
    [
        "--CityOS:JsonLd:FailureCacheDuration", "00:00:00",
        "--CityOS:JsonLd:FetchTimeout", "00:00:01",
        "--CityOS:JsonLd:MaxFetchesPerRequest", "10",
    ];
}

/// <summary>@context fetching on a client's behalf through the outbound policy, seen through the HTTP API.</summary>
public sealed class ContextFetchPolicyTests(FetchPolicyHost host, ContextServer server) : IClassFixture<FetchPolicyHost>, IClassFixture<ContextServer>
{
    private async Task<HttpResponseMessage> QueryWithContextAsync(string contextUrl) =>
        await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Thing", link: contextUrl));

    [Fact]
    public async Task Every_kind_of_fetch_failure_gives_the_same_answer()
    {
        using var failing = new FailingContextServer();
        var bodies = new Dictionary<string, string>();
        foreach (var mode in new[] { FailingContextServer.Failure.NotFound, FailingContextServer.Failure.NotJsonLd, FailingContextServer.Failure.NoAnswer })
        {
            failing.Mode = mode;
            var response = await QueryWithContextAsync(failing.Url);
            await response.AssertProblemAsync(504, "LdContextNotAvailable");
            bodies[mode.ToString()] = await response.Content.ReadAsStringAsync();
        }
        failing.Stop();
        var refused = await QueryWithContextAsync(failing.Url);
        await refused.AssertProblemAsync(504, "LdContextNotAvailable");
        bodies["refused"] = await refused.Content.ReadAsStringAsync();

        Assert.Single(bodies.Values.Distinct());
        var problem = JsonNode.Parse(bodies["refused"])!;
        Assert.Equal($"The @context {failing.Url} could not be retrieved.", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_context_list_needing_more_fetches_than_the_cap_is_refused_after_at_most_the_cap()
    {
        var folder = $"/{Guid.NewGuid():N}";
        var paths = Enumerable.Range(0, 300).Select(i => $"{folder}/c{i}.jsonld").ToArray();
        var urls = paths.Select((p, i) => server.Serve(p, $$$"""{"@context": {"term{{{i}}}": "https://example.org/t"}}""")).ToArray();
        var entity = new JsonObject
        {
            ["id"] = "urn:ngsi-ld:Thing:" + Guid.NewGuid().ToString("N"),
            ["type"] = "Thing",
            ["@context"] = new JsonArray(urls.Select(u => (JsonNode)JsonValue.Create(u)).ToArray()),
        };
        var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/entities", Ngsi.Json(entity, "application/ld+json")));
        var problem = await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Contains("MaxFetchesPerRequest", problem["detail"]!.GetValue<string>());
        Assert.Contains("10", problem["detail"]!.GetValue<string>());
        Assert.InRange(paths.Sum(server.Hits), 1, 10);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, "/ngsi-ld/v1/entities/" + entity["id"]))).StatusCode);
    }

    [Fact]
    public async Task The_cap_holds_for_a_whole_batch_whose_entities_each_name_another_context()
    {
        var folder = $"/{Guid.NewGuid():N}";
        var paths = Enumerable.Range(0, 30).Select(i => $"{folder}/e{i}.jsonld").ToArray();
        var batch = new JsonArray(paths.Select((p, i) => (JsonNode)new JsonObject
        {
            ["id"] = $"urn:ngsi-ld:Thing:{Guid.NewGuid():N}",
            ["type"] = "Thing",
            ["@context"] = server.Serve(p, $$$"""{"@context": {"batchTerm{{{i}}}": "https://example.org/b"}}"""),
        }).ToArray());
        var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/create", Ngsi.Json(batch, "application/ld+json")));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.MultiStatus, text);
        Assert.Contains("MaxFetchesPerRequest", text);
        Assert.InRange(paths.Sum(server.Hits), 1, 10);
    }

    [Fact]
    public async Task A_context_url_with_credentials_is_refused_never_fetched_and_never_listed()
    {
        var path = $"/{Guid.NewGuid():N}/private.jsonld";
        var url = server.Serve(path, """{"@context": {"secretTerm": "https://example.org/s"}}""");
        var withCredentials = url.Replace("http://", "http://reader:s3cr3t-pw@", StringComparison.Ordinal);

        var linked = await QueryWithContextAsync(withCredentials);
        var problem = await linked.AssertProblemAsync(400, "BadRequestData");
        Assert.DoesNotContain("s3cr3t-pw", problem.ToJsonString());
        var inline = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/entities", Ngsi.Json(
            $$"""{"id":"urn:ngsi-ld:Thing:{{Guid.NewGuid():N}}","type":"Thing","@context":["{{withCredentials}}"]}""", "application/ld+json")));
        Assert.DoesNotContain("s3cr3t-pw", (await inline.AssertProblemAsync(400, "BadRequestData")).ToJsonString());

        Assert.Equal(0, server.Hits(path));
        var listed = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, "/ngsi-ld/v1/jsonldContexts?details=true"));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.DoesNotContain("s3cr3t-pw", await listed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_subscription_notifying_this_broker_itself_is_refused()
    {
        foreach (var self in new[] { host.BaseAddress.ToString(), $"http://localhost:{host.BaseAddress.Port}/" })
        {
            var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", Ngsi.Json(
                $$$$"""{"type":"Subscription","entities":[{"type":"Thing"}],"notification":{"endpoint":{"uri":"{{{{self}}}}ngsi-ld/v1/entityOperations/upsert"}}}""")));
            var problem = await response.AssertProblemAsync(400, "BadRequestData");
            Assert.Contains("itself", problem["detail"]!.GetValue<string>());
        }
        var listed = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, "/ngsi-ld/v1/subscriptions"));
        Assert.DoesNotContain(host.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), await listed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_notifier_checks_the_address_when_it_connects()
    {
        var notifier = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(DeliveryDispatcher.HttpClientName);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => notifier.GetAsync(new Uri(host.BaseAddress, "/health")));
        Assert.IsType<OutboundDeniedException>(error.InnerException);
    }
}

/// <summary>A broker that keeps failures for the default 60 s.</summary>
public sealed class NegativeCacheHost : CityOsTestHost;

public sealed class ContextNegativeCacheTests(NegativeCacheHost host, ContextServer server) : IClassFixture<NegativeCacheHost>, IClassFixture<ContextServer>
{
    [Fact]
    public async Task A_context_that_could_not_be_retrieved_is_not_fetched_again_within_the_window()
    {
        var path = $"/{Guid.NewGuid():N}/missing.jsonld";
        var bodies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Thing", link: server.Url(path)));
            await response.AssertProblemAsync(504, "LdContextNotAvailable");
            bodies.Add(await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(1, server.Hits(path));
        Assert.Single(bodies.Distinct());
    }
}

/// <summary>A broker whose outbound policy denies 127.0.0.1 (where the test context server listens).</summary>
public sealed class DenyingHost : CityOsTestHost
{
    protected override string[] Settings => ["--CityOS:Outbound:DenyNetworks:0", "127.0.0.1/32"];
}

public sealed class OutboundDenialTests(DenyingHost host, ContextServer server) : IClassFixture<DenyingHost>, IClassFixture<ContextServer>
{
    [Fact]
    public async Task A_context_in_a_denied_network_is_not_fetched_and_answered_like_any_unreachable_context()
    {
        var path = $"/{Guid.NewGuid():N}/reachable.jsonld";
        var denied = server.Serve(path, """{"@context": {"x": "https://example.org/x"}}""");
        var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Thing", link: denied));
        await response.AssertProblemAsync(504, "LdContextNotAvailable");
        Assert.Equal(0, server.Hits(path));

        // Nothing listens on 127.0.0.3:9 (loopback, not denied): a refused connection.
        const string Refused = "http://127.0.0.3:9/reachable.jsonld";
        var refused = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Thing", link: Refused));
        Assert.Equal(
            (await refused.Content.ReadAsStringAsync()).Replace(Refused, "<url>", StringComparison.Ordinal),
            (await response.Content.ReadAsStringAsync()).Replace(denied, "<url>", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/notify")]
    [InlineData("mqtt://127.0.0.1:1883/city/notifications")]
    public async Task A_notification_endpoint_in_a_denied_network_is_refused(string endpoint)
    {
        var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", Ngsi.Json(
            $$$$"""{"type":"Subscription","entities":[{"type":"Thing"}],"notification":{"endpoint":{"uri":"{{{{endpoint}}}}"}}}""")));
        var problem = await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Contains("127.0.0.1 is in the denied network 127.0.0.1/32", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_update_moving_the_endpoint_into_a_denied_network_is_refused_and_changes_nothing()
    {
        var id = "urn:ngsi-ld:Subscription:" + Guid.NewGuid().ToString("N");
        var created = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", Ngsi.Json(
            $$$$"""{"id":"{{{{id}}}}","type":"Subscription","entities":[{"type":"Thing"}],"notification":{"endpoint":{"uri":"http://127.0.0.3:9/notify"}}}""")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var patched = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Patch, "/ngsi-ld/v1/subscriptions/" + id, Ngsi.Json(
            """{"notification":{"endpoint":{"uri":"http://127.0.0.1:9/notify"}}}""")));
        await patched.AssertProblemAsync(400, "BadRequestData");
        var kept = await (await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, "/ngsi-ld/v1/subscriptions/" + id))).BodyAsync();
        Assert.Equal("http://127.0.0.3:9/notify", kept["notification"]!["endpoint"]!["uri"]!.GetValue<string>());
    }
}
