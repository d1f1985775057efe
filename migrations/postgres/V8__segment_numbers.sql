-- No change here: the SQLite store's table of postings segment numbers (see the SQLite file
-- of the same number) has no counterpart, since PostgreSQL keeps `statement_index (key_id, seq)`
-- unsegmented. The number is kept so both folders list the same migrations.
SELECT 1;
