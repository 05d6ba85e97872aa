using CityOS.Context.Access;
using CityOS.Context.Broker;
using CityOS.Context.Model;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Security;

namespace CityOS.Context.Tests.Access;

/// <summary>The rules of <see cref="EntityAccess"/>: what a restricted caller sees, and which mutations it may make.</summary>
public sealed class EntityAccessTests
{
    private const string Spot = "https://example.org/ParkingSpot";
    private const string Building = "https://example.org/Building";
    private const string Status = "https://example.org/status";
    private const string Occupant = "https://example.org/occupant";
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    private static readonly CallerIdentity Resident = new() { Subject = "resident-1" };

    private static EntityAccess Access(CallerIdentity caller, params (AccessAction Action, AccessGrant Grant)[] grants) =>
        EntityAccess.For(caller, "city-a", grants.GroupBy(g => g.Action).ToDictionary(g => g.Key, g => new AccessScope(false, g.Select(x => x.Grant).ToArray())));

    private static AccessGrant Grant(string[]? types = null, string[]? ids = null, string[]? attributes = null) => new(types ?? [], ids ?? [], attributes ?? []);

    private static Entity ParkingSpot(string id = "urn:ngsi-ld:ParkingSpot:1")
    {
        var entity = new Entity { Id = id, Types = [Spot] };
        entity.Attributes[Status] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = "free" }];
        entity.Attributes[Occupant] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = "Taro" }];
        return entity;
    }

    [Fact]
    public void A_reader_of_some_attributes_sees_a_copy_without_the_others_and_nothing_of_other_types()
    {
        var access = Access(Resident, (AccessAction.Read, Grant([Spot], attributes: [Status])));
        var spot = ParkingSpot();
        var view = access.Visible(spot)!;
        Assert.Equal([Status], view.Attributes.Keys);
        Assert.Equal(2, spot.Attributes.Count);
        Assert.Null(access.Visible(new Entity { Id = "urn:ngsi-ld:Building:1", Types = [Building] }));
        Assert.False(access.MayRead(spot.Types, spot.Id, Occupant));
    }

    [Fact]
    public void Id_patterns_and_multi_typed_entities()
    {
        var access = Access(Resident, (AccessAction.Read, Grant(ids: ["urn:ngsi-ld:ParkingSpot:north-*"])));
        Assert.NotNull(access.Visible(ParkingSpot("urn:ngsi-ld:ParkingSpot:north-7")));
        Assert.Null(access.Visible(ParkingSpot("urn:ngsi-ld:ParkingSpot:south-7")));

        var typed = Access(Resident, (AccessAction.Read, Grant([Building])));
        var both = ParkingSpot();
        both.Types.Add(Building);
        Assert.Same(both, typed.Visible(both));
    }

    [Fact]
    public void A_guarded_create_fails_on_an_attribute_outside_the_grant_and_passes_within_it()
    {
        var access = Access(Resident, (AccessAction.Create, Grant([Spot], attributes: [Status, Occupant])));
        Assert.IsType<MutationOutcome.Save>(access.Guard(new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.Create(ParkingSpot(), Now))).Decide(null));

        var narrow = Access(Resident, (AccessAction.Create, Grant([Spot], attributes: [Status])));
        var refused = Assert.IsType<MutationOutcome.Fail>(narrow.Guard(new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.Create(ParkingSpot(), Now))).Decide(null));
        Assert.Equal(NgsiLdErrorType.Forbidden, Assert.IsType<NgsiLdException>(refused.Error).Type);
        Assert.Contains(Occupant, ((NgsiLdException)refused.Error).Detail);
    }

    [Fact]
    public void A_guarded_update_checks_only_the_attributes_it_touches_and_the_types_it_adds()
    {
        var access = Access(Resident, (AccessAction.Update, Grant([Spot], attributes: [Status])));
        var statusOnly = new Dictionary<string, List<NgsiAttribute>> { [Status] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = "taken" }] };
        var outcome = access.Guard(new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.UpdateAttributes("urn:ngsi-ld:ParkingSpot:1", EntityFragment.Of(statusOnly), Now, new UpdateOutcome()))).Decide(ParkingSpot());
        Assert.IsType<MutationOutcome.Save>(outcome);

        var occupant = new Dictionary<string, List<NgsiAttribute>> { [Occupant] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = "Hanako" }] };
        Assert.IsType<MutationOutcome.Fail>(access.Guard(new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.Merge("urn:ngsi-ld:ParkingSpot:1", null, occupant, Now))).Decide(ParkingSpot()));
        Assert.IsType<MutationOutcome.Fail>(access.Guard(new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.DeleteAttribute("urn:ngsi-ld:ParkingSpot:1", Occupant, null, true, Now))).Decide(ParkingSpot()));
        Assert.IsType<MutationOutcome.Save>(access.Guard(new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.Merge("urn:ngsi-ld:ParkingSpot:1", null, statusOnly, Now))).Decide(ParkingSpot()));

        var spotOnly = Access(Resident, (AccessAction.Update, Grant([Spot])));
        var retype = Access(Resident, (AccessAction.Update, Grant([Spot])), (AccessAction.Update, Grant([Building], attributes: [Status])));
        Assert.IsType<MutationOutcome.Fail>(spotOnly.Guard(new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.Merge("urn:ngsi-ld:ParkingSpot:1", [Building], occupant, Now))).Decide(ParkingSpot()));
        Assert.IsType<MutationOutcome.Save>(retype.Guard(new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.Merge("urn:ngsi-ld:ParkingSpot:1", [Building], occupant, Now))).Decide(ParkingSpot()));
    }

    [Fact]
    public void Deleting_needs_delete_and_an_anonymous_caller_gets_unauthorized()
    {
        var updater = Access(Resident, (AccessAction.Update, Grant([Spot])));
        var refused = Assert.IsType<MutationOutcome.Fail>(updater.Guard(new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.Delete("urn:ngsi-ld:ParkingSpot:1"))).Decide(ParkingSpot()));
        Assert.Equal(NgsiLdErrorType.Forbidden, Assert.IsType<NgsiLdException>(refused.Error).Type);

        var anonymous = Access(CallerIdentity.Anonymous, (AccessAction.Read, Grant([Spot])));
        var error = Assert.Throws<NgsiLdException>(() => anonymous.RequireAny(AccessAction.Create));
        Assert.Equal(NgsiLdErrorType.Unauthorized, error.Type);
        anonymous.RequireAny(AccessAction.Read);
    }

    [Fact]
    public void Everything_lets_mutations_through_unchanged()
    {
        var mutation = new EntityMutation("urn:ngsi-ld:ParkingSpot:1", EntityRules.Delete("urn:ngsi-ld:ParkingSpot:1"));
        Assert.Same(mutation, EntityAccess.Everything.Guard(mutation));
        var spot = ParkingSpot();
        Assert.Same(spot, EntityAccess.Everything.Visible(spot));
    }
}
