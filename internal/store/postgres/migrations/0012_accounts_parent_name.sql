-- The portal admins' list of advertisers goes by name, in any case, a page at a time: with
-- tens of thousands of advertisers, sorting them all for every page is what this index spares.
CREATE INDEX accounts_parent_name ON accounts (parent_id, LOWER(name), id);
