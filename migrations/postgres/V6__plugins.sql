-- Installed plugins (lara-plugin-registry): component, description, grants, state, delivery
-- cursor (the seq of the last statement delivered) and health.
CREATE TABLE plugins (
    name        text PRIMARY KEY,
    version     text NOT NULL,
    wasm_sha256 text NOT NULL,
    wasm        bytea NOT NULL,
    description text NOT NULL,
    granted     text[] NOT NULL,
    enabled     boolean NOT NULL,
    cursor      bigint NOT NULL,
    health      text NOT NULL,
    installed   timestamptz NOT NULL
);
