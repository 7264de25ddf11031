-- Live visitors: what the console shows of each visit, operator and proactive invitations,
-- visitors merged by e-mail.

-- A visit keeps where it came from, the device and place, and its latest page, so that the live
-- visitor list is one read per visitor.
ALTER TABLE visits ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN referrer TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN source_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN source_name TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN campaign TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN medium TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN device_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN os TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN browser TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN country_code TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN page_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visits ADD COLUMN page_url TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN page_title TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN page_since BIGINT NOT NULL DEFAULT 0;
-- The account that answers on the current page: on a portal's listing page, its advertiser.
ALTER TABLE visits ADD COLUMN page_account_id TEXT NOT NULL DEFAULT '';

-- A visitor found to be the same person as an earlier one (the same e-mail on another device)
-- points to it: operators see one history. Each device's token still leads to its own visitor,
-- so an e-mail typed into a widget never opens someone else's chats.
ALTER TABLE visitors ADD COLUMN merged_into TEXT NOT NULL DEFAULT '';
CREATE INDEX visitors_email ON visitors (account_id, email);
CREATE INDEX visitors_merged ON visitors (merged_into);

-- For the retention period of page views.
CREATE INDEX page_views_viewed ON page_views (viewed_at);

CREATE TABLE proactive_rules (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    pattern       TEXT NOT NULL,
    after_seconds INTEGER NOT NULL DEFAULT 0,
    after_pages   INTEGER NOT NULL DEFAULT 0,
    greeting      TEXT NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL
);
CREATE INDEX proactive_rules_account ON proactive_rules (account_id, created_at);

-- An invitation to chat: from an operator, or a proactive rule's greeting; shown, then accepted
-- (with the conversation it started) or declined.
CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id),
    visitor_id      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('operator', 'proactive')),
    rule_id         TEXT NOT NULL DEFAULT '',
    operator_id     TEXT NOT NULL DEFAULT '',
    message         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('shown', 'accepted', 'declined')),
    conversation_id TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    answered_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX invitations_visitor ON invitations (visitor_id, created_at);
CREATE INDEX invitations_account ON invitations (account_id, created_at);
