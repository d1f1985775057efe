-- Registrations and launches of imported packages (player-core).

-- A learner's registration for a package, pinned to the version it started on.
CREATE TABLE registrations (
    id         uuid PRIMARY KEY,
    package_id uuid NOT NULL REFERENCES packages (id),
    version_id uuid NOT NULL REFERENCES package_versions (id),
    -- The learner as an xAPI agent (JSON text) and its IFI key (xapi_model::ifi::ifi_key).
    actor      text NOT NULL,
    actor_key  text NOT NULL,
    created    timestamptz NOT NULL
);
CREATE INDEX registrations_by_learner ON registrations (actor_key, package_id, created);

-- One launch: the SHA-256 of its token (the token itself is only in the launch URL).
CREATE TABLE launches (
    token_hash      text PRIMARY KEY,
    registration_id uuid NOT NULL REFERENCES registrations (id),
    expires         timestamptz NOT NULL
);

-- The run-time state of each SCO of a registration (the data model as JSON), for resuming.
CREATE TABLE runtime_state (
    registration_id uuid NOT NULL REFERENCES registrations (id),
    item            text NOT NULL,
    state           text NOT NULL,
    updated         timestamptz NOT NULL,
    PRIMARY KEY (registration_id, item)
);
