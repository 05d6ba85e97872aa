using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using CsvHelper;

namespace CityOS.Devices.Import;

/// <summary>
/// The rows of a CSV file (RFC 4180, a header line first) read one by one with CsvHelper's streaming reader: only its
/// buffer and the current row are in memory. A row with the wrong number of fields or broken quoting is a rejected record
/// at its line; the others go on.
/// </summary>
public static class CsvRecordReader
{
    /// <summary>The largest row: a quote never closed must not make the reader hold the rest of the file.</summary>
    public const int MaxRecordBytes = 4 * 1024 * 1024;

    public static async IAsyncEnumerable<ImportRecord> ReadAsync(Stream stream, char delimiter, [EnumeratorCancellation] CancellationToken ct)
    {
        var malformed = new Queue<CsvMalformedRecord>();
        var options = new CsvReaderOptions
        {
            Separator = delimiter,
            HasHeader = true,
            TrackLineNumbers = true,
            SkipEmptyLines = true,
            MaxRecordSize = MaxRecordBytes,
            MalformedData = CsvMalformedDataHandling.Skip,
            FieldCountMismatch = CsvFieldCountHandling.Skip,
            OnMalformedRecord = record => malformed.Enqueue(record),
        };
        await using var csv = CsvReader.Create(stream, options, leaveOpen: true);
        string[] names;
        try
        {
            await csv.ReadHeaderAsync(ct);
            names = [.. csv.Headers.Select(h => h.Trim())];
        }
        catch (Exception error) when (error is CsvFormatException or InvalidDataException)
        {
            throw new ImportFileException(1, "the header cannot be read: " + error.Message);
        }
        if (names.Length == 0) yield break;
        var empty = Array.FindIndex(names, h => h.Length == 0);
        if (empty >= 0) throw new ImportFileException(1, $"header field {empty + 1} has no name");
        var duplicate = names.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ImportFileException(1, $"the header names '{duplicate.Key}' twice");
        while (true)
        {
            bool more;
            try
            {
                more = await csv.ReadAsync(ct);
            }
            catch (Exception error) when (error is CsvFormatException or InvalidDataException)
            {
                throw new ImportFileException(Math.Max(1, csv.LineNumber), error.Message);
            }
            while (malformed.TryDequeue(out var bad)) yield return ImportRecord.Rejected(bad.LineNumber, Reason(bad, names.Length));
            if (!more) yield break;
            var fields = new Dictionary<string, JsonNode?>(names.Length, StringComparer.Ordinal);
            for (var i = 0; i < names.Length; i++) fields[names[i]] = csv.IsEmpty(i) ? null : JsonValue.Create(csv.GetString(i));
            yield return new ImportRecord(csv.LineNumber, fields, Textual: true);
        }
    }

    private static string Reason(CsvMalformedRecord record, int fields) => record.Reason switch
    {
        CsvMalformedReason.FieldCountMismatch => $"the row does not have the header's {fields} fields",
        CsvMalformedReason.StrayQuote => "a quote inside an unquoted field",
        CsvMalformedReason.TextAfterClosingQuote => "text after the closing quote of a field",
        CsvMalformedReason.UnterminatedQuote => "a quoted field is never closed",
        _ => "malformed CSV (" + record.Reason + ")",
    };
}
