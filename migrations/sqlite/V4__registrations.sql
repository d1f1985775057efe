-- Registrations and launches of imported packages (player-core).

-- A learner's registration for a package, pinned to the version it started on.
CREATE TABLE registrations (
    id         BLOB PRIMARY KEY,
    package_id BLOB NOT NULL REFERENCES packages (id),
    version_id BLOB NOT NULL REFERENCES package_versions (id),
    -- The learner as an xAPI agent (JSON) and its IFI key (xapi_model::ifi::ifi_key).
    actor      TEXT NOT NULL,
    actor_key  TEXT NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE INDEX registrations_by_learner ON registrations (actor_key, package_id, created_us);

-- One launch: the SHA-256 of its token (the token itself is only in the launch URL).
CREATE TABLE launches (
    token_hash      TEXT PRIMARY KEY,
    registration_id BLOB NOT NULL REFERENCES registrations (id),
    expires_us      INTEGER NOT NULL
) WITHOUT ROWID;

-- The run-time state of each SCO of a registration (the data model as JSON), for resuming.
CREATE TABLE runtime_state (
    registration_id BLOB NOT NULL REFERENCES registrations (id),
    item            TEXT NOT NULL,
    state           TEXT NOT NULL,
    updated_us      INTEGER NOT NULL,
    PRIMARY KEY (registration_id, item)
) WITHOUT ROWID;
