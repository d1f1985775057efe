-- The numbers of the postings segments that hold statements (`seq >> 14`, see V2), one row
-- each. A filtered query walks its segments in one SQL statement, this table as the outer loop
-- and the postings of each segment as the inner one: both are read in the query's order, so
-- SQLite returns rows already sorted and stops at the LIMIT, with no sorting and no statement
-- run per segment. The writer adds the segment of each statement it inserts.
CREATE TABLE segments (
    seg INTEGER PRIMARY KEY
);

WITH RECURSIVE n(seg) AS (
    SELECT 0
    UNION ALL
    SELECT seg + 1 FROM n WHERE seg < (SELECT coalesce(max(seq), 0) >> 14 FROM statements)
)
INSERT INTO segments (seg) SELECT seg FROM n;
