-- +goose Up
-- Where a warehouse stands (issue 14): the route planner sends a technicien whose van lacks the
-- parts of his work to restock at a warehouse that holds them, so a warehouse needs a position —
-- a site's. A van has none (it is where its technicien is).
ALTER TABLE emplacements ADD COLUMN site_id BIGINT REFERENCES sites (id) ON DELETE SET NULL,
    ADD CONSTRAINT emplacements_site_entrepot CHECK (type = 'entrepot' OR site_id IS NULL);
CREATE INDEX emplacements_site_idx ON emplacements (site_id) WHERE site_id IS NOT NULL;

-- +goose Down
ALTER TABLE emplacements DROP CONSTRAINT emplacements_site_entrepot, DROP COLUMN site_id;
