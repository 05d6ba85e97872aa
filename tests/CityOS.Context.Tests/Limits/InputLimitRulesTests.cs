using System.Text;
using CityOS.Context.Broker;
using CityOS.Context.Model;
using CityOS.Context.Temporal;
using CityOS.Core;
using CityOS.Core.Http;

namespace CityOS.Context.Tests.Limits;

/// <summary>The rules of <see cref="InputLimits"/>: the body check (<see cref="JsonInput"/>), the entity check (<see cref="EntityLimits"/>) and the bounds of durations.</summary>
public sealed class InputLimitRulesTests
{
    private static readonly InputLimits Small = new() { MaxJsonDepth = 4, MaxStringLength = 16, MaxIdLength = 16, MaxAttributes = 2, MaxGeometryPoints = 3, MaxGeometryRings = 2, MaxGeometryPointsPerRequest = 5 };

    private static NgsiLdException? Check(string json, InputLimits? limits = null)
    {
        try
        {
            JsonInput.Check(Encoding.UTF8.GetBytes(json), limits ?? Small);
            return null;
        }
        catch (NgsiLdException refused)
        {
            return refused;
        }
    }

    private static void AssertLimit(string setting, NgsiLdException? refused)
    {
        Assert.NotNull(refused);
        Assert.Equal(NgsiLdErrorType.BadRequestData, refused.Type);
        Assert.Contains("CityOS:Limits:" + setting, refused.Detail);
    }

    [Theory]
    [InlineData("""{"a":{"b":[[1]]}}""", true)]
    [InlineData("""{"a":{"b":[[[1]]]}}""", false)]
    [InlineData("""[[[[]]]]""", true)]
    [InlineData("""[[[[[]]]]]""", false)]
    public void Depth_counts_every_object_and_array_with_the_body_as_level_one(string json, bool accepted)
    {
        var refused = Check(json);
        if (accepted) Assert.Null(refused);
        else AssertLimit("MaxJsonDepth", refused);
    }

    [Theory]
    [InlineData("1.7976931348623157e308", true)]
    [InlineData("-4.9e-324", true)]
    [InlineData("1e309", false)]
    [InlineData("-1e400", false)]
    public void Only_numbers_a_double_holds_finitely_pass(string number, bool accepted)
    {
        var refused = Check($"[{number}]");
        Assert.Equal(accepted, refused is null);
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""")]
    [InlineData("""{"a":1,"\u0061":2}""")]
    [InlineData("""[{"x":{"a":1,"b":2,"a":3}}]""")]
    public void A_member_name_twice_in_one_object_is_an_invalid_request(string json) =>
        Assert.Equal(NgsiLdErrorType.InvalidRequest, Check(json)?.Type);

    [Fact]
    public void The_same_name_in_sibling_and_nested_objects_is_fine() =>
        Assert.Null(Check("""[{"a":{"a":1}},{"a":2},{"b":{"a":{"a":3}}}]""", new InputLimits()));

    [Fact]
    public void Strings_longer_than_the_limit_are_refused_counting_characters_not_bytes()
    {
        Assert.Null(Check("[\"" + new string('é', 16) + "\"]"));
        AssertLimit("MaxStringLength", Check("[\"" + new string('a', 17) + "\"]"));
        AssertLimit("MaxStringLength", Check("{\"" + new string('a', 17) + "\":1}"));
    }

    [Theory]
    [InlineData("""["\ud800"]""")]
    [InlineData("""["\udfff x"]""")]
    public void An_escaped_lone_surrogate_is_an_invalid_request(string json) =>
        Assert.Equal(NgsiLdErrorType.InvalidRequest, Check(json)?.Type);

    [Fact]
    public void Invalid_UTF8_is_an_invalid_request()
    {
        byte[] body = [.. "[\""u8, 0xC3, 0x28, .. "\"]"u8];
        var refused = Assert.Throws<NgsiLdException>(() => JsonInput.Check(body, Small));
        Assert.Equal(NgsiLdErrorType.InvalidRequest, refused.Type);
    }

    [Theory]
    [InlineData("""{"type":"Point","coordinates":[1,2]}""", null)]
    [InlineData("""{"type":"LineString","coordinates":[[1,2],[3,4],[5,6]]}""", null)]
    [InlineData("""{"type":"LineString","coordinates":[[1,2],[3,4],[5,6],[7,8]]}""", "MaxGeometryPoints")]
    [InlineData("""{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6]]]}""", null)]
    [InlineData("""{"type":"MultiLineString","coordinates":[[[1,2]],[[3,4]],[[5,6]]]}""", "MaxGeometryRings")]
    [InlineData("""{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[1,2],[3,4],[5,6]]}]}""", null)]
    [InlineData("""[{"coordinates":[[1,2],[3,4],[5,6]]},{"coordinates":[[1,2],[3,4],[5,6]]}]""", "MaxGeometryPointsPerRequest")]
    public void Coordinates_members_are_counted_by_positions_and_rings_per_geometry_and_per_body(string json, string? setting)
    {
        var refused = Check(json, new InputLimits { MaxJsonDepth = 8, MaxGeometryPoints = 3, MaxGeometryRings = 2, MaxGeometryPointsPerRequest = 5 });
        if (setting is null) Assert.Null(refused);
        else AssertLimit(setting, refused);
    }

    [Fact]
    public void Arrays_of_numbers_outside_coordinates_are_not_positions() =>
        Assert.Null(Check("""{"readings":[[1,2],[3,4],[5,6],[7,8],[9,10]]}""", new InputLimits { MaxGeometryPoints = 1, MaxGeometryPointsPerRequest = 1 }));

    [Fact]
    public void Entity_limits_name_the_setting_for_ids_types_attributes_and_dataset_ids()
    {
        var limits = new EntityLimits(Small);
        var one = new List<NgsiAttribute> { new() };
        Assert.Null(limits.Check("urn:a:b", ["T"], new Dictionary<string, List<NgsiAttribute>> { ["x"] = one, ["y"] = one }));
        AssertLimit("MaxIdLength", limits.Check("urn:a:" + new string('b', 11), ["T"], new Dictionary<string, List<NgsiAttribute>>()));
        AssertLimit("MaxIdLength", limits.Check("urn:a:b", [new string('T', 17)], new Dictionary<string, List<NgsiAttribute>>()));
        AssertLimit("MaxIdLength", limits.Check("urn:a:b", ["T"], new Dictionary<string, List<NgsiAttribute>> { [new string('x', 17)] = one }));
        AssertLimit("MaxIdLength", limits.Check("urn:a:b", ["T"], new Dictionary<string, List<NgsiAttribute>> { ["x"] = [new() { DatasetId = "urn:d:" + new string('d', 11) }] }));
        AssertLimit("MaxAttributes", limits.Check("urn:a:b", ["T"], new Dictionary<string, List<NgsiAttribute>> { ["x"] = one, ["y"] = one, ["z"] = one }));
    }

    [Fact]
    public void Settings_outside_what_the_stored_forms_are_sized_for_are_refused_at_start_up()
    {
        Assert.Null(new InputLimits().Problem());
        Assert.Contains("MaxJsonDepth", new InputLimits { MaxJsonDepth = InputLimits.HighestJsonDepth + 1 }.Problem());
        Assert.Contains("MaxIdLength", new InputLimits { MaxIdLength = InputLimits.HighestIdLength + 1 }.Problem());
    }

    [Theory]
    [InlineData("P1000Y", true)]
    [InlineData("P1001Y", false)]
    [InlineData("P10000Y", false)]
    [InlineData("P366000D", true)]
    [InlineData("P99999999D", false)]
    public void An_aggregation_period_may_span_at_most_a_thousand_years(string text, bool accepted)
    {
        if (accepted) Assert.False(IsoDuration.Parse(text).IsZero);
        else Assert.Equal(NgsiLdErrorType.BadRequestData, Assert.Throws<NgsiLdException>(() => IsoDuration.Parse(text)).Type);
    }

    [Fact]
    public void A_period_reaching_past_the_calendar_ends_with_it() =>
        Assert.Equal(DateTimeOffset.MaxValue, IsoDuration.Parse("P1000Y").AddTo(new DateTimeOffset(9500, 1, 1, 0, 0, 0, TimeSpan.Zero)));
}
