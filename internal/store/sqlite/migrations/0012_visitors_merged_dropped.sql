-- visitors_linked (0008) holds the visitors linked to another, the only ones a query looks up by
-- merged_into; this index over every visitor took an entry for each new visitor, nearly all empty.
DROP INDEX visitors_merged;
