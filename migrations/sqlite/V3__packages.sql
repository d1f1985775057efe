-- Imported e-learning packages (player-core). Package files live in the database so that the
-- content is where the rest of Lara's data is (one backup, and on PostgreSQL every node serves
-- the same files).

-- File contents in chunks of at most 1 MiB, stored once per SHA-256 (hex).
CREATE TABLE content_chunks (
    sha256 TEXT PRIMARY KEY,
    data   BLOB NOT NULL
);

-- A file: its SHA-256, size and the SHA-256 of each chunk in order, space separated.
CREATE TABLE content_files (
    sha256 TEXT PRIMARY KEY,
    size   INTEGER NOT NULL,
    chunks TEXT NOT NULL
) WITHOUT ROWID;

-- A package is identified across versions by its manifest identifier (SCORM manifest
-- identifier, cmi5 course IRI, xAPI activity IRI).
CREATE TABLE packages (
    id         BLOB PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    created_us INTEGER NOT NULL
);

-- Each import is a new version; running attempts keep the version they started on.
CREATE TABLE package_versions (
    id         BLOB PRIMARY KEY,
    package_id BLOB NOT NULL REFERENCES packages (id),
    version    INTEGER NOT NULL,
    standard   TEXT NOT NULL,
    title      TEXT NOT NULL,
    -- The parsed manifest and the import report, as JSON.
    manifest   TEXT NOT NULL,
    report     TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    UNIQUE (package_id, version)
);

-- The files of a version: path in the package → content.
CREATE TABLE package_files (
    version_id BLOB NOT NULL REFERENCES package_versions (id),
    path       TEXT NOT NULL,
    sha256     TEXT NOT NULL REFERENCES content_files (sha256),
    size       INTEGER NOT NULL,
    PRIMARY KEY (version_id, path)
) WITHOUT ROWID;
