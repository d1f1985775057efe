-- Imported e-learning packages (player-core). Package files live in the database so that every
-- node serves the same content and one backup holds everything.

-- File contents in chunks of at most 1 MiB, stored once per SHA-256 (hex).
CREATE TABLE content_chunks (
    sha256 text PRIMARY KEY,
    data   bytea NOT NULL
);

-- A file: its SHA-256, size and the SHA-256 of each chunk in order.
CREATE TABLE content_files (
    sha256 text PRIMARY KEY,
    size   bigint NOT NULL,
    chunks text[] NOT NULL
);

-- A package is identified across versions by its manifest identifier (SCORM manifest
-- identifier, cmi5 course IRI, xAPI activity IRI).
CREATE TABLE packages (
    id         uuid PRIMARY KEY,
    identifier text NOT NULL UNIQUE,
    created    timestamptz NOT NULL
);

-- Each import is a new version; running attempts keep the version they started on.
CREATE TABLE package_versions (
    id         uuid PRIMARY KEY,
    package_id uuid NOT NULL REFERENCES packages (id),
    version    bigint NOT NULL,
    standard   text NOT NULL,
    title      text NOT NULL,
    -- The parsed manifest and the import report, as JSON text.
    manifest   text NOT NULL,
    report     text NOT NULL,
    created    timestamptz NOT NULL,
    UNIQUE (package_id, version)
);

-- The files of a version: path in the package → content.
CREATE TABLE package_files (
    version_id uuid NOT NULL REFERENCES package_versions (id),
    path       text NOT NULL,
    sha256     text NOT NULL REFERENCES content_files (sha256),
    size       bigint NOT NULL,
    PRIMARY KEY (version_id, path)
);
