-- A message's id had a unique index of its own (the table's PRIMARY KEY): a page that every
-- message's commit wrote to the WAL beside the table's, its (conversation_id, seq) index's and
-- its idempotency key's, 6.1 pages a message down to 4.9 without it (BenchmarkAppendMessage).
-- No query looks a message up by its id alone, and ids are made by Portico (the time and 64
-- random bits), never taken from a client, so they stay unique without an index to check it.
-- SQLite cannot drop a primary key, so the table is copied, each row keeping its rowid: the
-- search index's watermark (0011) counts rowids. DROP TABLE drops the table's triggers; they are
-- made again as they were.
CREATE TABLE messages_copy (
    id              TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             BIGINT NOT NULL,
    author_type     TEXT NOT NULL CHECK (author_type IN ('visitor', 'operator', 'system')),
    author_id       TEXT NOT NULL,
    author_name     TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    client_msg_id   TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, author_type, author_id, client_msg_id)
);
INSERT INTO messages_copy (rowid, id, conversation_id, seq, author_type, author_id, author_name, body, client_msg_id, created_at)
    SELECT rowid, id, conversation_id, seq, author_type, author_id, author_name, body, client_msg_id, created_at FROM messages ORDER BY rowid;
DROP TABLE messages;
ALTER TABLE messages_copy RENAME TO messages;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE conversation_id = old.conversation_id AND seq = old.seq;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    DELETE FROM messages_fts WHERE conversation_id = old.conversation_id AND seq = old.seq;
    INSERT INTO messages_fts (body, conversation_id, seq)
        SELECT new.body, new.conversation_id, new.seq FROM messages_fts_indexed WHERE new.rowid <= last_rowid;
END;
CREATE TRIGGER messages_fts_watermark_delete AFTER DELETE ON messages BEGIN
    UPDATE messages_fts_indexed SET last_rowid = (SELECT COALESCE(MAX(rowid), 0) FROM messages)
        WHERE last_rowid > (SELECT COALESCE(MAX(rowid), 0) FROM messages);
END;
