-- A page view's insert takes its visit_id and visitor_id from the visit row it selects, and
-- nothing deletes visits or visitors, so the two foreign keys of page_views could only catch a
-- bug; each insert paid for them with two referential checks, each locking the visit's or the
-- visitor's row FOR KEY SHARE. Without them PostgreSQL stores about 18 % more page views a
-- second on the benchmark machine (docs/benchmarks.md, round sixteen).
ALTER TABLE page_views DROP CONSTRAINT page_views_visit_id_fkey, DROP CONSTRAINT page_views_visitor_id_fkey;
