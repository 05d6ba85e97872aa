using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Catalog.Ckan;

/// <summary>
/// A stored dataset's CKAN dictionary as UTF-8 JSON, encoded once (when the search index reads it) so that a search answer
/// copies it rather than parsing, cloning and writing it again. The URLs of the resources the catalog serves depend on the
/// request's site address (<see cref="ResourceUrls"/>): where they are is kept, and they are filled in when written.
/// </summary>
public sealed class PackageJson
{
    /// <summary>How the catalog writes JSON: UTF-8 text as it is (Japanese is not escaped), as CKAN answers.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly byte[] _utf8;
    private readonly ServedUrl[] _served;

    private PackageJson(byte[] utf8, ServedUrl[] served, string? ownerOrg)
    {
        _utf8 = utf8;
        _served = served;
        OwnerOrg = ownerOrg;
    }

    /// <summary>The id of the dataset's organization, whose summary package_show adds to the dictionary.</summary>
    public string? OwnerOrg { get; }

    /// <summary>Where a served resource's url is in the JSON (its string, quotes included) and what its download URL is made of.</summary>
    private readonly record struct ServedUrl(int Start, int End, string PackageId, string ResourceId, string FileName);

    public static PackageJson Of(JsonObject package)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var servedUrls = new List<ServedUrl>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in package)
            {
                writer.WritePropertyName(key);
                if (key != "resources" || value is not JsonArray resources)
                {
                    Write(writer, value);
                    continue;
                }
                writer.WriteStartArray();
                foreach (var resource in resources)
                {
                    if (resource is not JsonObject resourceObject || ResourceUrls.ServedFileName(resourceObject) is not { } fileName)
                    {
                        Write(writer, resource);
                        continue;
                    }
                    writer.WriteStartObject();
                    foreach (var (field, member) in resourceObject)
                    {
                        writer.WritePropertyName(field);
                        if (field != "url")
                        {
                            Write(writer, member);
                            continue;
                        }
                        writer.Flush();
                        var start = buffer.WrittenCount;
                        Write(writer, member);
                        writer.Flush();
                        servedUrls.Add(new ServedUrl(start, buffer.WrittenCount, resourceObject["package_id"]!.ToString(), resourceObject["id"]!.ToString(), fileName));
                    }
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return new PackageJson(buffer.WrittenSpan.ToArray(), [.. servedUrls], package["owner_org"]?.ToString());
    }

    /// <summary>
    /// Writes the dictionary with the served resources' download URLs under <paramref name="siteUrl"/> and, after its own
    /// members, <paramref name="members"/> (members of a JSON object without its braces).
    /// </summary>
    public void WriteTo(Utf8JsonWriter writer, string siteUrl, ReadOnlySpan<byte> members)
    {
        var urls = new byte[_served.Length][];
        var length = _utf8.Length + members.Length + 1;
        for (var i = 0; i < _served.Length; i++)
        {
            var url = _served[i];
            urls[i] = JsonEncodedText.Encode(ResourceUrls.Download(siteUrl, url.PackageId, url.ResourceId, url.FileName), WriterOptions.Encoder).EncodedUtf8Bytes.ToArray();
            length += urls[i].Length + 2 - (url.End - url.Start);
        }
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = 0;
            var from = 0;
            for (var i = 0; i < _served.Length; i++)
            {
                Copy(_utf8.AsSpan(from, _served[i].Start - from));
                rented[written++] = (byte)'"';
                Copy(urls[i]);
                rented[written++] = (byte)'"';
                from = _served[i].End;
            }
            // The stored dictionary ends with its closing brace: the members go before it.
            Copy(_utf8.AsSpan(from, _utf8.Length - 1 - from));
            if (members.Length > 0)
            {
                rented[written++] = (byte)',';
                Copy(members);
            }
            rented[written++] = (byte)'}';
            writer.WriteRawValue(rented.AsSpan(0, written), skipInputValidation: true);

            void Copy(ReadOnlySpan<byte> bytes)
            {
                bytes.CopyTo(rented.AsSpan(written));
                written += bytes.Length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null) writer.WriteNullValue();
        else node.WriteTo(writer);
    }
}
