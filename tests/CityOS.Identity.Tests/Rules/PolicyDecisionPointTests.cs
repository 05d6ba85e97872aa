using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;

namespace CityOS.Identity.Tests.Rules;

/// <summary>The PDP as a decision table: caller × action × resource × time → allow/deny.</summary>
public class PolicyDecisionPointTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset December = new(2026, 12, 15, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset NextYear = new(2027, 2, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Policy[] Policies =
    [
        new() { Id = "resident-parking", Tenant = "city-a", Subject = new(Role: "resident"), Actions = [AccessAction.Read], EntityTypes = ["ParkingSpot"] },
        new() { Id = "resident-personal", Tenant = "city-a", Subject = new(Role: "resident"), Actions = [AccessAction.Read], EntityTypes = ["Person"], RequiresMfa = true },
        new()
        {
            Id = "resident-campaign", Tenant = "city-a", Subject = new(Role: "resident"), Actions = [AccessAction.Read, AccessAction.Subscribe], EntityTypes = ["Event"],
            NotBefore = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), NotAfter = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero),
        },
        new()
        {
            Id = "bob-building", Tenant = "city-a", Subject = new(Account: "acc-bob"), Actions = [AccessAction.Update],
            IdPatterns = ["urn:ngsi-ld:Building:bob-*"], Attributes = ["name", "description"],
        },
        new() { Id = "analyst-air", Tenant = SecurityTenants.All, Subject = new(Role: "analyst"), Actions = [AccessAction.Read], EntityTypes = ["AirQualityObserved"] },
        new() { Id = "anyone-bus", Tenant = "city-a", Subject = new(Anonymous: true), Actions = [AccessAction.Read], EntityTypes = ["BusStop"] },
    ];

    private static readonly PolicyDecisionPoint Pdp = new(Policies, ["opendata"]);

    private static readonly Dictionary<string, CallerIdentity> Callers = new()
    {
        ["anonymous"] = CallerIdentity.Anonymous,
        ["resident"] = Caller("acc-res", ("city-a", "resident")),
        ["resident+mfa"] = Caller("acc-res", ("city-a", "resident")) with { AuthenticationMethods = ["pwd", "otp"] },
        ["service"] = Caller("svc", ("city-a", "service")),
        ["operator"] = Caller("acc-op", ("city-a", "operator")),
        ["tenant-admin"] = Caller("acc-ta", ("city-a", "tenant-admin")),
        ["system-admin"] = Caller("acc-root", (SecurityTenants.All, "system-admin")),
        ["bob"] = Caller("acc-bob", ("city-a", "resident")),
        ["analyst-b"] = Caller("acc-an", ("city-b", "analyst")),
    };

    public static TheoryData<string, AccessAction, string, string?, string?, string?, string, bool> Table => new()
    {
        // caller, action, tenant, type, id, attributes, when, allowed
        { "anonymous", AccessAction.Read, "opendata", "WeatherObserved", null, null, "now", true },
        { "anonymous", AccessAction.Create, "opendata", "WeatherObserved", null, null, "now", false },
        { "anonymous", AccessAction.Read, "city-a", "ParkingSpot", null, null, "now", false },
        { "anonymous", AccessAction.Read, "city-a", "BusStop", null, null, "now", true },
        { "resident", AccessAction.Read, "opendata", "WeatherObserved", null, null, "now", true },
        { "resident", AccessAction.Read, "city-a", "ParkingSpot", null, null, "now", true },
        { "resident", AccessAction.Read, "city-a", "BusStop", null, null, "now", true },
        { "resident", AccessAction.Update, "city-a", "ParkingSpot", null, null, "now", false },
        { "resident", AccessAction.Read, "city-a", "Building", null, null, "now", false },
        { "resident", AccessAction.Read, "city-a", null, null, null, "now", false },
        { "resident", AccessAction.Read, "city-b", "ParkingSpot", null, null, "now", false },
        { "resident", AccessAction.Read, "city-a", "Person", null, null, "now", false },
        { "resident+mfa", AccessAction.Read, "city-a", "Person", null, null, "now", true },
        { "resident", AccessAction.Read, "city-a", "Event", null, null, "now", false },
        { "resident", AccessAction.Read, "city-a", "Event", null, null, "december", true },
        { "resident", AccessAction.Subscribe, "city-a", "Event", null, null, "december", true },
        { "resident", AccessAction.Read, "city-a", "Event", null, null, "next-year", false },
        { "service", AccessAction.Create, "city-a", "Building", null, null, "now", true },
        { "service", AccessAction.Delete, "city-a", "Building", null, null, "now", false },
        { "service", AccessAction.Create, "city-b", "Building", null, null, "now", false },
        { "operator", AccessAction.Delete, "city-a", "Building", null, null, "now", true },
        { "operator", AccessAction.Admin, "city-a", null, null, null, "now", false },
        { "tenant-admin", AccessAction.Admin, "city-a", null, null, null, "now", true },
        { "tenant-admin", AccessAction.Read, "city-b", "Building", null, null, "now", false },
        { "system-admin", AccessAction.Admin, "city-b", null, null, null, "now", true },
        { "system-admin", AccessAction.Delete, "default", "Building", null, null, "now", true },
        { "bob", AccessAction.Update, "city-a", "Building", "urn:ngsi-ld:Building:bob-house", "name", "now", true },
        { "bob", AccessAction.Update, "city-a", "Building", "urn:ngsi-ld:Building:bob-house", "name,description", "now", true },
        { "bob", AccessAction.Update, "city-a", "Building", "urn:ngsi-ld:Building:bob-house", "name,owner", "now", false },
        { "bob", AccessAction.Update, "city-a", "Building", "urn:ngsi-ld:Building:bob-house", null, "now", false },
        { "bob", AccessAction.Update, "city-a", "Building", "urn:ngsi-ld:Building:alice-house", "name", "now", false },
        { "resident", AccessAction.Update, "city-a", "Building", "urn:ngsi-ld:Building:bob-house", "name", "now", false },
        { "analyst-b", AccessAction.Read, "city-b", "AirQualityObserved", null, null, "now", true },
        { "analyst-b", AccessAction.Read, "city-a", "AirQualityObserved", null, null, "now", false },
        { "analyst-b", AccessAction.Read, "city-b", "ParkingSpot", null, null, "now", false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Decides_by_the_table(string caller, AccessAction action, string tenant, string? type, string? id, string? attributes, string when, bool allowed)
    {
        var time = when switch { "december" => December, "next-year" => NextYear, _ => Now };
        var resource = new AccessResource(tenant, type, id, attributes?.Split(','));
        var decision = Pdp.Decide(Callers[caller], action, resource, time);
        Assert.True(decision.Allowed == allowed, $"{caller} {action} {resource} at {when}: {(decision.Allowed ? "allowed" : "denied")} ({decision.Reason})");
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
    }

    [Fact]
    public void Deny_reason_names_the_missing_second_factor()
    {
        var decision = Pdp.Decide(Callers["resident"], AccessAction.Read, new("city-a", "Person"), Now);
        Assert.Contains("multi-factor", decision.Reason);
    }

    [Fact]
    public void Scope_lists_what_a_query_may_return()
    {
        var resident = Pdp.Scope(Callers["resident"], AccessAction.Read, "city-a", Now);
        Assert.False(resident.Unrestricted);
        Assert.True(resident.Permits("ParkingSpot", "urn:ngsi-ld:ParkingSpot:1"));
        Assert.True(resident.Permits("BusStop", "urn:ngsi-ld:BusStop:1"));
        Assert.False(resident.Permits("Person", "urn:ngsi-ld:Person:1"));
        Assert.False(resident.Permits("Event", "urn:ngsi-ld:Event:1"));
        Assert.Null(resident.AttributesOf("ParkingSpot", "urn:ngsi-ld:ParkingSpot:1"));

        Assert.True(Pdp.Scope(Callers["resident+mfa"], AccessAction.Read, "city-a", Now).Permits("Person", "urn:ngsi-ld:Person:1"));
        Assert.True(Pdp.Scope(Callers["resident"], AccessAction.Read, "city-a", December).Permits("Event", "urn:ngsi-ld:Event:1"));

        var bob = Pdp.Scope(Callers["bob"], AccessAction.Update, "city-a", Now);
        Assert.True(bob.Permits("Building", "urn:ngsi-ld:Building:bob-1"));
        Assert.False(bob.Permits("Building", "urn:ngsi-ld:Building:alice-1"));
        Assert.Equal(["description", "name"], bob.AttributesOf("Building", "urn:ngsi-ld:Building:bob-1")!.Order());

        Assert.True(Pdp.Scope(Callers["operator"], AccessAction.Read, "city-a", Now).Unrestricted);
        Assert.True(Pdp.Scope(Callers["anonymous"], AccessAction.Read, "opendata", Now).Unrestricted);
        Assert.True(Pdp.Scope(Callers["resident"], AccessAction.Read, "city-b", Now).IsEmpty);
        Assert.True(Pdp.Scope(Callers["anonymous"], AccessAction.Create, "opendata", Now).IsEmpty);
    }

    [Theory]
    [InlineData("urn:ngsi-ld:Building:*", "urn:ngsi-ld:Building:1", true)]
    [InlineData("urn:ngsi-ld:Building:*", "urn:ngsi-ld:Buildings:1", false)]
    [InlineData("*:bob-*", "urn:ngsi-ld:Building:bob-1", true)]
    [InlineData("urn:ngsi-ld:Building:1", "urn:ngsi-ld:Building:1", true)]
    [InlineData("urn:ngsi-ld:Building:1", "urn:ngsi-ld:Building:10", false)]
    [InlineData("*", "anything", true)]
    public void Id_patterns(string pattern, string id, bool matches) => Assert.Equal(matches, IdPattern.Matches(pattern, id));

    private static CallerIdentity Caller(string subject, params (string Tenant, string Role)[] roles) => new()
    {
        Subject = subject,
        TenantRoles = roles.GroupBy(r => r.Tenant).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(r => r.Role).ToArray()),
        AuthenticationMethods = ["pwd"],
    };
}
