using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Import;

/// <summary>
/// The records of a JSON file, read with <see cref="Utf8JsonReader"/> over a buffer refilled from the stream, so that only
/// the record being read is in memory: a top-level array of objects, objects one after another (NDJSON / JSON Lines), or a
/// GeoJSON FeatureCollection (an object with a "features" array, whose features are the records). Each record carries
/// the line it starts on; JSON that is not JSON stops the file at its line.
/// </summary>
public sealed class JsonRecordReader
{
    /// <summary>The largest single record (or the members before a FeatureCollection's features).</summary>
    public const int MaxRecordBytes = 16 * 1024 * 1024;

    private enum Mode { Top, TopArray, ScanObject, Features, SkipRest, Done }

    private static readonly JsonReaderOptions Options = new() { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 };

    private byte[] _buffer = new byte[1 << 16];
    private int _filled;
    private bool _final;
    private JsonReaderState _state = new(Options);
    private Mode _mode;
    private long _linesBeforeBuffer;
    private int _countedTo;
    private long _countedLines;
    private long _elements;
    private ImportFileException? _error;

    public static async IAsyncEnumerable<ImportRecord> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        var json = new JsonRecordReader();
        var records = new List<ImportRecord>();
        var first = true;
        while (json._mode != Mode.Done)
        {
            if (!json._final)
            {
                if (json._filled == json._buffer.Length)
                {
                    if (json._buffer.Length >= MaxRecordBytes) throw new ImportFileException(json.LineOf(0), $"a record is larger than {MaxRecordBytes} bytes");
                    Array.Resize(ref json._buffer, json._buffer.Length * 2);
                }
                var read = await stream.ReadAsync(json._buffer.AsMemory(json._filled), ct);
                if (read == 0) json._final = true;
                json._filled += read;
                if (first && json._filled >= 3)
                {
                    first = false;
                    if (json._buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8)) json.Shift(3);
                }
                if (!json._final && json._filled < json._buffer.Length) continue;
            }
            var consumed = json.Parse(records);
            foreach (var record in records) yield return record;
            records.Clear();
            if (json._error is not null) throw json._error;
            json.Shift(consumed);
            if (json._final && json._mode != Mode.Done && consumed == 0 && json._filled > 0)
            {
                throw new ImportFileException(json.LineOf(0), "the JSON ends in the middle of a value");
            }
        }
    }

    /// <summary>Reads what the buffer holds completely; returns the bytes done with.</summary>
    private int Parse(List<ImportRecord> records)
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(0, _filled), _final, _state);
        var safe = 0;
        var safeState = _state;
        var objectStart = 0;
        try
        {
            while (true)
            {
                var before = reader.CurrentState;
                var beforeAt = (int)reader.BytesConsumed;
                if (!reader.Read())
                {
                    if (_final && _mode == Mode.Top) _mode = Mode.Done;
                    else if (_final) throw new ImportFileException(LineOf((int)reader.BytesConsumed), "the JSON ends in the middle of a value");
                    break;
                }
                var start = (int)reader.TokenStartIndex;
                switch (_mode)
                {
                    case Mode.Top when reader.TokenType == JsonTokenType.StartArray:
                        _mode = Mode.TopArray;
                        break;
                    case Mode.Top when reader.TokenType == JsonTokenType.StartObject:
                        _mode = Mode.ScanObject;
                        objectStart = start;
                        // Until the object is known to be a FeatureCollection it is read again from its start.
                        safe = beforeAt;
                        safeState = before;
                        continue;
                    case Mode.Top:
                        throw new ImportFileException(LineOf(start), "a JSON import is an array of objects, objects one per line, or a GeoJSON FeatureCollection");
                    case Mode.TopArray or Mode.Features when reader.TokenType == JsonTokenType.EndArray:
                        _mode = _mode == Mode.TopArray ? Mode.Top : Mode.SkipRest;
                        break;
                    case Mode.TopArray or Mode.Features:
                        if (!reader.TrySkip()) return Rewind(beforeAt, before);
                        _elements++;
                        var element = JsonNode.Parse(_buffer.AsSpan(start, (int)reader.BytesConsumed - start));
                        records.Add(ImportRecord.FromJson(LineOf(start), element, _mode == Mode.Features ? $"feature {_elements}" : $"element {_elements}"));
                        break;
                    case Mode.ScanObject when reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1:
                        var features = reader.ValueTextEquals("features"u8);
                        if (!reader.Read()) return RewindObject(safe, safeState);
                        if (features && reader.TokenType == JsonTokenType.StartArray)
                        {
                            _mode = Mode.Features;
                            break;
                        }
                        if (!reader.TrySkip()) return RewindObject(safe, safeState);
                        continue;
                    case Mode.ScanObject when reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0:
                        // An object without features: one record of objects one after another.
                        _mode = Mode.Top;
                        _elements++;
                        records.Add(ImportRecord.FromJson(LineOf(objectStart), JsonNode.Parse(_buffer.AsSpan(objectStart, (int)reader.BytesConsumed - objectStart)), $"object {_elements}"));
                        break;
                    case Mode.ScanObject:
                        continue;
                    case Mode.SkipRest when reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0:
                        _mode = Mode.Top;
                        break;
                    case Mode.SkipRest:
                        if (!reader.TrySkip()) return Rewind(beforeAt, before);
                        break;
                }
                safe = (int)reader.BytesConsumed;
                safeState = reader.CurrentState;
            }
        }
        catch (JsonException error)
        {
            // The records before the error are given first.
            _error = new ImportFileException(LineOf(0) + (error.LineNumber ?? 0), $"not JSON ({error.Message.Split(" LineNumber", 2)[0]})");
        }
        catch (ImportFileException error)
        {
            _error = error;
        }
        if (_mode == Mode.ScanObject) return RewindObject(safe, safeState);
        _state = safeState;
        return safe;
    }

    private int Rewind(int at, JsonReaderState state)
    {
        _state = state;
        return at;
    }

    private int RewindObject(int at, JsonReaderState state)
    {
        _mode = Mode.Top;
        return Rewind(at, state);
    }

    /// <summary>The line (from 1) of a position in the buffer; positions asked for grow within one pass over the buffer.</summary>
    private long LineOf(int position)
    {
        if (position < _countedTo)
        {
            _countedTo = 0;
            _countedLines = _linesBeforeBuffer;
        }
        _countedLines += _buffer.AsSpan(_countedTo, position - _countedTo).Count((byte)'\n');
        _countedTo = position;
        return _countedLines + 1;
    }

    private void Shift(int consumed)
    {
        if (consumed == 0) return;
        _linesBeforeBuffer = LineOf(consumed) - 1;
        _buffer.AsSpan(consumed, _filled - consumed).CopyTo(_buffer);
        _filled -= consumed;
        _countedTo = 0;
        _countedLines = _linesBeforeBuffer;
    }
}
