using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Identity.Model;

namespace CityOS.Catalog.Tests;

/// <summary>Uploaded files as a CKAN client sends them (multipart resource_create/resource_update) or as a streamed body, and their downloads.</summary>
[Collection(MemoryMeasuredCollection.Name)]
public sealed class FileResourceTests(CatalogHost host) : IClassFixture<CatalogHost>
{
    private static string NewTenant() => "f" + Guid.NewGuid().ToString("N")[..12];

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    internal static async Task<JsonObject> UploadAsync(HttpClient client, string action, Dictionary<string, string> fields, HttpContent file, string fileName, string? tenant)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (key, value) in fields) form.Add(new StringContent(value), key);
        form.Add(file, "upload", fileName);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/3/action/" + action) { Content = form };
        if (tenant is not null) request.Headers.Add("NGSILD-Tenant", tenant);
        using var response = await client.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        body["status"] = (int)response.StatusCode;
        return body;
    }

    private static HttpRequestMessage Get(string url, string? tenant)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (tenant is not null) request.Headers.Add("NGSILD-Tenant", tenant);
        return request;
    }

    [Fact]
    public async Task A_multipart_upload_is_stored_with_size_and_sha256_and_downloaded_at_CKANs_url_with_ranges()
    {
        var tenant = NewTenant();
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "river-levels", title = "河川水位" }, tenant);
        var csv = Encoding.UTF8.GetBytes("観測所,水位\n新町,1.25\n本町,0.98\n");
        var file = new ByteArrayContent(csv);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var answer = await UploadAsync(host.Client, "resource_create", new() { ["package_id"] = "river-levels", ["description"] = "10分値" }, file, "水位.csv", tenant);
        Assert.True(answer["status"]!.GetValue<int>() == 200, answer.ToJsonString());
        var resource = answer["result"]!;
        var id = resource["id"]!.GetValue<string>();
        var packageId = resource["package_id"]!.GetValue<string>();
        Assert.Equal("upload", resource["url_type"]!.GetValue<string>());
        Assert.Equal($"{host.BaseAddress.ToString().TrimEnd('/')}/dataset/{packageId}/resource/{id}/download/{Uri.EscapeDataString("水位.csv")}", resource["url"]!.GetValue<string>());
        Assert.Equal(csv.Length, resource["size"]!.GetValue<long>());
        Assert.Equal(Sha256(csv), resource["hash"]!.GetValue<string>());
        Assert.Equal("text/csv", resource["mimetype"]!.GetValue<string>());
        Assert.Equal("CSV", resource["format"]!.GetValue<string>());
        Assert.Equal("水位.csv", resource["name"]!.GetValue<string>());
        Assert.Equal("10分値", resource["description"]!.GetValue<string>());
        Ckan.AssertSameShape(Ckan.Fixture("package_show")["result"]!["resources"]![0], resource);
        var shown = await Ckan.ResultAsync(host.Client, "package_show", new { id = "river-levels" }, tenant);
        Assert.Equal(resource["url"]!.GetValue<string>(), shown["resources"]![0]!["url"]!.GetValue<string>());

        using (var response = await host.Client.SendAsync(Get(resource["url"]!.GetValue<string>(), tenant)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(csv, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal("bytes", response.Headers.AcceptRanges.Single());
        }
        using (var ranged = Get($"/dataset/river-levels/resource/{id}/download/水位.csv", tenant))
        {
            ranged.Headers.Range = new RangeHeaderValue(4, 9);
            using var response = await host.Client.SendAsync(ranged);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(csv[4..10], await response.Content.ReadAsByteArrayAsync());
        }

        var json = Encoding.UTF8.GetBytes("{\"level\": 1.3}");
        var replaced = await UploadAsync(host.Client, "resource_update", new() { ["id"] = id, ["name"] = "最新の水位" }, new ByteArrayContent(json), "level.json", tenant);
        Assert.True(replaced["status"]!.GetValue<int>() == 200, replaced.ToJsonString());
        Assert.Equal(Sha256(json), replaced["result"]!["hash"]!.GetValue<string>());
        Assert.Equal("JSON", replaced["result"]!["format"]!.GetValue<string>());
        Assert.Equal("application/json", replaced["result"]!["mimetype"]!.GetValue<string>());
        using (var response = await host.Client.SendAsync(Get(replaced["result"]!["url"]!.GetValue<string>(), tenant)))
        {
            Assert.Equal(json, await response.Content.ReadAsByteArrayAsync());
        }

        // A resource_update that sends back resource_show's dictionary keeps the file.
        var kept = await Ckan.ResultAsync(host.Client, "resource_update", new { id, name = "水位 JSON", url = replaced["result"]!["url"]!.GetValue<string>(), format = "JSON" }, tenant);
        Assert.Equal("upload", kept["url_type"]!.GetValue<string>());
        Assert.Equal(json.Length, kept["size"]!.GetValue<long>());

        // A link in its place drops the file: the download redirects to the link.
        await Ckan.ResultAsync(host.Client, "resource_update", new { id, url = "https://example.org/level.json", format = "JSON" }, tenant);
        using (var response = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress }
            .SendAsync(Get($"/dataset/river-levels/resource/{id}/download/level.json", tenant)))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("https://example.org/level.json", response.Headers.Location!.ToString());
        }
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.DataDirectory, "catalog", "files", tenant)));
    }

    [Fact]
    public async Task A_streamed_body_creates_a_resource_or_replaces_its_file_and_deleting_it_removes_the_file()
    {
        var tenant = NewTenant();
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "shelters" }, tenant);
        var geojson = Encoding.UTF8.GetBytes("""{"type":"FeatureCollection","features":[]}""");
        using var post = new HttpRequestMessage(HttpMethod.Post, "/dataset/shelters/resource?filename=shelters.geojson&description=避難所") { Content = new ByteArrayContent(geojson) };
        post.Content.Headers.ContentType = new MediaTypeHeaderValue("application/geo+json");
        post.Headers.Add("NGSILD-Tenant", tenant);
        using var created = await host.Client.SendAsync(post);
        var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.True(created.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        var resource = body["result"]!;
        var id = resource["id"]!.GetValue<string>();
        Assert.Equal("GEOJSON", resource["format"]!.GetValue<string>());
        Assert.Equal("application/geo+json", resource["mimetype"]!.GetValue<string>());
        Assert.Equal(geojson.Length, resource["size"]!.GetValue<long>());
        Assert.Equal("避難所", resource["description"]!.GetValue<string>());

        var newer = Encoding.UTF8.GetBytes("""{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{}}]}""");
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/dataset/shelters/resource/{id}") { Content = new ByteArrayContent(newer) };
        put.Headers.Add("NGSILD-Tenant", tenant);
        using var replaced = await host.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var shown = await Ckan.ResultAsync(host.Client, "resource_show", new { id }, tenant);
        Assert.Equal(Sha256(newer), shown["hash"]!.GetValue<string>());
        Assert.Equal("避難所", shown["description"]!.GetValue<string>());
        Assert.Equal("application/geo+json", shown["mimetype"]!.GetValue<string>());
        using (var response = await host.Client.SendAsync(Get(shown["url"]!.GetValue<string>(), tenant)))
        {
            Assert.Equal("application/geo+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(newer, await response.Content.ReadAsByteArrayAsync());
        }

        using var wrongPackage = new HttpRequestMessage(HttpMethod.Put, $"/dataset/other/resource/{id}") { Content = new ByteArrayContent(newer) };
        wrongPackage.Headers.Add("NGSILD-Tenant", tenant);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.SendAsync(wrongPackage)).StatusCode);
        using (var other = await host.Client.SendAsync(Get($"/dataset/shelters/resource/{id}/download/x", NewTenant())))
        {
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
            Assert.Equal("application/problem+json", other.Content.Headers.ContentType!.MediaType);
        }

        await Ckan.ResultAsync(host.Client, "resource_delete", new { id }, tenant);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.DataDirectory, "catalog", "files", tenant)));
        using var gone = await host.Client.SendAsync(Get($"/dataset/shelters/resource/{id}/download/shelters.geojson", tenant));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_500_MB_file_goes_up_and_down_with_flat_memory()
    {
        const long size = 500L * 1024 * 1024;
        var tenant = NewTenant();
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "big-file" }, tenant);
        using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = host.Client.DefaultRequestHeaders.Authorization;
        var generated = new GeneratedStream(size);
        var content = new StreamContent(generated, 64 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Headers.ContentLength = size;
        JsonObject answer;
        long uploadGrowth;
        await using (var memory = new MemorySampler())
        {
            answer = await UploadAsync(client, "resource_create", new() { ["package_id"] = "big-file" }, content, "archive.zip", tenant);
            await memory.DisposeAsync();
            uploadGrowth = Math.Max(memory.HeapGrowth, memory.WorkingSetGrowth);
        }
        Assert.True(answer["status"]!.GetValue<int>() == 200, answer.ToJsonString());
        Assert.Equal(size, answer["result"]!["size"]!.GetValue<long>());
        Assert.Equal(generated.Sha256, answer["result"]!["hash"]!.GetValue<string>());
        Assert.True(uploadGrowth < 100L * 1024 * 1024, $"upload grew memory by {uploadGrowth / 1024 / 1024} MB");

        await using (var memory = new MemorySampler())
        {
            using var response = await client.SendAsync(Get(answer["result"]!["url"]!.GetValue<string>(), tenant), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(size, response.Content.Headers.ContentLength);
            await using var body = await response.Content.ReadAsStreamAsync();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[128 * 1024];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                total += read;
            }
            await memory.DisposeAsync();
            Assert.Equal(size, total);
            Assert.Equal(generated.Sha256, Convert.ToHexStringLower(hash.GetHashAndReset()));
            var growth = Math.Max(memory.HeapGrowth, memory.WorkingSetGrowth);
            Assert.True(growth < 100L * 1024 * 1024, $"download grew memory by {growth / 1024 / 1024} MB");
        }
    }
}

public sealed class UploadLimitTests(SmallUploadsHost host) : IClassFixture<SmallUploadsHost>
{
    [Fact]
    public async Task An_upload_over_the_limit_or_the_tenants_quota_is_refused_and_changes_nothing()
    {
        const string tenant = "limits";
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "limited" }, tenant);
        var answer = await FileResourceTests.UploadAsync(host.Client, "resource_create", new() { ["package_id"] = "limited" }, new ByteArrayContent(new byte[5000]), "big.bin", tenant);
        Assert.Equal(413, answer["status"]!.GetValue<int>());
        Assert.Equal("Validation Error", answer["error"]!["__type"]!.GetValue<string>());
        Assert.Contains("too large", answer["error"]!["upload"]![0]!.GetValue<string>());
        Assert.Equal(0, (await Ckan.ResultAsync(host.Client, "package_show", new { id = "limited" }, tenant))["num_resources"]!.GetValue<int>());

        answer = await FileResourceTests.UploadAsync(host.Client, "resource_create", new() { ["package_id"] = "limited" }, new ByteArrayContent(new byte[4000]), "a.bin", tenant);
        Assert.Equal(200, answer["status"]!.GetValue<int>());
        answer = await FileResourceTests.UploadAsync(host.Client, "resource_create", new() { ["package_id"] = "limited" }, new ByteArrayContent(new byte[3000]), "b.bin", tenant);
        Assert.Equal(413, answer["status"]!.GetValue<int>());
        Assert.Equal(1, (await Ckan.ResultAsync(host.Client, "package_show", new { id = "limited" }, tenant))["num_resources"]!.GetValue<int>());
        Assert.Single(Directory.EnumerateFiles(Path.Combine(host.DataDirectory, "catalog", "files", tenant)));
    }
}

public sealed class FileVisibilityTests(SecuredCatalogHost host) : IClassFixture<SecuredCatalogHost>
{
    [Fact]
    public async Task Files_of_private_datasets_are_not_downloaded_and_anonymous_callers_cannot_upload()
    {
        const string tenant = "file-visibility";
        await Ckan.ResultAsync(host.Client, "organization_create", new { name = "city-hall" }, tenant);
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "open-file" }, tenant);
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "closed-file", @private = true, owner_org = "city-hall" }, tenant);
        var open = await FileResourceTests.UploadAsync(host.Client, "resource_create", new() { ["package_id"] = "open-file" }, new StringContent("a,b\n1,2\n"), "open.csv", tenant);
        var closed = await FileResourceTests.UploadAsync(host.Client, "resource_create", new() { ["package_id"] = "closed-file" }, new StringContent("secret\n"), "closed.csv", tenant);
        var anonymous = new HttpClient { BaseAddress = host.BaseAddress };

        async Task<HttpResponseMessage> Download(HttpClient client, JsonObject upload, string? bearer = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, upload["result"]!["url"]!.GetValue<string>());
            request.Headers.Add("NGSILD-Tenant", tenant);
            if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            return await client.SendAsync(request);
        }

        Assert.Equal("a,b\n1,2\n", await (await Download(anonymous, open)).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Download(anonymous, closed)).StatusCode);
        var outsider = await host.TokenAsync("file-outsider", new TenantMembership("elsewhere", BuiltInRoles.TenantAdmin));
        Assert.Equal(HttpStatusCode.Forbidden, (await Download(anonymous, closed, outsider)).StatusCode);
        Assert.Equal("secret\n", await (await Download(host.Client, closed)).Content.ReadAsStringAsync());

        var sneaky = await FileResourceTests.UploadAsync(anonymous, "resource_create", new() { ["package_id"] = "open-file" }, new StringContent("x"), "x.csv", tenant);
        Assert.Equal(403, sneaky["status"]!.GetValue<int>());
        Assert.Equal("Authorization Error", sneaky["error"]!["__type"]!.GetValue<string>());
        Assert.Equal(2, Directory.EnumerateFiles(Path.Combine(host.DataDirectory, "catalog", "files", tenant)).Count());
    }
}
