-- 1. Segmented postings: no change here. The SQLite store partitions its postings by ranges of
--    seq to bound the pages each commit dirties (see the SQLite file of the same number).
--    PostgreSQL writes a page image to its WAL only at the first change after a checkpoint
--    and runs inserts from many sessions; its store keeps `statement_index (key_id, seq)`.

-- 2. A key of its own for each statement's authority (index kind 7), which
--    `statements/read/mine` filters on. It is not copied along StatementRefs (the store's
--    inheritance query skips kind 7). The key text is xapi_model::ifi::ifi_key of the
--    authority. PostgreSQL's JSON operators refuse a \u0000 escape anywhere in the text, and a
--    statement may legally hold one (in an extension, say): it becomes \u0020 for this
--    extraction only.
CREATE TEMP TABLE authority_keys ON COMMIT DROP AS
    SELECT seq,
        CASE
            WHEN au ->> 'mbox' IS NOT NULL THEN 'mbox:' ||
                CASE WHEN lower(left(au ->> 'mbox', 7)) = 'mailto:'
                     THEN 'mailto:' || substr(au ->> 'mbox', 8)
                     ELSE au ->> 'mbox' END
            WHEN au ->> 'mbox_sha1sum' IS NOT NULL THEN 'mbox_sha1sum:' || lower(au ->> 'mbox_sha1sum')
            WHEN au ->> 'openid' IS NOT NULL THEN 'openid:' || (au ->> 'openid')
            WHEN au #>> '{account,homePage}' IS NOT NULL AND au #>> '{account,name}' IS NOT NULL
                THEN 'account:' || (au #>> '{account,homePage}') || ' ' || (au #>> '{account,name}')
        END AS value
    FROM (SELECT seq, replace(json, E'\\u0000', E'\\u0020')::json -> 'authority' AS au
          FROM statements) s;

INSERT INTO index_keys (kind, value)
    SELECT DISTINCT 7, value FROM authority_keys WHERE value IS NOT NULL
    ON CONFLICT DO NOTHING;

INSERT INTO statement_index (key_id, seq)
    SELECT k.id, a.seq FROM authority_keys a JOIN index_keys k ON k.kind = 7 AND k.value = a.value
    ON CONFLICT DO NOTHING;

UPDATE index_keys k SET postings = c.n
    FROM (SELECT si.key_id, count(*) AS n
          FROM statement_index si JOIN index_keys kk ON kk.id = si.key_id AND kk.kind = 7
          GROUP BY si.key_id) c
    WHERE k.id = c.key_id;
