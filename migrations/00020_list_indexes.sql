-- +goose Up
-- Indexes for the REST lists, checked with EXPLAIN on 100 000 interventions
-- (api/volume_test.go): text search, sort by deadline, urgent work.
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX interventions_titre_trgm_idx ON interventions USING gin (titre gin_trgm_ops);
CREATE INDEX interventions_description_trgm_idx ON interventions USING gin (description gin_trgm_ops);
CREATE INDEX interventions_date_limite_id_idx ON interventions (date_limite, id);
CREATE INDEX interventions_urgence_idx ON interventions (date_creation) WHERE urgence;
CREATE INDEX equipements_nom_trgm_idx ON equipements USING gin (nom gin_trgm_ops);

-- +goose Down
DROP INDEX equipements_nom_trgm_idx;
DROP INDEX interventions_urgence_idx;
DROP INDEX interventions_date_limite_id_idx;
DROP INDEX interventions_description_trgm_idx;
DROP INDEX interventions_titre_trgm_idx;
-- pg_trgm stays: other objects may have come to depend on it, and keeping it is harmless.
