namespace CityOS.Portal.Tests;

/// <summary>Runs a script of this project's js directory (its npm packages installed by `npm ci`) with node.</summary>
internal static class NodeTool
{
    public static string JsDirectory => Path.Combine(TestProjectDirectory, "js");

    public static async Task<string> RunAsync(string script, params string[] arguments)
    {
        Assert.True(Directory.Exists(Path.Combine(JsDirectory, "node_modules")), $"The npm packages are not installed: run `npm ci` in {JsDirectory}.");
        return await NodeScript.RunAsync(JsDirectory, script, arguments);
    }

    public static string TestProjectDirectory
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CityOS.Portal.Tests.csproj"))) directory = directory.Parent;
            return directory?.FullName ?? throw new DirectoryNotFoundException("CityOS.Portal.Tests.csproj not found above " + AppContext.BaseDirectory);
        }
    }
}
