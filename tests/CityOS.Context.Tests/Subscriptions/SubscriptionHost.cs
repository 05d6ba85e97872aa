using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;
using Microsoft.Extensions.Time.Testing;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>The real cityos host in-process with fast retries, and a real HTTP receiver recording every notification.</summary>
public class SubscriptionHost : CityOsTestHost
{
    public NotificationReceiver Receiver { get; } = new();

    protected override string[] Settings =>
    [
        "--Logging:LogLevel:CityOS.Context.Subscriptions", "Critical",
        "--CityOS:Subscriptions:InitialRetryDelay", "00:00:00.100",
        "--CityOS:Subscriptions:MaxRetryDelay", "00:00:00.400",
        "--CityOS:Subscriptions:DeliveryTimeout", "00:00:02",
        // The periodic tests use half a second; the hostile-input tests check that 0.001 s is still refused.
        "--CityOS:Subscriptions:MinTimeInterval", "00:00:00.500",
        .. MoreSettings,
    ];

    /// <summary>More command-line settings for the host.</summary>
    protected virtual IEnumerable<string> MoreSettings => [];

    public override async Task InitializeAsync()
    {
        await Receiver.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    /// <summary>Creates a subscription and returns its id; the endpoint is the receiver at a path of its own unless the body names one.</summary>
    public async Task<string> SubscribeAsync(string json, string? tenant = null, string? link = null, string mediaType = "application/json")
    {
        var response = await Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", Ngsi.Json(json, mediaType), tenant, link));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
        var location = response.Headers.Location!.ToString();
        return Uri.UnescapeDataString(location[(location.LastIndexOf('/') + 1)..]);
    }

    public static string NewType() => "T" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>
    /// A subscription on the type (a fresh one unless given) notifying a fresh receiver path; <paramref name="members"/> are extra
    /// JSON members of the subscription, <paramref name="notification"/> extra members of its notification.
    /// </summary>
    public async Task<(string Type, string Path, string Id)> SubscribeOnNewPathAsync(string members = "", string notification = "", string? type = null, string? tenant = null)
    {
        type ??= NewType();
        var path = Receiver.NewPath();
        var uri = Receiver.Url(path);
        var id = await SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}] {{{{(members.Length > 0 ? "," + members : "")}}}},
             "notification": { {{{{(notification.Length > 0 ? notification + "," : "")}}}} "endpoint": {"uri": "{{{{uri}}}}"}}}
            """, tenant);
        return (type, path, id);
    }

    /// <summary>Creates an entity of the type with the attributes (JSON members); returns its id.</summary>
    public async Task<string> CreateWithAttributesAsync(string type, string attributes = """ "temperature": {"type": "Property", "value": 20} """, string? tenant = null)
    {
        var id = Ngsi.Unique(type);
        await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$$"""{"id": "{{{{id}}}}", "type": "{{{{type}}}}", {{{{attributes}}}} }""", tenant);
        return id;
    }

    public async Task<JsonObject> GetSubscriptionAsync(string id, string? tenant = null, string query = "")
    {
        var response = await Client.SendAsync(Ngsi.Request(HttpMethod.Get, $"/ngsi-ld/v1/subscriptions/{Uri.EscapeDataString(id)}{query}", tenant: tenant));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Moves the host's clock on a step when it is the test's (see <see cref="FakeClockSubscriptionHost"/>); null on the system clock.</summary>
    public virtual Action? AdvanceClock => null;

    /// <summary>
    /// Waits until the notifier has processed every change written so far in the tenants and nothing for the path is left in
    /// the outbox: every notification those changes fire for the path has then arrived (the signal to check that one did not).
    /// </summary>
    public Task SettledAsync(string path, params string?[] tenants) =>
        Services.NotificationsSettledAsync(Receiver.Url(path), tenants.Length == 0 ? [null] : tenants, AdvanceClock);

    public async Task SendAsync(HttpMethod method, string url, string? json = null, string? tenant = null)
    {
        var response = await Client.SendAsync(Ngsi.Request(method, url, json is null ? null : Ngsi.Json(json), tenant));
        Assert.True(response.IsSuccessStatusCode, $"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

/// <summary>
/// The subscription host on a <see cref="FakeTimeProvider"/>: expiry, throttling and periodic notifications move with the
/// test's clock, not with the machine's. The clock's timers fire only when the test advances it.
/// </summary>
public class FakeClockSubscriptionHost : SubscriptionHost
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>How far <see cref="AdvanceClock"/> moves the clock (a quarter of the default outbox delay).</summary>
    protected virtual TimeSpan ClockStep => TimeSpan.FromMilliseconds(50);

    public override Action AdvanceClock => () => Clock.Advance(ClockStep);

    protected override void OverrideServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}
