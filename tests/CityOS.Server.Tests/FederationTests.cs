using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CityOS.Server.Tests;

/// <summary>
/// SL-11 with two real processes: a neighbouring city's cityos issues a token to its application; our cityos,
/// configured to trust that issuer and to map its client to the service role in a shared tenant, accepts the
/// token on the NGSI-LD API there and nowhere else.
/// </summary>
public sealed class FederationTests : IAsyncLifetime
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "cityos-home-" + Guid.NewGuid().ToString("N"));
    private readonly string _local = Path.Combine(Path.GetTempPath(), "cityos-local-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        foreach (var directory in new[] { _home, _local })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_second_cityos_accepts_the_tokens_of_the_city_it_trusts_with_the_roles_it_maps()
    {
        var created = await CityOsProcess.RunCommandAsync("client", "create", "--client-id", "kawasaki-bus-app", "--grant", "client_credentials",
            "--tenant", "kawasaki", "--role", "tenant-admin", "--data", _home);
        var secret = Regex.Match(created, @"client secret \(shown once\): (\S+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(secret), created);

        await using var home = await CityOsProcess.StartAsync(_home, arguments: ["--CityOS:Security:Enabled", "true"]);
        var issuer = home.BaseAddress.ToString().TrimEnd('/');
        await using var local = await CityOsProcess.StartAsync(_local, arguments:
        [
            "--CityOS:Security:Enabled", "true",
            "--CityOS:Identity:TrustedIssuers:0:Issuer", issuer,
            "--CityOS:Identity:TrustedIssuers:0:RoleMappings:0:Claim", "client_id",
            "--CityOS:Identity:TrustedIssuers:0:RoleMappings:0:Value", "kawasaki-bus-app",
            "--CityOS:Identity:TrustedIssuers:0:RoleMappings:0:Tenant", "shared-mobility",
            "--CityOS:Identity:TrustedIssuers:0:RoleMappings:0:Role", "service",
        ]);

        using var http = new HttpClient();
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, new Uri(home.BaseAddress, "/identity/v1/oauth/token"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"kawasaki-bus-app:{secret}")));
        var tokenResponse = await http.SendAsync(tokenRequest);
        var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();

        const string bus = """{"id":"urn:ngsi-ld:Bus:kawasaki-7","type":"Bus","route":{"type":"Property","value":"川崎駅前"}}""";
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(http, local, HttpMethod.Post, "/ngsi-ld/v1/entities", "shared-mobility", token, bus)).StatusCode);
        var read = await SendAsync(http, local, HttpMethod.Get, "/ngsi-ld/v1/entities/urn:ngsi-ld:Bus:kawasaki-7", "shared-mobility", token);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("川崎駅前", JsonNode.Parse(await read.Content.ReadAsStringAsync())!["route"]!["value"]!.GetValue<string>());

        // The home city's roles mean nothing here: only the mapping grants, and only in the mapped tenant.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(http, local, HttpMethod.Post, "/ngsi-ld/v1/entities", "kawasaki", token, bus)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(http, local, HttpMethod.Delete, "/ngsi-ld/v1/entities/urn:ngsi-ld:Bus:kawasaki-7", "shared-mobility", token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, local, HttpMethod.Get, "/ngsi-ld/v1/entities/urn:ngsi-ld:Bus:kawasaki-7", "shared-mobility", null)).StatusCode);
        var tampered = token[..^6] + (token[^6] == 'A' ? "BBBBBB" : "AAAAAA");
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, local, HttpMethod.Get, "/ngsi-ld/v1/entities/urn:ngsi-ld:Bus:kawasaki-7", "shared-mobility", tampered)).StatusCode);

        // At home the same token holds its own roles.
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(http, home, HttpMethod.Post, "/ngsi-ld/v1/entities", "kawasaki", token, bus)).StatusCode);
    }

    [Fact]
    public async Task A_federated_subject_gets_the_grants_of_its_issuer_qualified_policies_not_those_of_a_local_account_of_that_id()
    {
        var created = await CityOsProcess.RunCommandAsync("client", "create", "--client-id", "kawasaki-bus-app", "--grant", "client_credentials",
            "--tenant", "kawasaki", "--role", "service", "--data", _home);
        var secret = Regex.Match(created, @"client secret \(shown once\): (\S+)").Groups[1].Value;
        var admin = await CityOsProcess.RunCommandAsync("client", "create", "--client-id", "local-admin", "--grant", "client_credentials",
            "--tenant", "*", "--role", "system-admin", "--data", _local);
        var adminSecret = Regex.Match(admin, @"client secret \(shown once\): (\S+)").Groups[1].Value;

        await using var home = await CityOsProcess.StartAsync(_home, arguments: ["--CityOS:Security:Enabled", "true"]);
        var issuer = home.BaseAddress.ToString().TrimEnd('/');
        await using var local = await CityOsProcess.StartAsync(_local, arguments: ["--CityOS:Security:Enabled", "true", "--CityOS:Identity:TrustedIssuers:0:Issuer", issuer]);
        using var http = new HttpClient();
        var token = await ClientTokenAsync(http, home, "kawasaki-bus-app", secret);
        var adminToken = await ClientTokenAsync(http, local, "local-admin", adminSecret);

        // "kawasaki-bus-app" is the sub of the home city's token; here it is also the id a local policy names.
        foreach (var (policy, tenant, policyIssuer) in new[] { ("local-subject", "lookalike", (string?)null), ("federated-subject", "partners", issuer) })
        {
            var subject = new JsonObject { ["account"] = "kawasaki-bus-app" };
            if (policyIssuer is not null) subject["issuer"] = policyIssuer;
            var body = new JsonObject { ["id"] = policy, ["tenant"] = tenant, ["subject"] = subject, ["actions"] = new JsonArray("create", "read") };
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(local.BaseAddress, "/identity/v1/policies")) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            var saved = await http.SendAsync(request);
            Assert.True(saved.StatusCode == HttpStatusCode.Created, await saved.Content.ReadAsStringAsync());
        }

        const string bus = """{"id":"urn:ngsi-ld:Bus:kawasaki-8","type":"Bus"}""";
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(http, local, HttpMethod.Post, "/ngsi-ld/v1/entities", "lookalike", token, bus)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(http, local, HttpMethod.Post, "/ngsi-ld/v1/entities", "partners", token, bus)).StatusCode);
    }

    private static async Task<string> ClientTokenAsync(HttpClient http, CityOsProcess server, string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseAddress, "/identity/v1/oauth/token"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        var response = await http.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.IsSuccessStatusCode, body?.ToJsonString());
        return body!["access_token"]!.GetValue<string>();
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, CityOsProcess server, HttpMethod method, string path, string tenant, string? token, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(server.BaseAddress, path));
        request.Headers.Add("NGSILD-Tenant", tenant);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
