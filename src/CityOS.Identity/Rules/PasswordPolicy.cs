namespace CityOS.Identity.Rules;

/// <summary>What a new password must be; returns the problem in words, or null when acceptable.</summary>
public sealed class PasswordPolicy(int minLength)
{
    public const int MaxLength = 256;

    public string? Check(string password, string username)
    {
        if (password.Length < minLength) return $"The password must have at least {minLength} characters.";
        if (password.Length > MaxLength) return $"The password must have at most {MaxLength} characters.";
        if (password.Distinct().Count() < 4) return "The password must use at least 4 different characters.";
        if (password.Contains(username, StringComparison.OrdinalIgnoreCase)) return "The password must not contain the user name.";
        return null;
    }
}
