using CityOS.Context.Model;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Http;

namespace CityOS.Context.Broker;

/// <summary>
/// The parts of <see cref="InputLimits"/> that hold for an entity as a whole: its id, types, attribute names and
/// datasetIds fit in a URL (<see cref="InputLimits.MaxIdLength"/>) and it holds at most
/// <see cref="InputLimits.MaxAttributes"/> attributes. Checked on the outcome of every write, so that an append
/// or merge cannot grow an entity past what a create may send; a refused write changes nothing.
/// </summary>
public sealed class EntityLimits(InputLimits limits)
{
    /// <summary>Why an entity of this id, these types and attributes breaks a limit, or null when it does not.</summary>
    public NgsiLdException? Check(string id, IReadOnlyList<string> types, IReadOnlyDictionary<string, List<NgsiAttribute>> attributes)
    {
        if (TooLong(id, "The entity id") is { } longId) return longId;
        foreach (var type in types)
        {
            if (TooLong(type, "The entity type") is { } longType) return longType;
        }
        if (attributes.Count > limits.MaxAttributes)
        {
            return InputLimits.Exceeded(nameof(InputLimits.MaxAttributes), limits.MaxAttributes, $"Entity {Shown(id)} would have {attributes.Count} attributes");
        }
        foreach (var (name, instances) in attributes)
        {
            if (TooLong(name, "The attribute name") is { } longName) return longName;
            foreach (var instance in instances)
            {
                if (instance.DatasetId is { } datasetId && TooLong(datasetId, $"The datasetId of attribute {name}") is { } longDataset) return longDataset;
            }
        }
        return null;
    }

    private NgsiLdException? TooLong(string text, string what) => text.Length > limits.MaxIdLength
        ? InputLimits.Exceeded(nameof(InputLimits.MaxIdLength), limits.MaxIdLength, $"{what} '{Shown(text)}' is {text.Length} characters long")
        : null;

    /// <summary>The start of an over-long name: enough to recognise it, without echoing kilobytes back.</summary>
    private static string Shown(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
