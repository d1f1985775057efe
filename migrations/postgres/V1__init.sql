-- Lara schema, PostgreSQL flavour. The SQLite folder holds the same migration numbers.

-- Statements in storage order. `seq` is assigned under a transaction-level advisory lock, so
-- storage order equals commit order and `stored` never decreases with `seq`.
CREATE TABLE statements (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    stored      timestamptz NOT NULL,
    voided      boolean NOT NULL DEFAULT false,
    -- The statement a voiding statement voids.
    voids       uuid,
    -- The statement a StatementRef object points at (voiding or not).
    refs        uuid,
    -- Comparison hash of the statement as received, to tell a resend from a conflict.
    hash        text NOT NULL,
    -- The exact JSON text returned by GET; text rather than jsonb keeps it byte-exact.
    json        text NOT NULL,
    -- sha2 of the attachments stored by the LRS.
    attachments text[] NOT NULL DEFAULT '{}'
);

-- since/until become seq bounds through this index (stored is monotonic in seq).
CREATE INDEX statements_stored ON statements (stored, seq);
CREATE INDEX statements_refs ON statements (refs) WHERE refs IS NOT NULL;
CREATE INDEX statements_voids ON statements (voids) WHERE voids IS NOT NULL;

-- Dictionary of filter keys: (IndexKind code, value). `postings` approximately counts the
-- statements posted under the key (own postings, maintained after each commit); queries walk
-- the key with the fewest.
CREATE TABLE index_keys (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind     smallint NOT NULL,
    value    text NOT NULL,
    postings bigint NOT NULL DEFAULT 0,
    UNIQUE (kind, value)
);

-- Postings: statement `seq` matches key `key_id`, directly or through a StatementRef.
-- The primary key walks one key's statements in seq order; the second index finds a
-- statement's postings when they are copied to statements referring to it.
CREATE TABLE statement_index (
    key_id bigint NOT NULL,
    seq    bigint NOT NULL,
    PRIMARY KEY (key_id, seq)
);
CREATE INDEX statement_index_by_seq ON statement_index (seq, key_id);

-- Canonical activity definitions, merged from every statement that carries one. JSON text
-- rather than jsonb: jsonb refuses \u0000, which a statement may legally carry.
CREATE TABLE activities (
    id         text PRIMARY KEY,
    definition text NOT NULL
);

-- Attachment contents, stored once per sha2.
CREATE TABLE attachments (
    sha2         text PRIMARY KEY,
    content_type text NOT NULL,
    data         bytea NOT NULL
);

-- State (kind 1), activity profile (2) and agent profile (3) documents. Unused key parts are
-- '' so that one primary key covers all three; registration is '' when there is none.
CREATE TABLE documents (
    kind         smallint NOT NULL,
    activity_id  text NOT NULL,
    agent        text NOT NULL,
    registration text NOT NULL,
    doc_id       text NOT NULL,
    content_type text NOT NULL,
    content      bytea NOT NULL,
    etag         text NOT NULL,
    updated      timestamptz NOT NULL,
    PRIMARY KEY (kind, activity_id, agent, registration, doc_id)
);

CREATE TABLE credentials (
    id          uuid PRIMARY KEY,
    key         text NOT NULL UNIQUE,
    secret_hash text NOT NULL,
    name        text NOT NULL,
    scopes      text[] NOT NULL,
    authority   jsonb NOT NULL,
    created     timestamptz NOT NULL,
    revoked     timestamptz
);
