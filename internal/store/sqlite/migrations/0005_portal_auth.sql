-- Portal sign-in: the portal's external authentication and its health.

-- One row per portal that set up external authentication. The access key is the portal's secret
-- for its server; it is written, never shown again.
CREATE TABLE portal_auth (
    portal_id       TEXT PRIMARY KEY REFERENCES accounts(id),
    enabled         SMALLINT NOT NULL DEFAULT 0,
    url             TEXT NOT NULL DEFAULT '',
    access_key      TEXT NOT NULL DEFAULT '',
    admin_email     TEXT NOT NULL DEFAULT '',
    issues_tokens   SMALLINT NOT NULL DEFAULT 0,
    last_success_at BIGINT,
    updated_at      BIGINT NOT NULL
);

-- Problems met talking to the portal's server; mailed marks the ones e-mailed to the portal's
-- admin, which rate-limits that mail per kind.
CREATE TABLE portal_auth_problems (
    id         TEXT PRIMARY KEY,
    portal_id  TEXT NOT NULL REFERENCES accounts(id),
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    mailed     SMALLINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX portal_auth_problems_portal ON portal_auth_problems (portal_id, kind, created_at);

-- An operator signed in by a portal is known by the portal's user name within its advertiser.
ALTER TABLE operators ADD COLUMN external_username TEXT;
CREATE UNIQUE INDEX operators_external_username ON operators (account_id, external_username);

-- The portal's token of a Portico session, sent back with LogOut.
CREATE TABLE portal_sessions (
    token_hash   TEXT PRIMARY KEY REFERENCES sessions(token_hash) ON DELETE CASCADE,
    portal_id    TEXT NOT NULL REFERENCES accounts(id),
    portal_token TEXT NOT NULL DEFAULT ''
);
