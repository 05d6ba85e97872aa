using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;

namespace CityOS.Portal.Http;

/// <summary>The portal's own style sheet and scripts, built into the assembly and served from this server (no CDN).</summary>
public static class PortalAssets
{
    private static readonly FrozenDictionary<string, (byte[] Body, string ContentType)> Files = Load();

    public static IResult Serve(string name, HttpResponse response, CancellationToken ct)
    {
        if (!Files.TryGetValue(name, out var file)) return Results.NotFound();
        response.Headers.CacheControl = "public, max-age=3600";
        return Results.Bytes(file.Body, file.ContentType);
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        const string prefix = "CityOS.Portal.Assets.";
        var assembly = typeof(PortalAssets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource[prefix.Length..];
            var type = Path.GetExtension(name) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[name] = (copy.ToArray(), type);
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
