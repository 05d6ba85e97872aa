using CityOS.Context.Model;

namespace CityOS.Context.Query;

/// <summary>
/// A parsed NGSI-LD q expression (ETSI GS CIM 009 clause 4.9). Immutable and thread-safe, so one parsed
/// instance can be cached by its text and shared by concurrent requests and subscriptions.
/// <para>
/// Paths: <c>attr</c> is a top-level attribute, <c>attr.sub.sub2</c> its sub-attributes, a trailing
/// <c>.observedAt</c>, <c>.createdAt</c>, <c>.modifiedAt</c>, <c>.unitCode</c> or <c>.datasetId</c> the
/// member of the element before it, <c>attr[a.b]</c> (or <c>attr[a][b]</c>) a member of its compound value,
/// <c>attr[en]</c> / <c>attr[*]</c> a language of a LanguageProperty, and <c>createdAt</c> /
/// <c>modifiedAt</c> alone the entity's own timestamps.
/// </para>
/// </summary>
public sealed class QExpression
{
    private readonly QNode _root;

    private QExpression(string text, QNode root)
    {
        Text = text;
        _root = root;
        ConjunctiveTerms = ExtractConjunctiveTerms(root);
        AttributeNames = Terms(root).Where(t => !t.Path.IsEntityMember).Select(t => t.Path.Names[0]).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The text the expression was parsed from.</summary>
    public string Text { get; }

    /// <summary>
    /// The top-level AND-ed comparisons of a plain top-level attribute with a number or a quoted string (or a
    /// range or list of them) that a store can use to narrow candidates; empty when there are none (for example
    /// when the top level is an OR). See <see cref="IndexableTerm"/> for what the store's index must cover.
    /// </summary>
    public IReadOnlyList<IndexableTerm> ConjunctiveTerms { get; }

    /// <summary>The top-level attributes the expression looks at (IRIs once expanded), each once.</summary>
    public IReadOnlyList<string> AttributeNames { get; }

    /// <summary>
    /// Parses a q expression. Throws <see cref="CityOS.Core.NgsiLdException"/>: BadRequestData for a syntax
    /// error (the message gives the 1-based position and what was expected), TooComplexQuery when a size or
    /// nesting limit is exceeded, OperationNotSupported for linked-entity paths (<c>attr{...}</c>).
    /// </summary>
    public static QExpression Parse(string q) => new(q, QParser.Parse(q));

    /// <summary>
    /// Expands every attribute and sub-attribute name to its IRI. Special members (observedAt, unitCode, ...),
    /// compound value member names and language tags stay as written: they are JSON member names, not terms.
    /// </summary>
    /// <param name="expandAttributeName">Expands a term against the request's @context.</param>
    /// <param name="expandValue">
    /// Optional: expands unquoted terms on the right-hand side (<c>gender==Male</c>, spec example 12); the
    /// expanded form is what a VocabProperty is compared with. Quoted strings are never expanded.
    /// </param>
    public QExpression Expand(Func<string, string> expandAttributeName, Func<string, string>? expandValue = null)
    {
        ArgumentNullException.ThrowIfNull(expandAttributeName);
        return new QExpression(Text, ExpandNode(_root, expandAttributeName, expandValue));
    }

    /// <summary>Evaluates the expression on an entity in expanded form (names are compared as they are, so expand first).</summary>
    public bool Matches(Entity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return QEvaluator.Matches(_root, entity);
    }

    public override string ToString() => Text;

    private static QNode ExpandNode(QNode node, Func<string, string> expandName, Func<string, string>? expandValue) => node switch
    {
        QAnd conjunction => new QAnd(conjunction.Children.Select(c => ExpandNode(c, expandName, expandValue)).ToArray()),
        QOr disjunction => new QOr(disjunction.Children.Select(c => ExpandNode(c, expandName, expandValue)).ToArray()),
        QTerm term => new QTerm(
            term.Path.WithNames(term.Path.Names.Select(expandName).ToArray()),
            term.Operator,
            expandValue is null ? term.Value : ExpandValue(term.Value, expandValue)),
        _ => throw new InvalidOperationException($"Unknown q node {node.GetType().Name}"),
    };

    private static QValue? ExpandValue(QValue? value, Func<string, string> expandValue) => value switch
    {
        QSingle single => new QSingle(single.Literal.WithExpansion(expandValue)),
        QList list => new QList(list.Items.Select(i => i.WithExpansion(expandValue)).ToArray()),
        _ => value,
    };

    private static IEnumerable<QTerm> Terms(QNode node) => node switch
    {
        QAnd conjunction => conjunction.Children.SelectMany(Terms),
        QOr disjunction => disjunction.Children.SelectMany(Terms),
        QTerm term => [term],
        _ => [],
    };

    private static IndexableTerm[] ExtractConjunctiveTerms(QNode root)
    {
        var found = new List<IndexableTerm>();
        Collect(root);
        return [.. found];

        void Collect(QNode node)
        {
            switch (node)
            {
                case QAnd conjunction:
                    // Parentheses around an AND inside an AND change nothing: (a;b);c is a;b;c.
                    foreach (var child in conjunction.Children)
                    {
                        Collect(child);
                    }

                    break;
                case QTerm term when ToIndexable(term) is { } indexable:
                    found.Add(indexable);
                    break;
            }
        }
    }

    private static IndexableTerm? ToIndexable(QTerm term)
    {
        if (!term.Path.IsPlainAttribute)
        {
            return null;
        }

        var attribute = term.Path.Names[0];
        var op = term.Operator switch
        {
            QOperator.Equal => IndexableOperator.Equal,
            QOperator.NotEqual => IndexableOperator.NotEqual,
            QOperator.Less => IndexableOperator.Less,
            QOperator.LessOrEqual => IndexableOperator.LessOrEqual,
            QOperator.Greater => IndexableOperator.Greater,
            QOperator.GreaterOrEqual => IndexableOperator.GreaterOrEqual,
            _ => (IndexableOperator?)null,
        };
        if (op is not { } indexOp)
        {
            return null;
        }

        switch (term.Value)
        {
            case QSingle { Literal: var literal }:
                return Indexable(attribute, indexOp, [literal]);
            case QRange range when indexOp == IndexableOperator.Equal:
                return Indexable(attribute, IndexableOperator.Range, [range.Low, range.High]);
            case QList list when indexOp == IndexableOperator.Equal:
                return Indexable(attribute, IndexableOperator.AnyOf, list.Items);
            default:
                return null;
        }
    }

    /// <summary>Only numbers and text whose compared form is the written form: dates, booleans and expanded terms are left to <see cref="Matches"/>.</summary>
    private static IndexableTerm? Indexable(string attribute, IndexableOperator op, IReadOnlyList<QLiteral> literals)
    {
        if (literals.All(l => l.Kind == LiteralKind.Number))
        {
            return new IndexableTerm(attribute, op, true, literals.Select(l => l.Number).ToArray(), []);
        }

        var textual = literals.All(l => l.Kind == LiteralKind.String || (l.Kind == LiteralKind.Uri && l.ExpandedText == l.Text));
        return textual ? new IndexableTerm(attribute, op, false, [], literals.Select(l => l.Text).ToArray()) : null;
    }
}
