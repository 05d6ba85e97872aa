using System.Text.RegularExpressions;

namespace CityOS.Context.Query;

internal enum QOperator
{
    Exists,
    NotExists,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Match,
    NotMatch,
}

/// <summary>The members of an attribute (or of the entity) that a path can name instead of a sub-attribute.</summary>
internal enum SpecialMember
{
    None,
    ObservedAt,
    CreatedAt,
    ModifiedAt,
    UnitCode,
    DatasetId,
}

/// <summary>Node of a parsed q expression. Every node is immutable, so a parsed expression can be shared between threads.</summary>
internal abstract class QNode;

internal sealed class QAnd(QNode[] children) : QNode
{
    public QNode[] Children { get; } = children;
}

internal sealed class QOr(QNode[] children) : QNode
{
    public QNode[] Children { get; } = children;
}

internal sealed class QTerm(QPath path, QOperator op, QValue? value) : QNode
{
    public QPath Path { get; } = path;
    public QOperator Operator { get; } = op;

    /// <summary>Null for <see cref="QOperator.Exists"/> and <see cref="QOperator.NotExists"/>.</summary>
    public QValue? Value { get; } = value;
}

/// <summary>
/// An attribute path (4.9 production Attribute): the attribute and sub-attribute names (short until
/// <see cref="QExpression.Expand"/>, then IRIs), an optional special member of the element they designate,
/// and an optional trailing path into the compound value (or the language of a LanguageProperty).
/// </summary>
internal sealed class QPath(string[] names, SpecialMember member, string[]? trailing, string text)
{
    /// <summary>Attribute name then sub-attribute names; empty when <see cref="Member"/> is an entity member (createdAt, modifiedAt).</summary>
    public string[] Names { get; } = names;

    public SpecialMember Member { get; } = member;

    /// <summary>The member names inside the square brackets, outermost first; null when there are no brackets.</summary>
    public string[]? Trailing { get; } = trailing;

    /// <summary>The path as written, for messages.</summary>
    public string Text { get; } = text;

    public bool IsEntityMember => Names.Length == 0;

    /// <summary>A plain top-level attribute: the only shape a store index on attribute values can serve.</summary>
    public bool IsPlainAttribute => Names.Length == 1 && Member == SpecialMember.None && Trailing is null;

    public QPath WithNames(string[] names) => new(names, Member, Trailing, Text);
}

/// <summary>The right-hand side of a comparison.</summary>
internal abstract class QValue;

internal sealed class QSingle(QLiteral literal) : QValue
{
    public QLiteral Literal { get; } = literal;
}

internal sealed class QRange(QLiteral low, QLiteral high) : QValue
{
    public QLiteral Low { get; } = low;
    public QLiteral High { get; } = high;
}

internal sealed class QList(QLiteral[] items) : QValue
{
    public QLiteral[] Items { get; } = items;
}

internal sealed class QPattern(Regex regex) : QValue
{
    public Regex Regex { get; } = regex;
}
