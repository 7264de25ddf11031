-- New and edited messages wait here for the search index, which the store fills a batch at a
-- time (sqlite.dialect.IndexWaiting) rather than a trigger one message at a time. Deletes still
-- go straight to the index.
CREATE TABLE messages_fts_waiting (message_id TEXT PRIMARY KEY) WITHOUT ROWID;
DROP TRIGGER messages_fts_insert;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO messages_fts_waiting (message_id) VALUES (new.id);
END;
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    DELETE FROM messages_fts WHERE conversation_id = old.conversation_id AND seq = old.seq;
    INSERT OR IGNORE INTO messages_fts_waiting (message_id) VALUES (new.id);
END;
