-- Installed plugins (lara-plugin-registry): component, description, grants, state, delivery
-- cursor (the seq of the last statement delivered) and health.
CREATE TABLE plugins (
    name         TEXT PRIMARY KEY,
    version      TEXT NOT NULL,
    wasm_sha256  TEXT NOT NULL,
    wasm         BLOB NOT NULL,
    description  TEXT NOT NULL,
    -- Granted capabilities, space separated.
    granted      TEXT NOT NULL,
    enabled      INTEGER NOT NULL,
    cursor       INTEGER NOT NULL,
    health       TEXT NOT NULL,
    installed_us INTEGER NOT NULL
) WITHOUT ROWID;
