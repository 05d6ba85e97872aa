using CityOS.Context.Model;
using CityOS.Core;
using Microsoft.Data.Sqlite;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>Applies mutations inside the writer's transaction, each under its own savepoint.</summary>
internal sealed class SqliteEntityWriter
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _select;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _update;
    private readonly SqliteCommand _deleteEntity;
    private readonly SqliteCommand _deleteIndexes;
    private readonly SqliteCommand _insertType;
    private readonly SqliteCommand _insertAttr;
    private readonly SqliteCommand _insertValue;
    private readonly SqliteCommand _insertGeo;
    private readonly SqliteCommand _insertBox;
    private readonly SqliteCommand _insertChange;
    private readonly bool _journal;
    private readonly TimeProvider _time;
    private readonly SqliteCommand _savepoint;
    private readonly SqliteCommand _release;
    private readonly SqliteCommand _rollbackTo;

    public SqliteEntityWriter(SqliteConnection connection, bool journal, TimeProvider time)
    {
        _connection = connection;
        _journal = journal;
        _time = time;
        _insertChange = Command("INSERT INTO changes(entity_id, at, before, after) VALUES($id, $at, $before, $after)", "$id", "$at", "$before", "$after");
        _select = Command("SELECT rowid, doc FROM entities WHERE id = $id", "$id");
        _insert = Command("INSERT INTO entities(id, doc) VALUES($id, $doc) RETURNING rowid", "$id", "$doc");
        _update = Command("UPDATE entities SET doc = $doc WHERE rowid = $rowid", "$doc", "$rowid");
        _deleteEntity = Command("DELETE FROM entities WHERE rowid = $rowid", "$rowid");
        _deleteIndexes = Command("""
            DELETE FROM entity_types WHERE entity = $rowid;
            DELETE FROM entity_attrs WHERE entity = $rowid;
            DELETE FROM attr_values WHERE entity = $rowid;
            DELETE FROM geo_rtree WHERE id IN (SELECT id FROM geo_entries WHERE entity = $rowid);
            DELETE FROM geo_entries WHERE entity = $rowid;
            """, "$rowid");
        _insertType = Command("INSERT OR IGNORE INTO entity_types(type, entity) VALUES($type, $rowid)", "$type", "$rowid");
        _insertAttr = Command("INSERT OR IGNORE INTO entity_attrs(attr, entity, kind) VALUES($attr, $rowid, $kind)", "$attr", "$rowid", "$kind");
        _insertValue = Command("INSERT INTO attr_values(entity, attr, num, txt) VALUES($rowid, $attr, $num, $txt)", "$rowid", "$attr", "$num", "$txt");
        _insertGeo = Command("INSERT INTO geo_entries(entity, attr) VALUES($rowid, $attr) RETURNING id", "$rowid", "$attr");
        _insertBox = Command("INSERT INTO geo_rtree(id, minx, maxx, miny, maxy) VALUES($id, $minx, $maxx, $miny, $maxy)", "$id", "$minx", "$maxx", "$miny", "$maxy");
        _savepoint = Command("SAVEPOINT mutation");
        _release = Command("RELEASE mutation");
        _rollbackTo = Command("ROLLBACK TO mutation; RELEASE mutation");
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }

    public void Begin(SqliteTransaction transaction)
    {
        foreach (var command in new[] { _insertChange, _select, _insert, _update, _deleteEntity, _deleteIndexes, _insertType, _insertAttr, _insertValue, _insertGeo, _insertBox, _savepoint, _release, _rollbackTo })
        {
            command.Transaction = transaction;
        }
    }

    public MutationResult Apply(EntityMutation mutation)
    {
        _savepoint.ExecuteNonQuery();
        try
        {
            var (rowid, before, beforeDocument) = Load(mutation.EntityId);
            var outcome = mutation.Apply(before?.Clone());
            MutationResult result;
            switch (outcome)
            {
                case MutationOutcome.Save save:
                    var document = EntityDocument.Serialize(save.Entity);
                    if (rowid is { } existing)
                    {
                        Set(_update, document, existing);
                        _update.ExecuteNonQuery();
                        ClearIndexes(existing);
                        Index(existing, save.Entity);
                    }
                    else
                    {
                        Set(_insert, save.Entity.Id, document);
                        Index(Convert.ToInt64(_insert.ExecuteScalar()), save.Entity);
                    }
                    Journal(mutation.EntityId, beforeDocument, document);
                    result = new MutationResult(mutation.EntityId, before, save.Entity, null);
                    break;
                case MutationOutcome.Delete when rowid is { } doomed:
                    Set(_deleteEntity, doomed);
                    _deleteEntity.ExecuteNonQuery();
                    ClearIndexes(doomed);
                    Journal(mutation.EntityId, beforeDocument, null);
                    result = new MutationResult(mutation.EntityId, before, null, null);
                    break;
                case MutationOutcome.Fail fail:
                    _rollbackTo.ExecuteNonQuery();
                    return new MutationResult(mutation.EntityId, before, before, fail.Error);
                default:
                    result = new MutationResult(mutation.EntityId, before, before, null);
                    break;
            }
            _release.ExecuteNonQuery();
            return result;
        }
        catch (NgsiLdException error)
        {
            _rollbackTo.ExecuteNonQuery();
            return new MutationResult(mutation.EntityId, null, null, error);
        }
        catch (Exception) when (RollBack())
        {
            throw;
        }
    }

    private bool RollBack()
    {
        _rollbackTo.ExecuteNonQuery();
        return false;
    }

    private (long? RowId, Entity? Entity, byte[]? Document) Load(string id)
    {
        Set(_select, id);
        using var reader = _select.ExecuteReader();
        if (!reader.Read()) return (null, null, null);
        var document = (byte[])reader[1];
        return (reader.GetInt64(0), EntityDocument.Deserialize(document), document);
    }

    /// <summary>The change journal row, in the same transaction as the change: the outbox of every change consumer.</summary>
    private void Journal(string id, byte[]? before, byte[]? after)
    {
        if (!_journal) return;
        Set(_insertChange, id, _time.GetUtcNow().ToUnixTimeMilliseconds(), before, after);
        _insertChange.ExecuteNonQuery();
    }

    private void ClearIndexes(long rowid)
    {
        Set(_deleteIndexes, rowid);
        _deleteIndexes.ExecuteNonQuery();
    }

    private void Index(long rowid, Entity entity)
    {
        foreach (var type in entity.Types)
        {
            Set(_insertType, type, rowid);
            _insertType.ExecuteNonQuery();
        }
        foreach (var (attribute, kind) in EntityIndexEntries.Attributes(entity))
        {
            Set(_insertAttr, attribute, rowid, (int)kind);
            _insertAttr.ExecuteNonQuery();
        }
        foreach (var scalar in EntityIndexEntries.Scalars(entity))
        {
            Set(_insertValue, rowid, scalar.Attribute, (object?)scalar.Number ?? DBNull.Value, (object?)scalar.Text ?? DBNull.Value);
            _insertValue.ExecuteNonQuery();
        }
        foreach (var geo in EntityIndexEntries.GeoBoxes(entity))
        {
            Set(_insertGeo, rowid, geo.Attribute);
            var id = Convert.ToInt64(_insertGeo.ExecuteScalar());
            Set(_insertBox, id, geo.Box.MinX, geo.Box.MaxX, geo.Box.MinY, geo.Box.MaxY);
            _insertBox.ExecuteNonQuery();
        }
    }

    private static void Set(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
    }
}
