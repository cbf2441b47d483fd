-- +goose Up
-- Asset hierarchy (issue 14): a client site holds zones or production lines, which hold
-- equipment; an equipment may be part of another (a press and its hydraulic unit). Each
-- equipment has a criticality A/B/C that gives the default priority of its interventions and,
-- for A, a tighter default SLA (MIF_SLA_CRITICITE_A).

CREATE TABLE zones (
    id            BIGSERIAL PRIMARY KEY,
    site_id       BIGINT NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    nom           TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
    type          TEXT NOT NULL DEFAULT 'zone' CHECK (type IN ('zone', 'ligne')),
    date_creation TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX zones_site_nom_key ON zones (site_id, lower(nom));

ALTER TABLE equipements
    ADD COLUMN zone_id   BIGINT REFERENCES zones (id) ON DELETE RESTRICT,
    ADD COLUMN parent_id BIGINT REFERENCES equipements (id) ON DELETE RESTRICT,
    ADD COLUMN criticite TEXT NOT NULL DEFAULT 'B' CHECK (criticite IN ('A', 'B', 'C')),
    ADD CONSTRAINT equipements_parent_soi CHECK (parent_id <> id);
CREATE INDEX equipements_zone_idx ON equipements (zone_id) WHERE zone_id IS NOT NULL;
CREATE INDEX equipements_parent_idx ON equipements (parent_id) WHERE parent_id IS NOT NULL;

-- +goose Down
DROP INDEX equipements_parent_idx;
DROP INDEX equipements_zone_idx;
ALTER TABLE equipements DROP CONSTRAINT equipements_parent_soi,
    DROP COLUMN criticite, DROP COLUMN parent_id, DROP COLUMN zone_id;
DROP TABLE zones;
