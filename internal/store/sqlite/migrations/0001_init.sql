CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('website', 'portal', 'advertiser')),
    name            TEXT NOT NULL,
    key             TEXT NOT NULL UNIQUE,
    parent_id       TEXT REFERENCES accounts(id),
    external_id     TEXT,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    settings        TEXT NOT NULL DEFAULT '{}',
    locked          TEXT NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL,
    CHECK ((kind = 'advertiser') = (parent_id IS NOT NULL))
);
CREATE UNIQUE INDEX accounts_parent_external ON accounts (parent_id, external_id);

CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    status        TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
    photo_url     TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX operators_account ON operators (account_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE visitors (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX visitors_account ON visitors (account_id, last_seen_at);

CREATE TABLE visits (
    id         TEXT PRIMARY KEY,
    visitor_id TEXT NOT NULL REFERENCES visitors(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    started_at BIGINT NOT NULL,
    last_at    BIGINT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    language   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visits_visitor ON visits (visitor_id, started_at);

CREATE TABLE page_views (
    id         TEXT PRIMARY KEY,
    visit_id   TEXT NOT NULL REFERENCES visits(id),
    visitor_id TEXT NOT NULL REFERENCES visitors(id),
    url        TEXT NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    referrer   TEXT NOT NULL DEFAULT '',
    viewed_at  BIGINT NOT NULL
);
CREATE INDEX page_views_visit ON page_views (visit_id, viewed_at);

CREATE TABLE listings (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    external_id TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    UNIQUE (account_id, external_id)
);

CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    visitor_id  TEXT NOT NULL REFERENCES visitors(id),
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'closed')),
    owner_id    TEXT REFERENCES operators(id),
    listing_id  TEXT REFERENCES listings(id),
    category_id TEXT,
    flagged     INTEGER NOT NULL DEFAULT 0,
    meaningful  INTEGER NOT NULL DEFAULT 0,
    last_seq    BIGINT NOT NULL DEFAULT 0,
    -- the client_msg_id of the visitor's first message: starting twice with it is one conversation
    start_client_msg_id TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    claimed_at  BIGINT,
    closed_at   BIGINT
);
CREATE INDEX conversations_account_status ON conversations (account_id, status, created_at);
CREATE INDEX conversations_visitor ON conversations (visitor_id, created_at);
CREATE UNIQUE INDEX conversations_visitor_start ON conversations (visitor_id, start_client_msg_id);

CREATE TABLE conversation_participants (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    operator_id     TEXT NOT NULL REFERENCES operators(id),
    joined_at       BIGINT NOT NULL,
    left_at         BIGINT,
    PRIMARY KEY (conversation_id, operator_id)
);
CREATE INDEX conversation_participants_operator ON conversation_participants (operator_id);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
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

CREATE TABLE offline_messages (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    visitor_id TEXT,
    name       TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX offline_messages_account ON offline_messages (account_id, created_at);
