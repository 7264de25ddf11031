-- A page view sets its visitor's last_seen_at, which was in this index: every page view moved
-- the visitor's entry in it. No query looks visitors up by last_seen_at, and visitors_email
-- (account_id, email) serves a look-up by account as well.
DROP INDEX visitors_account;
