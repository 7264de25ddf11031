-- A page view sets its visitor's last_seen_at. With last_seen_at in an index, PostgreSQL could
-- not update the row in place (a HOT update): every page view wrote a new entry into each of
-- the visitor's indexes. No query looks visitors up by last_seen_at, and visitors_email
-- (account_id, email) serves a look-up by account as well. Free room in each page (fillfactor)
-- lets the rows updated on every page view, visitors and visits, be updated within their page.
DROP INDEX visitors_account;
ALTER TABLE visitors SET (fillfactor = 80);
ALTER TABLE visits SET (fillfactor = 80);
