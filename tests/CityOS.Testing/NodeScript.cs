using System.Diagnostics;

namespace CityOS.Testing;

/// <summary>Runs a script of a test project's js directory (its npm packages installed by `npm ci`) with node and returns what it printed.</summary>
public static class NodeScript
{
    public static async Task<string> RunAsync(string jsDirectory, string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("node", [script, .. arguments])
        {
            WorkingDirectory = jsDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"node {script} failed ({process.ExitCode}):\n{await stderr}\n{await stdout}");
        return await stdout;
    }
}
