-- The search index is filled from messages in rowid order up to a watermark (the last rowid
-- indexed) instead of from the queue of 0009: queueing a message's id wrote a page of its own in
-- every message's commit, and the indexing a second time to take it off the queue.
-- Rowids only grow while messages are not deleted (Portico deletes none, so a VACUUM keeps them
-- too); a deleted message lowers the watermark below, so that a rowid SQLite hands out again is
-- still indexed.
INSERT INTO messages_fts (body, conversation_id, seq)
    SELECT m.body, m.conversation_id, m.seq FROM messages_fts_waiting w JOIN messages m ON m.id = w.message_id;
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts_waiting;
CREATE TABLE messages_fts_indexed (
    only_row   INTEGER PRIMARY KEY CHECK (only_row = 1),
    last_rowid INTEGER NOT NULL
);
INSERT INTO messages_fts_indexed (only_row, last_rowid) SELECT 1, COALESCE(MAX(rowid), 0) FROM messages;
-- An edited message already indexed is indexed again at once (edits are rare); one past the
-- watermark is indexed with its new body when the watermark passes it.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    DELETE FROM messages_fts WHERE conversation_id = old.conversation_id AND seq = old.seq;
    INSERT INTO messages_fts (body, conversation_id, seq)
        SELECT new.body, new.conversation_id, new.seq FROM messages_fts_indexed WHERE new.rowid <= last_rowid;
END;
CREATE TRIGGER messages_fts_watermark_delete AFTER DELETE ON messages BEGIN
    UPDATE messages_fts_indexed SET last_rowid = (SELECT COALESCE(MAX(rowid), 0) FROM messages)
        WHERE last_rowid > (SELECT COALESCE(MAX(rowid), 0) FROM messages);
END;
