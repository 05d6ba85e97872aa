using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Query;

namespace CityOS.Context.Tests.Query;

public class QMatchTests
{
    [Theory]
    [InlineData("temperature", true)]
    [InlineData("nothing", false)]
    [InlineData("!nothing", true)]
    [InlineData("!temperature", false)]
    [InlineData("temperature.accuracy", true)]
    [InlineData("temperature.missing", false)]
    [InlineData("!temperature.missing", true)]
    [InlineData("temperature.observedAt", true)]
    [InlineData("name.observedAt", false)]
    [InlineData("temperature.unitCode", true)]
    [InlineData("name.unitCode", false)]
    [InlineData("address[city]", true)]
    [InlineData("address[country]", false)]
    [InlineData("!address[country]", true)]
    [InlineData("address[geo.zip]", true)]
    [InlineData("address[geo][zip]", true)]
    [InlineData("address[city.zip]", false)]
    [InlineData("location", true)]
    [InlineData("nothing==5", false)]
    [InlineData("nothing!=5", false)]
    [InlineData("nothing<5", false)]
    [InlineData("nothing~=x", false)]
    [InlineData("nothing!~=x", false)]
    public void Existence(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("temperature==21.5", true)]
    [InlineData("temperature==21", false)]
    [InlineData("temperature!=21", true)]
    [InlineData("temperature!=21.5", false)]
    [InlineData("temperature>21", true)]
    [InlineData("temperature>21.5", false)]
    [InlineData("temperature>=21.5", true)]
    [InlineData("temperature>=21.6", false)]
    [InlineData("temperature<22", true)]
    [InlineData("temperature<21.5", false)]
    [InlineData("temperature<=21.5", true)]
    [InlineData("temperature<=21.4", false)]
    [InlineData("count==7", true)]
    [InlineData("count==7.0", true)]
    [InlineData("count==7e0", true)]
    [InlineData("count<1E1", true)]
    [InlineData("count>-1", true)]
    [InlineData("count>-1.5e-3", true)]
    [InlineData("parsedCount==7", true)]
    [InlineData("parsedCount>6", true)]
    [InlineData("parsedCount<7", false)]
    public void Numbers(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("name==\"Parque Norte\"", true)]
    [InlineData("name==\"parque norte\"", false)]
    [InlineData("name!=\"Parque Norte\"", false)]
    [InlineData("name!=\"Parque Sur\"", true)]
    [InlineData("name>\"Parque\"", true)]
    [InlineData("name<\"Parque\"", false)]
    [InlineData("name<\"Z\"", true)]
    [InlineData("name>=\"Parque Norte\"", true)]
    [InlineData("name<=\"Parque Norte\"", true)]
    [InlineData("motto==\"a \\\"b\\\" c\\\\d caf\\u00e9\"", true)]
    [InlineData("motto==\"a \\\"b\\\" c\\\\d cafe\"", false)]
    [InlineData("isOpen==true", true)]
    [InlineData("isOpen==false", false)]
    [InlineData("isOpen!=false", true)]
    [InlineData("isOpen!=true", false)]
    public void StringsAndBooleans(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("temperature==\"21.5\"", false)]
    [InlineData("temperature!=\"21.5\"", true)]
    [InlineData("name>5", false)]
    [InlineData("name==5", false)]
    [InlineData("name!=5", true)]
    [InlineData("isOpen==\"true\"", false)]
    [InlineData("isOpen==1", false)]
    [InlineData("count==true", false)]
    [InlineData("name>2025-01-01", false)]
    [InlineData("count>2025-01-01T00:00:00Z", false)]
    public void ValuesOfDifferentTypesAreNotEqual(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("tags==\"park\"", true)]
    [InlineData("tags==\"forest\"", false)]
    [InlineData("tags!=\"park\"", false)]
    [InlineData("tags!=\"forest\"", true)]
    [InlineData("tags==\"forest\",\"city\"", true)]
    [InlineData("tags!=\"forest\",\"city\"", false)]
    [InlineData("tags!=\"forest\",\"lake\"", true)]
    [InlineData("tags>\"h\"", true)]
    [InlineData("tags>\"q\"", false)]
    [InlineData("count==1,7,9", true)]
    [InlineData("count==1,2", false)]
    [InlineData("count!=1,2", true)]
    [InlineData("count!=1,7", false)]
    [InlineData("count==\"7\",7", true)]
    [InlineData("isOpen==false,true", true)]
    public void ArraysAndValueLists(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("temperature==20..22", true)]
    [InlineData("temperature==21.5..22", true)]
    [InlineData("temperature==20..21.5", true)]
    [InlineData("temperature==22..30", false)]
    [InlineData("temperature==30..20", false)]
    [InlineData("temperature!=22..30", true)]
    [InlineData("temperature!=20..22", false)]
    [InlineData("name==\"P\"..\"Q\"", true)]
    [InlineData("name==\"A\"..\"B\"", false)]
    [InlineData("name==1..100", false)]
    [InlineData("readings==6..8", false)]
    [InlineData("readings==8..10", true)]
    [InlineData("openingDate==2024-06-01..2024-06-30", true)]
    [InlineData("openingDate==2024-07-01..2024-07-31", false)]
    [InlineData("temperature.observedAt==2025-01-01T00:00:00Z..2025-12-31T23:59:59Z", true)]
    [InlineData("opensAt==07:00:00Z..09:00:00Z", true)]
    public void Ranges(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("name~=Norte", true)]
    [InlineData("name~=^Norte", false)]
    [InlineData("name~=^Parque\\sNorte$", true)]
    [InlineData("name~=(?i)parque", true)]
    [InlineData("name~=parque", false)]
    [InlineData("name!~=Sur", true)]
    [InlineData("name!~=Norte", false)]
    [InlineData("name~=\"Norte|Sur\"", true)]
    [InlineData("name~=(Sur|Norte)", true)]
    [InlineData("name~=(Sur|Este)", false)]
    [InlineData("name~=[A-Z]a", true)]
    [InlineData("name=~Norte", true)]
    [InlineData("name!~Norte", false)]
    [InlineData("temperature~=21", false)]
    [InlineData("temperature!~=21", false)]
    [InlineData("tags~=^gr", true)]
    [InlineData("tags!~=^gr", false)]
    [InlineData("tags!~=^x", true)]
    [InlineData("refSensor~=Device", false)]
    [InlineData("label~=^rou", true)]
    [InlineData("name~=Norte;count==7", true)]
    [InlineData("name~=Sur|count==7", true)]
    [InlineData("(name~=Sur)|count==8", false)]
    public void RegularExpressions(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("temperature.observedAt>=2025-01-01T00:00:00Z", true)]
    [InlineData("temperature.observedAt>2025-03-01T10:00:00Z", false)]
    [InlineData("temperature.observedAt==2025-03-01T10:00:00Z", true)]
    [InlineData("temperature.observedAt==2025-03-01T10:00:00.000Z", true)]
    [InlineData("temperature.observedAt==2025-03-01T11:00:00+01:00", true)]
    [InlineData("temperature.observedAt==2025-03-01T11:00:00 01:00", true)]
    [InlineData("temperature.observedAt==2025-03-01T10:00:00", true)]
    [InlineData("temperature.observedAt<2025-03-01", false)]
    [InlineData("temperature.observedAt>2025-03-01", true)]
    [InlineData("temperature.observedAt==\"2025-03-01T10:00:00Z\"", true)]
    [InlineData("temperature.observedAt==\"not a date\"", false)]
    [InlineData("temperature.observedAt==21", false)]
    [InlineData("temperature.createdAt==2025-01-01T00:00:00Z", true)]
    [InlineData("temperature.modifiedAt>2025-02-01T00:00:00Z", true)]
    [InlineData("createdAt<2024-06-01T00:00:00Z", true)]
    [InlineData("createdAt>2024-06-01T00:00:00Z", false)]
    [InlineData("modifiedAt>2025-03-01T00:00:00Z", true)]
    [InlineData("openingDate==2024-06-15", true)]
    [InlineData("openingDate<2024-07-01", true)]
    [InlineData("openingDate>2024-07-01", false)]
    [InlineData("openingDate>2024-06-14T23:00:00Z", true)]
    [InlineData("lastSeen>2025-02-10T08:00:00Z", true)]
    [InlineData("lastSeen<2025-02-10T08:00:00Z", false)]
    [InlineData("lastSeen<2025-02-10T09:00:00+01:00", false)]
    [InlineData("lastSeen>2025-02-10", true)]
    [InlineData("lastSeen==\"2025-02-10T08:30:00Z\"", true)]
    [InlineData("opensAt==08:00:00Z", true)]
    [InlineData("opensAt==08:00:00", true)]
    [InlineData("opensAt==10:00:00+02:00", true)]
    [InlineData("opensAt<09:00:00Z", true)]
    [InlineData("opensAt>09:00:00Z", false)]
    [InlineData("typedDate>=2025-05-01T00:00:00Z", true)]
    [InlineData("typedDate<2025-05-01T00:00:00Z", false)]
    public void DatesTimesAndDateTimes(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("refSensor==urn:ngsi-ld:Device:1", true)]
    [InlineData("refSensor==\"urn:ngsi-ld:Device:1\"", true)]
    [InlineData("refSensor==urn:ngsi-ld:Device:2", false)]
    [InlineData("refSensor!=urn:ngsi-ld:Device:2", true)]
    [InlineData("refSensor!=urn:ngsi-ld:Device:1", false)]
    [InlineData("refSensor==urn:ngsi-ld:Device:2,urn:ngsi-ld:Device:1", true)]
    [InlineData("refSensor>\"urn\"", false)]
    [InlineData("refSensor==\"urn:ngsi-ld:Device:0\"..\"urn:ngsi-ld:Device:9\"", false)]
    [InlineData("owners==urn:ngsi-ld:Person:b", true)]
    [InlineData("owners!=urn:ngsi-ld:Person:b", false)]
    [InlineData("owners!=urn:ngsi-ld:Person:c", true)]
    [InlineData("owners==urn:ngsi-ld:Person:x,urn:ngsi-ld:Person:a", true)]
    [InlineData("route==urn:ngsi-ld:Stop:2", true)]
    [InlineData("route==urn:ngsi-ld:Stop:3", false)]
    [InlineData("route!=urn:ngsi-ld:Stop:3", true)]
    public void Relationships(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("location==\"Point\"", false)]
    [InlineData("location!=\"Point\"", false)]
    [InlineData("location[type]==\"Point\"", true)]
    [InlineData("label==\"rouge\"", true)]
    [InlineData("label==\"rojo\"", false)]
    [InlineData("label[en]==\"red\"", true)]
    [InlineData("label[en]==\"rouge\"", false)]
    [InlineData("label[fr]==\"rouge\"", true)]
    [InlineData("label[*]==\"rot\"", true)]
    [InlineData("label[de]==\"rote\"", true)]
    [InlineData("label[es]==\"rojo\"", false)]
    [InlineData("label[es]", false)]
    [InlineData("label[en]", true)]
    [InlineData("label[en]!=\"red\"", false)]
    [InlineData("label[en]!=\"blue\"", true)]
    [InlineData("label[es]!=\"blue\"", false)]
    [InlineData("readings==5", true)]
    [InlineData("readings==6", false)]
    [InlineData("readings>8", true)]
    [InlineData("readings>9", false)]
    [InlineData("readings!=6", true)]
    [InlineData("readings!=5", false)]
    [InlineData("category==Park", true)]
    [InlineData("category==https://example.org/Park", true)]
    [InlineData("category==\"Park\"", false)]
    [InlineData("category!=Garden", true)]
    [InlineData("category==Garden,Park", true)]
    [InlineData("payload[value]==\"Overstay 60 minutes\"", true)]
    [InlineData("payload[n]>=3", true)]
    [InlineData("payload[n]>3", false)]
    public void AttributeKinds(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("address[city]==\"Berlin\"", true)]
    [InlineData("address[city]==\"Paris\"", false)]
    [InlineData("address[geo.floor]>2", true)]
    [InlineData("address[geo][floor]==3", true)]
    [InlineData("address[geo.floor]==\"3\"", false)]
    [InlineData("address[country]!=\"DE\"", false)]
    [InlineData("address==\"Berlin\"", false)]
    [InlineData("address!=\"Berlin\"", true)]
    [InlineData("temperature.accuracy<1", true)]
    [InlineData("temperature.accuracy>1", false)]
    [InlineData("temperature.accuracy.observedAt", false)]
    [InlineData("temperature.unitCode==\"CEL\"", true)]
    [InlineData("temperature.unitCode==\"FAH\"", false)]
    [InlineData("temperature.unitCode!=\"FAH\"", true)]
    public void SubAttributesAndCompoundValues(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("power==40", true)]
    [InlineData("power==100", true)]
    [InlineData("power==70", false)]
    [InlineData("power>50", true)]
    [InlineData("power<50", true)]
    [InlineData("power>100", false)]
    [InlineData("power==40;power==100", true)]
    [InlineData("power!=40", true)]
    [InlineData("power==0..50", true)]
    [InlineData("power==200..300", false)]
    [InlineData("power.datasetId==\"urn:ds:solar\"", true)]
    [InlineData("power.datasetId==urn:ds:solar", true)]
    [InlineData("power.datasetId==urn:ds:wind", false)]
    [InlineData("power.observedAt>2025-01-01T00:00:00Z", true)]
    [InlineData("temperature.datasetId", false)]
    public void DatasetInstancesMatchWhenAnyInstanceDoes(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Theory]
    [InlineData("temperature>100;name==\"Parque Norte\"|isOpen==true", true)]
    [InlineData("temperature>100;(name==\"Parque Norte\"|isOpen==true)", false)]
    [InlineData("isOpen==true|temperature>100;count==1", true)]
    [InlineData("(isOpen==true|temperature>100);count==1", false)]
    [InlineData("isOpen==false|temperature>100;count==7", false)]
    [InlineData("isOpen==false|temperature>20;count==7", true)]
    [InlineData("((temperature>50|count>5);name==\"Parque Norte\")", true)]
    [InlineData("((temperature>50|count>8);name==\"Parque Norte\")", false)]
    [InlineData("(temperature>=20;temperature<=25)|count<=1", true)]
    [InlineData("(temperature>=22;temperature<=25)|count<=1", false)]
    [InlineData("(temperature>=22;temperature<=25)|count<=7", true)]
    [InlineData("((((count==7))))", true)]
    [InlineData("!nothing;!other", true)]
    [InlineData("!nothing;!temperature", false)]
    [InlineData(" temperature > 20 ; name == \"Parque Norte\" ", true)]
    public void AndBindsTighterThanOrAndParenthesesGroup(string q, bool expected) => Assert.Equal(expected, SampleEntity.Matches(q));

    [Fact]
    public void AnUnexpandedExpressionLooksForTheShortName()
    {
        var q = QExpression.Parse("temperature==21.5");

        Assert.False(q.Matches(SampleEntity.Entity));
        Assert.True(q.Expand(SampleEntity.Expand).Matches(SampleEntity.Entity));
    }

    [Fact]
    public void ExpandTouchesAttributeAndSubAttributeNamesOnly()
    {
        var expanded = new List<string>();
        var q = QExpression.Parse("temperature.accuracy.observedAt>2020-01-01;address[city]==\"x\";createdAt>2020-01-01;label[en]")
            .Expand(name =>
            {
                expanded.Add(name);
                return SampleEntity.Expand(name);
            });

        Assert.Equal(["temperature", "accuracy", "address", "label"], expanded);
        Assert.Equal([SampleEntity.Vocab + "temperature", SampleEntity.Vocab + "address", SampleEntity.Vocab + "label"], q.AttributeNames);
    }

    [Fact]
    public void AnEntityWithoutTimestampsHasNoCreatedAt()
    {
        var entity = new Entity { Id = "urn:x", Types = ["T"] };

        Assert.False(QExpression.Parse("createdAt<2030-01-01T00:00:00Z").Matches(entity));
        Assert.True(QExpression.Parse("!createdAt").Matches(entity));
    }

    [Fact]
    public void AParsedExpressionCanBeSharedBetweenThreads()
    {
        var q = QExpression.Parse("(temperature>20;name~=Norte)|count==1,2").Expand(SampleEntity.Expand);
        var other = SampleEntity.Entity.Clone();
        other.Attributes[SampleEntity.Expand("temperature")][0].Value = JsonValue.Create(10);

        var results = new bool[2000];
        Parallel.For(0, results.Length, i => results[i] = q.Matches(i % 2 == 0 ? SampleEntity.Entity : other));

        Assert.All(results.Where((_, i) => i % 2 == 0), Assert.True);
        Assert.All(results.Where((_, i) => i % 2 == 1), Assert.False);
    }
}
