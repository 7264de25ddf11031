-- Mail: the outbox and categories.

-- Categories sort closed chats; closing a chat with a category e-mails its transcript there.
CREATE TABLE categories (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX categories_account_name ON categories (account_id, name);

-- The outbox: every e-mail, written in the same transaction as the change that causes it, and
-- sent by a worker on any node. A worker claims a due row by moving next_attempt_at forward
-- (compare-and-set on its old value), so a row is sent by one worker at a time.
CREATE TABLE outbox (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL,
    account_id         TEXT NOT NULL REFERENCES accounts(id),
    recipient          TEXT NOT NULL,
    conversation_id    TEXT REFERENCES conversations(id),
    offline_message_id TEXT REFERENCES offline_messages(id),
    params             TEXT NOT NULL DEFAULT '{}',
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    BIGINT NOT NULL,
    last_error         TEXT NOT NULL DEFAULT '',
    sent_at            BIGINT,
    failed_at          BIGINT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_conversation ON outbox (conversation_id, created_at);
CREATE INDEX outbox_recipient ON outbox (lower(recipient), created_at);

-- Who gets offline messages by e-mail; when nobody is chosen, the account's admins do.
ALTER TABLE operators ADD COLUMN receives_offline_messages SMALLINT NOT NULL DEFAULT 0;
