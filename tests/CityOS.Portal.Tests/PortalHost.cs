namespace CityOS.Portal.Tests;

/// <summary>The real cityos host (every standard block, the portal among them) on a free loopback port.</summary>
public sealed class PortalHost : CityOsTestHost
{
}
