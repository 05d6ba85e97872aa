using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Cli;

/// <summary>
/// <c>cityos import FILE --type T [--tenant X] [--dry-run] ...</c>: sends a file to the import API of a running cityos
/// (streamed, never read into memory), follows the job with a progress line, and prints its report.
/// Exit codes: 0 every row imported, 2 some rows rejected (listed), 1 the import or the command failed.
/// </summary>
public static class ImportCommand
{
    public const string Help = """
        File import (into a running cityos, through its import API; progress on standard error):
          cityos import FILE --type T [options]   a CSV, JSON/NDJSON or GeoJSON file becomes entities of type T
          --tenant X        tenant (NGSILD-Tenant); default: the default tenant
          --id COLUMN       column holding the entity id (or --id-template 'urn:ngsi-ld:T:{code}')
          --attr C[:NAME[:Type[:unit]]]   a column as an attribute (repeat); Type: Number, Integer, Text, Boolean, DateTime
          --lat COLUMN --lon COLUMN       columns of a point location
          --keep-unmapped   also import the columns no --attr names, as Properties
          --replace         replace existing entities instead of merging into them
          --delimiter C     CSV delimiter (default ',')
          --format F        csv, json, ndjson or geojson (default: from the file name)
          --dry-run         check the whole file and show a sample; nothing is written
          --url URL         the cityos to import into (default http://localhost:1026, or CITYOS_URL)
          --token TOKEN     bearer access token when security is on (or CITYOS_TOKEN)

        """;

    private static readonly Dictionary<string, string> Parameters = new(StringComparer.Ordinal)
    {
        ["--type"] = "type", ["--id"] = "id", ["--id-template"] = "idTemplate", ["--attr"] = "attr", ["--lat"] = "lat", ["--lon"] = "lon",
        ["--delimiter"] = "delimiter", ["--format"] = "format",
    };

    // Shown to a person: Japanese names as they are, not as \u escapes.
    private static readonly JsonSerializerOptions SampleFormat = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["--keep-unmapped"] = "keepUnmapped", ["--replace"] = "replace", ["--dry-run"] = "dryRun",
    };

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        string? file = null, tenant = null;
        var url = Environment.GetEnvironmentVariable("CITYOS_URL") is { Length: > 0 } fromEnvironment ? fromEnvironment : "http://localhost:1026";
        var token = Environment.GetEnvironmentVariable("CITYOS_TOKEN");
        var query = new List<KeyValuePair<string, string>>();
        try
        {
            for (var i = 1; i < args.Length; i++)
            {
                var arg = args[i];
                string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{arg} needs a value.");
                if (Parameters.TryGetValue(arg, out var name)) query.Add(new(name, Value()));
                else if (Flags.TryGetValue(arg, out var flag)) query.Add(new(flag, "true"));
                else if (arg == "--tenant") tenant = Value();
                else if (arg == "--url") url = Value();
                else if (arg == "--token") token = Value();
                else if (arg.StartsWith('-')) return Usage(error, $"unknown option {arg}.");
                else if (file is null) file = arg;
                else return Usage(error, $"one file at a time ('{arg}' is a second one).");
            }
        }
        catch (UsageException usage)
        {
            return Usage(error, usage.Message);
        }
        if (file is null) return Usage(error, "name the file to import.");
        if (!query.Any(p => p.Key == "type")) return Usage(error, "--type names the entity type the rows become.");
        if (!File.Exists(file)) return Usage(error, $"there is no file '{file}'.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
            return Usage(error, $"--url '{url}' is not an http(s) URL.");

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(token)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (tenant is not null) http.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);

        try
        {
            var job = await SendAsync(http, file, query, error, ct);
            if (job is null) return 1;
            job = await FollowAsync(http, job, error, ct);
            return Report(job, output, error);
        }
        catch (HttpRequestException unreachable)
        {
            error.WriteLine($"cityos import: cannot reach {baseAddress}: {unreachable.Message}");
            return 1;
        }
    }

    private static async Task<JsonObject?> SendAsync(HttpClient http, string file, List<KeyValuePair<string, string>> query, TextWriter error, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        var path = "/import/v1/files?" + string.Join('&', query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StreamContent(stream, 64 * 1024) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypeOf(file));
        request.Content.Headers.ContentLength = stream.Length;
        request.Headers.Add("Prefer", "respond-async");
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.IsSuccessStatusCode && TryParse(body) is { } job) return job;
        var problem = TryParse(body);
        var detail = problem?["detail"]?.GetValue<string>() ?? problem?["title"]?.GetValue<string>() ?? body;
        error.WriteLine($"cityos import: refused ({(int)response.StatusCode}): {detail}");
        return null;
    }

    private static async Task<JsonObject> FollowAsync(HttpClient http, JsonObject job, TextWriter error, CancellationToken ct)
    {
        var id = (string)job["id"]!;
        while ((string?)job["state"] == "running")
        {
            await Task.Delay(PollInterval, ct);
            using var response = await http.GetAsync($"/import/v1/jobs/{Uri.EscapeDataString(id)}", ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode || TryParse(body) is not { } next)
                throw new HttpRequestException($"the job {id} answered {(int)response.StatusCode}: {body}");
            job = next;
            error.WriteLine(ProgressLine(job));
        }
        return job;
    }

    private static string ProgressLine(JsonObject job)
    {
        var read = (long?)job["bytesRead"] ?? 0;
        var total = (long?)job["totalBytes"];
        var share = total is > 0 ? $" ({100.0 * read / total.Value:0.0} %)" : "";
        return $"{job["state"]}: {read:N0} bytes{share}, {job["rowsRead"]} rows, {job["created"]} created, {job["updated"]} updated, {job["rejected"]} rejected";
    }

    private static int Report(JsonObject job, TextWriter output, TextWriter error)
    {
        var dryRun = (bool?)job["dryRun"] == true;
        output.WriteLine($"{(dryRun ? "Dry run of" : "Imported")} {job["entityType"]}: {job["rowsRead"]} rows read, {job["created"]} {(dryRun ? "would be created" : "created")}, " +
            $"{job["updated"]} {(dryRun ? "would be updated" : "updated")}, {job["rejected"]} rejected.");
        foreach (var row in job["rejectedRows"]?.AsArray() ?? [])
            output.WriteLine($"  line {row?["line"]}: {row?["reason"]}");
        if (dryRun && job["sample"] is JsonArray { Count: > 0 } sample)
            output.WriteLine("Sample:\n" + sample.ToJsonString(SampleFormat));
        if (job["failure"] is { } failure)
        {
            error.WriteLine($"cityos import: failed: {failure}");
            return 1;
        }
        return (long?)job["rejected"] is > 0 ? 2 : 0;
    }

    private static string MediaTypeOf(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".csv" => "text/csv",
        ".ndjson" or ".jsonl" => "application/x-ndjson",
        ".geojson" => "application/geo+json",
        ".json" => "application/json",
        _ => "text/csv",
    };

    private static JsonObject? TryParse(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int Usage(TextWriter error, string message)
    {
        error.WriteLine($"cityos import: {message}");
        error.WriteLine(Help);
        return 1;
    }

    private sealed class UsageException(string message) : Exception(message);
}
