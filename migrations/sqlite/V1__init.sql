-- Lara schema, SQLite flavour. The PostgreSQL folder holds the same migration numbers.
-- Times are microseconds since the Unix epoch (INTEGER); UUIDs are 16-byte BLOBs, which keeps
-- the unique index on statement ids less than half the size of hyphenated text.

-- Statements in storage order. One writer thread assigns `seq`, so storage order is commit
-- order and the writer can keep `stored_us` non-decreasing in `seq`. AUTOINCREMENT so that a
-- seq is never reused even if rows are ever removed: `more` cursors carry seq values.
CREATE TABLE statements (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          BLOB NOT NULL UNIQUE,
    stored_us   INTEGER NOT NULL,
    voided      INTEGER NOT NULL DEFAULT 0,
    -- The statement a voiding statement voids.
    voids       BLOB,
    -- The statement a StatementRef object points at (voiding or not).
    refs        BLOB,
    -- Comparison hash of the statement as received, to tell a resend from a conflict.
    hash        TEXT NOT NULL,
    -- The exact JSON text returned by GET.
    json        TEXT NOT NULL,
    -- sha2 of the attachments stored by the LRS, space separated ('' when none).
    attachments TEXT NOT NULL DEFAULT '',
    -- Every index_keys id this statement is posted under (own and inherited through `refs`),
    -- space separated. Lets a statement arriving later copy them without a second index on
    -- statement_index, which would double the cost of every posting.
    postings    TEXT NOT NULL DEFAULT ''
);

-- since/until become seq bounds through this index (stored is monotonic in seq; the rowid
-- is implicitly the second column).
CREATE INDEX statements_stored ON statements (stored_us);
CREATE INDEX statements_refs ON statements (refs) WHERE refs IS NOT NULL;
CREATE INDEX statements_voids ON statements (voids) WHERE voids IS NOT NULL;

-- Dictionary of filter keys: (IndexKind code, value).
CREATE TABLE index_keys (
    id    INTEGER PRIMARY KEY,
    kind  INTEGER NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (kind, value)
);

-- Postings: statement `seq` matches key `key_id`, directly or through a StatementRef.
-- The primary key walks one key's statements in seq order and answers EXISTS probes.
CREATE TABLE statement_index (
    key_id INTEGER NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (key_id, seq)
) WITHOUT ROWID;

-- Canonical activity definitions (JSON text), merged from every statement that carries one.
CREATE TABLE activities (
    id         TEXT PRIMARY KEY,
    definition TEXT NOT NULL
) WITHOUT ROWID;

-- Attachment contents, stored once per sha2.
CREATE TABLE attachments (
    sha2         TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL
);

-- State (kind 1), activity profile (2) and agent profile (3) documents. Unused key parts are
-- '' so that one primary key covers all three; registration is '' when there is none.
CREATE TABLE documents (
    kind         INTEGER NOT NULL,
    activity_id  TEXT NOT NULL,
    agent        TEXT NOT NULL,
    registration TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content      BLOB NOT NULL,
    etag         TEXT NOT NULL,
    updated_us   INTEGER NOT NULL,
    PRIMARY KEY (kind, activity_id, agent, registration, doc_id)
);

CREATE TABLE credentials (
    id          BLOB PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- Scope names, space separated.
    scopes      TEXT NOT NULL,
    authority   TEXT NOT NULL,
    created_us  INTEGER NOT NULL,
    revoked_us  INTEGER
);
