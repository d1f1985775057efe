-- 1. Postings partitioned by time. `seg` is `seq >> 14`: each segment holds the postings of
--    16,384 consecutive statements (SEGMENT_BITS in lrs-store-sqlite must match).
--
--    With the primary key (key_id, seq), every posting of a new statement landed on a random
--    page of one large B-tree: once the store held about a million statements, a commit dirtied
--    about one page per posting, and each dirty page is written twice (WAL, then checkpoint).
--    That was tens of kilobytes of writes per statement, growing with the store. With `seg`
--    first, new postings land in the small region of the newest segment whatever the store's
--    size. A query walks the segments of its seq range in order, one B-tree seek each.
CREATE TABLE postings (
    seg    INTEGER NOT NULL,
    key_id INTEGER NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (seg, key_id, seq)
) WITHOUT ROWID;

INSERT INTO postings (seg, key_id, seq)
    SELECT seq >> 14, key_id, seq FROM statement_index ORDER BY seq >> 14, key_id, seq;

DROP TABLE statement_index;

-- 2. A key of its own for each statement's authority (index kind 7), which
--    `statements/read/mine` filters on. Unlike the other keys it is not copied along
--    StatementRefs, so the `postings` column of `statements` never holds it. The key text is
--    xapi_model::ifi::ifi_key of the authority.
CREATE TEMP TABLE authority_keys AS
    SELECT seq,
        CASE
            WHEN mbox IS NOT NULL THEN 'mbox:' ||
                CASE WHEN lower(substr(mbox, 1, 7)) = 'mailto:' THEN 'mailto:' || substr(mbox, 8)
                     ELSE mbox END
            WHEN sha1 IS NOT NULL THEN 'mbox_sha1sum:' || lower(sha1)
            WHEN openid IS NOT NULL THEN 'openid:' || openid
            WHEN home_page IS NOT NULL AND name IS NOT NULL
                THEN 'account:' || home_page || ' ' || name
        END AS value
    FROM (
        SELECT seq,
            json_extract(json, '$.authority.mbox') AS mbox,
            json_extract(json, '$.authority.mbox_sha1sum') AS sha1,
            json_extract(json, '$.authority.openid') AS openid,
            json_extract(json, '$.authority.account.homePage') AS home_page,
            json_extract(json, '$.authority.account.name') AS name
        FROM statements
    );

INSERT OR IGNORE INTO index_keys (kind, value)
    SELECT DISTINCT 7, value FROM authority_keys WHERE value IS NOT NULL;

INSERT OR IGNORE INTO postings (seg, key_id, seq)
    SELECT a.seq >> 14, k.id, a.seq
    FROM authority_keys a JOIN index_keys k ON k.kind = 7 AND k.value = a.value
    ORDER BY 1, 2, 3;

DROP TABLE authority_keys;
