namespace CityOS.Portal.Tests;

/// <summary>The real cityos host (every standard block, the portal among them) on a free loopback port.</summary>
public class PortalHost : CityOsTestHost
{
    /// <summary>A client that, like a browser's first request, follows no redirect and keeps no cookie.</summary>
    public HttpClient BrowserlessClient() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };
}
