-- The visitors linked to another (merged_into set) are few: an index of those alone lets the
-- planner find them by the person they are linked to, where the index over every visitor,
-- nearly all empty there, looked to it like a scan of the table.
CREATE INDEX visitors_linked ON visitors (merged_into) WHERE merged_into <> '';
