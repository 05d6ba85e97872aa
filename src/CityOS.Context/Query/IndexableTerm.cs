namespace CityOS.Context.Query;

public enum IndexableOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,

    /// <summary>Low ≤ value ≤ High, both included (q <c>a==10..20</c>).</summary>
    Range,

    /// <summary>value is one of the listed values (q <c>a==1,2,3</c>).</summary>
    AnyOf,
}

/// <summary>
/// A condition every entity matching a q expression satisfies, which a store can turn into an index lookup
/// to narrow the candidates: some instance of the top-level attribute <see cref="AttributeIri"/> has a value
/// (or, when that value is an array, an element; or a Relationship object) that satisfies
/// <see cref="Operator"/> against the literal(s).
/// <para>
/// It is a necessary condition, not a sufficient one: candidates must still be checked with
/// <see cref="QExpression.Matches"/>. For the narrowing to be safe (no false negatives) the index must hold,
/// for every instance of the attribute, each value the evaluator compares: a plain value, every element of an
/// array value or ListProperty valueList, a Relationship object or each of its objects, each ListRelationship
/// object, each VocabProperty IRI, each text of a LanguageProperty languageMap, and the <c>@value</c> of a
/// value in expanded JSON-LD form. Text compares ordinally (binary collation). A NotEqual term also holds for
/// values of another data type (a string is "unequal" to every number), so it may only narrow to entities
/// that have the attribute.
/// </para>
/// </summary>
/// <param name="AttributeIri">The attribute's expanded name (its name as written when the expression was not expanded).</param>
/// <param name="IsNumeric">True: compare the numeric value with <see cref="Numbers"/>; false: the string value, ordinally, with <see cref="Texts"/>.</param>
/// <param name="Numbers">When numeric: one value; Range: [low, high]; AnyOf: every listed value. Empty when not numeric.</param>
/// <param name="Texts">When textual, laid out as <see cref="Numbers"/>. Empty when numeric.</param>
public sealed record IndexableTerm(string AttributeIri, IndexableOperator Operator, bool IsNumeric, IReadOnlyList<double> Numbers, IReadOnlyList<string> Texts)
{
    /// <summary>The single numeric literal of a comparison (not Range or AnyOf); null otherwise.</summary>
    public double? Number => IsNumeric && Operator is not (IndexableOperator.Range or IndexableOperator.AnyOf) ? Numbers[0] : null;

    /// <summary>The single text literal of a comparison (not Range or AnyOf); null otherwise.</summary>
    public string? Text => !IsNumeric && Operator is not (IndexableOperator.Range or IndexableOperator.AnyOf) ? Texts[0] : null;
}
