-- Operator profiles: what an operator sets about themselves.
ALTER TABLE operators ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE operators ADD COLUMN transcript_email TEXT NOT NULL DEFAULT '';
ALTER TABLE operators ADD COLUMN notify_colleague_pickup SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE operators ADD COLUMN alert_sound SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE operators ADD COLUMN deleted_at BIGINT;

-- Operator photos live in the database, so that every node can serve them.
CREATE TABLE operator_photos (
    id           TEXT PRIMARY KEY,
    operator_id  TEXT NOT NULL REFERENCES operators(id),
    content_type TEXT NOT NULL,
    data         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX operator_photos_operator ON operator_photos (operator_id);

-- Active operator seats: one row per operator and calendar month (UTC, 'YYYY-MM') in which
-- they signed in or wrote a message. The basis of a bill.
CREATE TABLE operator_activity (
    operator_id TEXT NOT NULL REFERENCES operators(id),
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    month       TEXT NOT NULL,
    PRIMARY KEY (operator_id, month)
);
CREATE INDEX operator_activity_account ON operator_activity (account_id, month);

-- Canned responses: operator_id is '' for the account's own, else the operator whose they are.
-- A shortcut is unique within its scope.
CREATE TABLE canned_responses (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    operator_id TEXT NOT NULL DEFAULT '',
    shortcut    TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX canned_responses_scope_shortcut ON canned_responses (account_id, operator_id, shortcut);

-- Routing rules, tried in position order: a page URL pattern and the operators it routes to.
CREATE TABLE routing_rules (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    pattern    TEXT NOT NULL,
    position   BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX routing_rules_account ON routing_rules (account_id, position);

CREATE TABLE routing_rule_operators (
    rule_id     TEXT NOT NULL REFERENCES routing_rules(id) ON DELETE CASCADE,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (rule_id, operator_id)
);
CREATE INDEX routing_rule_operators_operator ON routing_rule_operators (operator_id);

-- The operators a conversation was routed to when it started; none means everyone.
CREATE TABLE conversation_routes (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    operator_id     TEXT NOT NULL REFERENCES operators(id),
    PRIMARY KEY (conversation_id, operator_id)
);
CREATE INDEX conversation_routes_operator ON conversation_routes (operator_id);
