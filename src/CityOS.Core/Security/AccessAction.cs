namespace CityOS.Core.Security;

/// <summary>What a caller wants to do with a resource (AU-7).</summary>
public enum AccessAction
{
    Read,
    Create,
    Update,
    Delete,
    Subscribe,
    Admin,
}
