-- Plugin delivery leases: one node at a time delivers to a plugin; another takes over when
-- the lease runs out (its holder stopped or died). Times are the database's clock.
ALTER TABLE plugins ADD COLUMN lease_holder text;
ALTER TABLE plugins ADD COLUMN lease_until timestamptz;

-- The minimal directory of people that plugins read (`people`), until a full directory sync
-- lands: who someone is, their org unit, their manager (a person id) and roles.
CREATE TABLE people (
    id       text PRIMARY KEY,
    name     text NOT NULL,
    email    text,
    org_unit text,
    manager  text,
    roles    text[] NOT NULL,
    updated  timestamptz NOT NULL
);
CREATE INDEX people_by_org_unit ON people (org_unit, id);
