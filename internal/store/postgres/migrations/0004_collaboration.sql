-- Working together: transfers, invitations, colleague rooms, searchable history.

-- Transfers: who handed a conversation to whom, and the note the new owner reads. The note is
-- for operators only; the visitor sees the system messages about who joined and left.
CREATE TABLE conversation_transfers (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    from_operator_id TEXT REFERENCES operators(id),
    to_operator_id   TEXT NOT NULL REFERENCES operators(id),
    by_operator_id   TEXT NOT NULL REFERENCES operators(id),
    note             TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL
);
CREATE INDEX conversation_transfers_conversation ON conversation_transfers (conversation_id, created_at);

-- Colleague rooms. A direct room has direct_key "<smaller id>:<larger id>", so there is at most
-- one between two operators; a group room has a name and none.
CREATE TABLE rooms (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    kind       TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    name       TEXT NOT NULL DEFAULT '',
    direct_key TEXT UNIQUE,
    created_by TEXT NOT NULL REFERENCES operators(id),
    last_seq   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX rooms_account ON rooms (account_id);

CREATE TABLE room_members (
    room_id       TEXT NOT NULL REFERENCES rooms(id),
    operator_id   TEXT NOT NULL REFERENCES operators(id),
    is_admin      SMALLINT NOT NULL DEFAULT 0,
    -- the highest seq the member has read: what is above it and not theirs is unread
    last_read_seq BIGINT NOT NULL DEFAULT 0,
    joined_at     BIGINT NOT NULL,
    PRIMARY KEY (room_id, operator_id)
);
CREATE INDEX room_members_operator ON room_members (operator_id);

CREATE TABLE room_messages (
    id            TEXT PRIMARY KEY,
    room_id       TEXT NOT NULL REFERENCES rooms(id),
    seq           BIGINT NOT NULL,
    author_id     TEXT NOT NULL REFERENCES operators(id),
    author_name   TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL,
    client_msg_id TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (room_id, seq),
    UNIQUE (room_id, author_id, client_msg_id)
);

-- Chat history search: the 'simple' configuration (lower-cased words, no stemming and no stop
-- words) matches what SQLite's FTS5 does, whatever the language of the chat.
CREATE INDEX messages_body_fts ON messages USING GIN (to_tsvector('simple', body));
