-- Plugin delivery leases: one node at a time delivers to a plugin; another takes over when
-- the lease runs out (its holder stopped or died).
ALTER TABLE plugins ADD COLUMN lease_holder TEXT;
ALTER TABLE plugins ADD COLUMN lease_until_us INTEGER;

-- The minimal directory of people that plugins read (`people`), until a full directory sync
-- lands: who someone is, their org unit, their manager (a person id) and roles.
CREATE TABLE people (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT,
    org_unit   TEXT,
    manager    TEXT,
    -- Role names, space separated.
    roles      TEXT NOT NULL,
    updated_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX people_by_org_unit ON people (org_unit, id);
