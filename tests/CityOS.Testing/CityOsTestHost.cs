using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Services;
using CityOS.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Testing;

/// <summary>
/// The real cityos host, in-process on a free loopback port, with its own data directory. With the environment
/// variable CITYOS_TEST_AUTH=1 the host runs with security on and <see cref="Client"/> sends the bearer token of
/// a system administrator obtained from the token endpoint (client credentials), so that every broker test also
/// runs through authentication and the policy decision point.
/// </summary>
public class CityOsTestHost : IAsyncLifetime
{
    private WebApplication? _app;

    public static bool Secured => Environment.GetEnvironmentVariable("CITYOS_TEST_AUTH") == "1";

    /// <summary>More settings of the host (command-line form).</summary>
    protected virtual string[] Settings => [];

    /// <summary>Blocks the host composes after the standard ones.</summary>
    protected virtual IEnumerable<CityOS.Core.Hosting.ICityOsBlock> Blocks => [];

    /// <summary>Services in place of the host's own, registered after the blocks' (e.g. a fake clock).</summary>
    protected virtual void OverrideServices(IServiceCollection services)
    {
    }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "cityos-test-" + Guid.NewGuid().ToString("N"));
    public HttpClient Client { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public IServiceProvider Services => _app!.Services;

    /// <summary>Whether the host runs with security on (CITYOS_TEST_AUTH=1, or a host that always does).</summary>
    protected virtual bool SecurityOn => Secured;

    public virtual async Task InitializeAsync()
    {
        await StartAsync();
        if (SecurityOn) Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await SystemAdminTokenAsync());
    }

    /// <param name="port">0 for a free port.</param>
    private async Task StartAsync(int port = 0)
    {
        _app = CityOsHost.Build(
        [
            "--urls", $"http://127.0.0.1:{port}",
            "--data", DataDirectory,
            "--Logging:LogLevel:Default", "Warning",
            "--CityOS:Mqtt:Broker:Port", "0",
            .. SecurityOn ? ["--CityOS:Security:Enabled", "true"] : Array.Empty<string>(),
            .. Settings,
        ], OverrideServices, extraBlocks: Blocks);
        BaseAddress = await InProcessHost.StartAsync(_app);
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    /// <summary>
    /// Stops the host, runs <paramref name="whileStopped"/> on its files, and starts it again on the same data directory (on the
    /// same port, as a restarted server keeps its address: the issuer, which is the listening address, stays the same);
    /// <see cref="Client"/> keeps its token.
    /// </summary>
    public async Task RestartAsync(Action? whileStopped = null)
    {
        var authorization = Client.DefaultRequestHeaders.Authorization;
        Client.Dispose();
        await _app!.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        whileStopped?.Invoke();
        await StartAsync(BaseAddress.Port);
        Client.DefaultRequestHeaders.Authorization = authorization;
    }

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        await InProcessHost.StopAsync(_app, DataDirectory);
    }

    private Task<string> SystemAdminTokenAsync() => TokenAsync("broker-tests", new TenantMembership(SecurityTenants.All, BuiltInRoles.SystemAdmin));

    /// <summary>An access token (client credentials) of a new client holding the given roles.</summary>
    public async Task<string> TokenAsync(string clientId, params TenantMembership[] memberships)
    {
        var (client, secret) = await Services.GetRequiredService<ClientRegistry>().RegisterAsync(new ClientDraft
        {
            ClientId = clientId,
            GrantTypes = [GrantTypes.ClientCredentials],
            Scopes = ["ngsi-ld"],
            Memberships = [.. memberships],
        }, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/identity/v1/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "ngsi-ld" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.Id}:{secret}")));
        var response = await http.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.IsSuccessStatusCode, body?.ToJsonString());
        return body!["access_token"]!.GetValue<string>();
    }
}
