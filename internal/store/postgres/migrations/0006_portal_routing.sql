-- Portal routing: listing agents, backup operators, settings locks.

-- The operators responsible for a listing ("the listing agent"); none means the whole advertiser.
CREATE TABLE listing_operators (
    listing_id  TEXT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    operator_id TEXT NOT NULL,
    PRIMARY KEY (listing_id, operator_id)
);

-- A portal's backup operators take the chats of advertisers who have nobody available.
CREATE TABLE portal_backup (
    account_id   TEXT PRIMARY KEY REFERENCES accounts(id),
    enabled      INTEGER NOT NULL DEFAULT 0,
    operator_ids TEXT NOT NULL DEFAULT '[]'
);
