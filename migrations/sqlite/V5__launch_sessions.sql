-- Credentials bound to one learner's launch (cmi5 and xAPI content), and cmi5 AU sessions.

-- A bound credential only speaks for its learner and registration (JSON, lrs_core::auth::Binding)
-- and stops working when it expires. Administrators' credentials have neither.
ALTER TABLE credentials ADD COLUMN binding TEXT;
ALTER TABLE credentials ADD COLUMN expires_us INTEGER;

-- One launch of an AU (a cmi5 session, or one launch of an xAPI package): its one-time fetch
-- URL (SHA-256 of the secret part), when that was used, and the session's progress (JSON).
CREATE TABLE au_sessions (
    id              BLOB PRIMARY KEY,
    registration_id BLOB NOT NULL REFERENCES registrations (id),
    au              TEXT NOT NULL,
    fetch_hash      TEXT NOT NULL UNIQUE,
    fetched_us      INTEGER,
    state           TEXT NOT NULL,
    created_us      INTEGER NOT NULL,
    expires_us      INTEGER NOT NULL
);
CREATE INDEX au_sessions_by_au ON au_sessions (registration_id, au, created_us);
