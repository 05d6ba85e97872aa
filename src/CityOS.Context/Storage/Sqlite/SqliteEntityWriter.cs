using CityOS.Context.Model;
using Microsoft.Data.Sqlite;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>
/// Applies mutations inside the writer's transaction, each under its own savepoint so one failing
/// mutation rolls back alone. Runs on the single writer thread, on raw prepared statements.
/// </summary>
internal sealed class SqliteEntityWriter : IDisposable
{
    private readonly RawStatement _select;
    private readonly RawStatement _insert;
    private readonly RawStatement _update;
    private readonly RawStatement _deleteEntity;
    private readonly RawStatement _insertType;
    private readonly RawStatement _deleteType;
    private readonly RawStatement _insertAttr;
    private readonly RawStatement _deleteAttr;
    private readonly RawStatement _insertNumber;
    private readonly RawStatement _deleteNumber;
    private readonly RawStatement _insertText;
    private readonly RawStatement _deleteText;
    private readonly RawStatement _insertMulti;
    private readonly RawStatement _deleteMulti;
    private readonly RawStatement _insertBox;
    private readonly RawStatement _deleteBox;
    private readonly RawStatement _insertChange;
    private readonly RawStatement _savepoint;
    private readonly RawStatement _release;
    private readonly RawStatement _rollbackTo;
    private readonly bool _journal;
    private readonly TimeProvider _time;

    /// <summary>The changes journaled in the transaction in progress, for the <see cref="JournalCache"/> once it commits.</summary>
    public List<JournalCache.Entry> Journaled { get; } = [];

    public SqliteEntityWriter(SqliteConnection connection, bool journal, TimeProvider time)
    {
        _journal = journal;
        _time = time;
        RawStatement Prepare(string sql) => new(connection, sql);
        _select = Prepare("SELECT rowid, doc FROM entities WHERE id = ?1");
        _insert = Prepare("INSERT INTO entities(id, doc) VALUES(?1, ?2)");
        _update = Prepare("UPDATE entities SET doc = ?1 WHERE rowid = ?2");
        _deleteEntity = Prepare("DELETE FROM entities WHERE rowid = ?1");
        _insertType = Prepare("INSERT OR IGNORE INTO entity_types(type, entity) VALUES(?1, ?2)");
        _deleteType = Prepare("DELETE FROM entity_types WHERE type = ?1 AND entity = ?2");
        _insertAttr = Prepare("INSERT OR IGNORE INTO entity_attrs(attr, entity, kind) VALUES(?1, ?2, ?3)");
        _deleteAttr = Prepare("DELETE FROM entity_attrs WHERE attr = ?1 AND entity = ?2");
        _insertNumber = Prepare("INSERT OR IGNORE INTO attr_numbers(attr, num, entity) VALUES(?1, ?2, ?3)");
        _deleteNumber = Prepare("DELETE FROM attr_numbers WHERE attr = ?1 AND num = ?2 AND entity = ?3");
        _insertText = Prepare("INSERT OR IGNORE INTO attr_texts(attr, txt, entity) VALUES(?1, ?2, ?3)");
        _deleteText = Prepare("DELETE FROM attr_texts WHERE attr = ?1 AND txt = ?2 AND entity = ?3");
        _insertMulti = Prepare("INSERT OR IGNORE INTO attr_multi(attr, entity) VALUES(?1, ?2)");
        _deleteMulti = Prepare("DELETE FROM attr_multi WHERE attr = ?1 AND entity = ?2");
        _insertBox = Prepare("INSERT INTO geo_rtree(id, minx, maxx, miny, maxy, entity, attr, x, y, types) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
        _deleteBox = Prepare("DELETE FROM geo_rtree WHERE id = ?1");
        _insertChange = Prepare("INSERT INTO changes(entity_id, at, before, after) VALUES(?1, ?2, ?3, ?4)");
        _savepoint = Prepare("SAVEPOINT mutation");
        _release = Prepare("RELEASE mutation");
        _rollbackTo = Prepare("ROLLBACK TO mutation");
    }

    public MutationResult Apply(EntityMutation mutation)
    {
        _savepoint.Execute();
        try
        {
            var (rowid, before, beforeDocument) = Load(mutation.EntityId);
            var outcome = mutation.Decide(before?.Clone());
            MutationResult result;
            JournalCache.Entry? journaled = null;
            switch (outcome)
            {
                case MutationOutcome.Save save:
                    var document = EntityDocument.Serialize(save.Entity);
                    if (rowid is { } existing)
                    {
                        _update.Bind(1, document).Bind(2, existing).Execute();
                        Reindex(existing, before!, save.Entity);
                    }
                    else
                    {
                        _insert.Bind(1, save.Entity.Id).Bind(2, document).Execute();
                        Index(_insert.LastInsertRowId, save.Entity);
                    }
                    journaled = Journal(mutation.EntityId, beforeDocument, document, before, save.Entity);
                    result = new MutationResult(mutation.EntityId, before, save.Entity, null);
                    break;
                case MutationOutcome.Delete when rowid is { } doomed:
                    _deleteEntity.Bind(1, doomed).Execute();
                    ClearIndexes(doomed, before!);
                    journaled = Journal(mutation.EntityId, beforeDocument, null, before, null);
                    result = new MutationResult(mutation.EntityId, before, null, null);
                    break;
                case MutationOutcome.Fail fail:
                    RollBack();
                    return new MutationResult(mutation.EntityId, before, before, fail.Error);
                default:
                    result = new MutationResult(mutation.EntityId, before, before, null);
                    break;
            }
            _release.Execute();
            if (journaled is not null) Journaled.Add(journaled);
            return result;
        }
        catch (Exception) when (RollBackAndContinue())
        {
            throw;
        }
    }

    private void RollBack()
    {
        _rollbackTo.Execute();
        _release.Execute();
    }

    private bool RollBackAndContinue()
    {
        RollBack();
        return false;
    }

    private (long? RowId, Entity? Entity, byte[]? Document) Load(string id)
    {
        try
        {
            if (!_select.Bind(1, id).Step()) return (null, null, null);
            var document = _select.Blob(1).ToArray();
            return (_select.Int64(0), EntityDocument.Deserialize(document), document);
        }
        finally
        {
            _select.Reset();
        }
    }

    /// <summary>The change journal row, in the same transaction as the change: the outbox of every change consumer.</summary>
    private JournalCache.Entry? Journal(string id, byte[]? before, byte[]? after, Entity? beforeEntity, Entity? afterEntity)
    {
        if (!_journal) return null;
        var at = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _insertChange.Bind(1, id).Bind(2, at)
            .Bind(3, before, isNull: before is null).Bind(4, after, isNull: after is null).Execute();
        return new JournalCache.Entry(_insertChange.LastInsertRowId, id, at, beforeEntity, afterEntity);
    }

    // R*Tree ids of an entity's boxes: its rowid times this, plus the box's ordinal, so they can be deleted by key.
    private const long BoxesPerEntity = 1 << 16;

    /// <summary>Separates the entity's types in the R*Tree's types column (a character no IRI contains).</summary>
    public const char TypeSeparator = '\u001f';

    private void ClearIndexes(long rowid, Entity indexed)
    {
        foreach (var type in indexed.Types) _deleteType.Bind(1, type).Bind(2, rowid).Execute();
        foreach (var (attribute, _) in EntityIndexEntries.Attributes(indexed)) _deleteAttr.Bind(1, attribute).Bind(2, rowid).Execute();
        var several = new EntityIndexEntries.SeveralNumbers();
        foreach (var scalar in EntityIndexEntries.Scalars(indexed))
        {
            if (several.Add(scalar) is { } multi) _deleteMulti.Bind(1, multi).Bind(2, rowid).Execute();
            if (scalar.Number is { } number) _deleteNumber.Bind(1, scalar.Attribute).Bind(2, number).Bind(3, rowid).Execute();
            else _deleteText.Bind(1, scalar.Attribute).Bind(2, scalar.Text).Bind(3, rowid).Execute();
        }
        var boxes = EntityIndexEntries.GeoBoxes(indexed).Count();
        for (var ordinal = 0; ordinal < boxes; ordinal++) _deleteBox.Bind(1, rowid * BoxesPerEntity + ordinal).Execute();
    }

    /// <summary>
    /// Moves the index rows of an updated entity from its old to its new state, touching only what changed:
    /// an update of one value rewrites one value row, and an unchanged location leaves the R*Tree alone.
    /// </summary>
    private void Reindex(long rowid, Entity before, Entity after)
    {
        foreach (var type in before.Types.Except(after.Types)) _deleteType.Bind(1, type).Bind(2, rowid).Execute();
        foreach (var type in after.Types.Except(before.Types)) _insertType.Bind(1, type).Bind(2, rowid).Execute();

        var oldAttributes = EntityIndexEntries.Attributes(before).ToDictionary(a => a.Attribute, a => a.Kind, StringComparer.Ordinal);
        foreach (var (attribute, kind) in EntityIndexEntries.Attributes(after))
        {
            if (oldAttributes.Remove(attribute, out var oldKind))
            {
                if (oldKind == kind) continue;
                _deleteAttr.Bind(1, attribute).Bind(2, rowid).Execute();
            }
            _insertAttr.Bind(1, attribute).Bind(2, rowid).Bind(3, (long)kind).Execute();
        }
        foreach (var attribute in oldAttributes.Keys) _deleteAttr.Bind(1, attribute).Bind(2, rowid).Execute();

        var oldScalars = ScalarsOf(before, out var oldMulti);
        var newScalars = ScalarsOf(after, out var newMulti);
        foreach (var attribute in oldMulti ?? [])
        {
            if (newMulti?.Contains(attribute) != true) _deleteMulti.Bind(1, attribute).Bind(2, rowid).Execute();
        }
        foreach (var attribute in newMulti ?? [])
        {
            if (oldMulti?.Contains(attribute) != true) _insertMulti.Bind(1, attribute).Bind(2, rowid).Execute();
        }
        foreach (var scalar in oldScalars)
        {
            if (newScalars.Contains(scalar)) continue;
            if (scalar.Number is { } number) _deleteNumber.Bind(1, scalar.Attribute).Bind(2, number).Bind(3, rowid).Execute();
            else _deleteText.Bind(1, scalar.Attribute).Bind(2, scalar.Text).Bind(3, rowid).Execute();
        }
        foreach (var scalar in newScalars)
        {
            if (oldScalars.Contains(scalar)) continue;
            if (scalar.Number is { } number) _insertNumber.Bind(1, scalar.Attribute).Bind(2, number).Bind(3, rowid).Execute();
            else _insertText.Bind(1, scalar.Attribute).Bind(2, scalar.Text).Bind(3, rowid).Execute();
        }

        var oldBoxes = EntityIndexEntries.GeoBoxes(before).Take((int)BoxesPerEntity).ToList();
        var newBoxes = EntityIndexEntries.GeoBoxes(after).Take((int)BoxesPerEntity).ToList();
        if (oldBoxes.SequenceEqual(newBoxes) && (newBoxes.Count == 0 || before.Types.SequenceEqual(after.Types))) return;
        for (var ordinal = 0; ordinal < oldBoxes.Count; ordinal++) _deleteBox.Bind(1, rowid * BoxesPerEntity + ordinal).Execute();
        InsertBoxes(rowid, after, newBoxes);
    }

    /// <summary>The entity's scalars, and the attributes of which it holds several numbers (null when none).</summary>
    private static HashSet<EntityIndexEntries.ScalarValue> ScalarsOf(Entity entity, out List<string>? several)
    {
        var scalars = new HashSet<EntityIndexEntries.ScalarValue>();
        var tracker = new EntityIndexEntries.SeveralNumbers();
        several = null;
        foreach (var scalar in EntityIndexEntries.Scalars(entity))
        {
            scalars.Add(scalar);
            if (tracker.Add(scalar) is { } multi) (several ??= []).Add(multi);
        }
        return scalars;
    }

    private void Index(long rowid, Entity entity)
    {
        foreach (var type in entity.Types) _insertType.Bind(1, type).Bind(2, rowid).Execute();
        foreach (var (attribute, kind) in EntityIndexEntries.Attributes(entity)) _insertAttr.Bind(1, attribute).Bind(2, rowid).Bind(3, (long)kind).Execute();
        var several = new EntityIndexEntries.SeveralNumbers();
        foreach (var scalar in EntityIndexEntries.Scalars(entity))
        {
            if (several.Add(scalar) is { } multi) _insertMulti.Bind(1, multi).Bind(2, rowid).Execute();
            if (scalar.Number is { } number) _insertNumber.Bind(1, scalar.Attribute).Bind(2, number).Bind(3, rowid).Execute();
            else _insertText.Bind(1, scalar.Attribute).Bind(2, scalar.Text).Bind(3, rowid).Execute();
        }
        InsertBoxes(rowid, entity, EntityIndexEntries.GeoBoxes(entity).Take((int)BoxesPerEntity));
    }

    private void InsertBoxes(long rowid, Entity entity, IEnumerable<EntityIndexEntries.GeoBox> boxes)
    {
        var ordinal = 0;
        var types = string.Join(TypeSeparator, entity.Types);
        foreach (var geo in boxes)
        {
            _insertBox.Bind(1, rowid * BoxesPerEntity + ordinal++)
                .Bind(2, geo.Box.MinX).Bind(3, geo.Box.MaxX).Bind(4, geo.Box.MinY).Bind(5, geo.Box.MaxY)
                .Bind(6, rowid).Bind(7, geo.Attribute).Bind(8, geo.IsPoint ? geo.Box.MinX : null).Bind(9, geo.IsPoint ? geo.Box.MinY : null).Bind(10, types)
                .Execute();
        }
    }

    public void Dispose()
    {
        foreach (var statement in new[] { _select, _insert, _update, _deleteEntity, _insertType, _deleteType, _insertAttr, _deleteAttr, _insertNumber, _deleteNumber, _insertText, _deleteText, _insertMulti, _deleteMulti, _insertBox, _deleteBox, _insertChange, _savepoint, _release, _rollbackTo })
        {
            statement.Dispose();
        }
    }
}
