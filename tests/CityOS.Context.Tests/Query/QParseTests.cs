using CityOS.Context.Query;
using CityOS.Core;

namespace CityOS.Context.Tests.Query;

public class QParseTests
{
    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("temperature=20", "position 12: '=' is not an operator")]
    [InlineData("temperature==", "position 14: expected a value")]
    [InlineData("temperature 20", "position 13: expected an operator")]
    [InlineData("temperature>true", "position 12: '>' compares with a number")]
    [InlineData("temperature<=urn:x", "position 12: '<=' compares with")]
    [InlineData("(temperature>20", "position 1: '(' is not closed")]
    [InlineData("temperature>20)", "position 15: unbalanced ')'")]
    [InlineData("temperature>20;", "position 16: expected a query term")]
    [InlineData("temperature>20||a", "position 16: expected an attribute name")]
    [InlineData("|a", "position 1: expected an attribute name")]
    [InlineData("1abc==3", "position 1: expected an attribute name")]
    [InlineData("_a==3", "position 1: expected an attribute name")]
    [InlineData("a..b==1", "position 3: expected a sub-attribute name")]
    [InlineData("name==\"abc", "position 7: the string is not terminated")]
    [InlineData("name==\"a\\qb\"", "position 9: unknown escape")]
    [InlineData("name==\"\\u12\"", "position 8: '\\u' must be followed by four hexadecimal digits")]
    [InlineData("name==\"a\tb\"", "control characters")]
    [InlineData("temperature==1..\"x\"", "position 17: both bounds of a range must be of the same kind")]
    [InlineData("temperature==true..false", "position 14: a range needs numbers")]
    [InlineData("temperature==12abc", "position 14: '12a' is not a valid number")]
    [InlineData("temperature==1e", "position 15: expected digits in the exponent")]
    [InlineData("temperature==-", "position 14: expected a number")]
    [InlineData("temperature==2025-13-01", "position 14: '2025-13-01' is not a valid date")]
    [InlineData("temperature==2025-02-30T10:00:00Z", "is not a valid date-time")]
    [InlineData("temperature==25:99:00", "position 14: '25:99:00' is not a valid time")]
    [InlineData("temperature==1 2", "position 16: unexpected '2' after the value of 'temperature'")]
    [InlineData("temperature==1,", "position 16: expected a value")]
    [InlineData("temperature==#1", "position 14: expected a value, found '#'")]
    [InlineData("name~=", "position 7: expected a regular expression")]
    [InlineData("name~=(abc", "invalid regular expression")]
    [InlineData("name~=a(?=b)", "unsupported construct")]
    [InlineData("name~=(a)\\1", "unsupported construct")]
    [InlineData("!name==3", "position 6: '!' (non-existence) takes an attribute path alone")]
    [InlineData("address[city", "position 13: expected ']'")]
    [InlineData("address[]", "position 9: expected a member name")]
    [InlineData("temperature.observedAt[x]", "position 1: 'temperature.observedAt[x]' has no compound value")]
    [InlineData("createdAt[x]==1", "has no compound value")]
    public void SyntaxErrorsAreBadRequestDataThatSayWhereAndWhat(string q, string message)
    {
        var error = Assert.Throws<NgsiLdException>(() => QExpression.Parse(q));

        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.Equal(400, error.Status);
        Assert.Contains(message, error.Message);
    }

    public static TheoryData<string, string> TooComplex => new()
    {
        { new string('(', 33) + "a" + new string(')', 33), "nested deeper than 32" },
        { string.Join(";", Enumerable.Range(0, 257).Select(i => $"a{i}==1")), "more than 256 terms" },
        { "a==\"" + new string('x', 8200) + "\"", "8205 characters long" },
        { "a==" + string.Join(",", Enumerable.Range(0, 1001)), "more than 1000 values" },
        { string.Join(".", Enumerable.Range(0, 17).Select(i => $"a{i}")), "more than 16 names" },
        { "a~=\"" + new string('x', 1025) + "\"", "longer than 1024 characters" },
    };

    [Theory]
    [MemberData(nameof(TooComplex))]
    public void SizeAndDepthLimitsAreTooComplexQuery(string q, string message)
    {
        var error = Assert.Throws<NgsiLdException>(() => QExpression.Parse(q));

        Assert.Equal(NgsiLdErrorType.TooComplexQuery, error.Type);
        Assert.Equal(403, error.Status);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void DeepButAllowedNestingParses() =>
        Assert.True(QExpression.Parse(new string('(', 32) + "a" + new string(')', 32)).Matches(new Model.Entity
        {
            Id = "urn:x",
            Attributes = { ["a"] = [new Model.NgsiAttribute { Value = 1 }] },
        }));

    [Fact]
    public void LinkedEntityPathsAreNotSupported()
    {
        var error = Assert.Throws<NgsiLdException>(() => QExpression.Parse("sensor{humidity}==40"));

        Assert.Equal(NgsiLdErrorType.OperationNotSupported, error.Type);
        Assert.Contains("sensor{...}", error.Message);
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("!temperature")]
    [InlineData("temperature==20")]
    [InlineData("brandName!=\"Mercedes\"")]
    [InlineData("isParked==\"urn:ngsi-ld:OffStreetParking:Downtown1\"")]
    [InlineData("speed>50;brandName!=\"Mercedes\"")]
    [InlineData("((speed>50|rpm>3000);brandName==\"Mercedes\")")]
    [InlineData("(temperature>=20;temperature<=25)|capacity<=10")]
    [InlineData("temperature.observedAt>=2017-12-24T12:00:00Z")]
    [InlineData("address[city]==\"Berlin\"")]
    [InlineData("sensor.rawdata[airquality.particulate]==40")]
    [InlineData("gender==Male")]
    [InlineData("color[en]==\"red\"")]
    [InlineData("color[*]!=\"red\"")]
    [InlineData("color==\"black\",\"red\"")]
    [InlineData("temperature==10..20")]
    [InlineData("temperature!=10..20")]
    [InlineData("name~=^Mer.*s$")]
    [InlineData("name!~=\"a|b\"")]
    [InlineData("schema:name==\"x\"")]
    [InlineData("température==20")]
    [InlineData("a==1.5e+3")]
    [InlineData("a==-0.5")]
    [InlineData("a==12:30:00.5+02:00")]
    [InlineData("a==2025-01-01T00:00:00.123456Z")]
    [InlineData("a==2025-01-01t00:00:00z")]
    [InlineData("a==https://example.org/a?b=c#d")]
    public void SpecExamplesAndValueFormsParse(string q) => Assert.Equal(q, QExpression.Parse(q).Text);
}
