using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace CityOS.Identity.Tests.Http;

/// <summary>Handlers with typed results describe their answers in the endpoint metadata the OpenAPI document is made from.</summary>
public sealed class ResponseDescriptionTests(IdentityTestHost host) : IClassFixture<IdentityTestHost>
{
    [Theory]
    [InlineData("ListTypes", 200)]
    [InlineData("AttributeInfo", 200)]
    [InlineData("ListDeadLetters", 200)]
    [InlineData("RetryDeadLetter", 204)]
    [InlineData("ListAccounts", 200)]
    [InlineData("CreateAccount", 201)]
    [InlineData("CreateRole", 201)]
    [InlineData("DeleteClient", 204)]
    [InlineData("ListPolicies", 200)]
    [InlineData("SavePolicy", 201)]
    [InlineData("Version", 200)]
    public void The_endpoint_describes_its_success(string name, int status)
    {
        var endpoint = host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Single(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == name);
        Assert.Contains(status, endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().Select(m => m.StatusCode));
    }
}
