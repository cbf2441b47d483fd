-- +goose Up
-- Client requests (issue 15): a client account asks for work on one of its equipment; a
-- responsable triages it (accept: it becomes a linked intervention; merge into an existing one;
-- reject with a reason). A durable timer escalates the requests nobody triaged in time.
CREATE TABLE demandes (
    id              BIGSERIAL PRIMARY KEY,
    client_id       BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    equipement_id   BIGINT NOT NULL REFERENCES equipements (id) ON DELETE CASCADE,
    demandeur_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    description     TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    urgence         TEXT NOT NULL CHECK (urgence IN ('basse', 'normale', 'haute', 'critique')),
    statut          TEXT NOT NULL DEFAULT 'soumise' CHECK (statut IN ('soumise', 'acceptee', 'fusionnee', 'rejetee')),
    escaladee       BOOLEAN NOT NULL DEFAULT FALSE,
    date_escalade   TIMESTAMPTZ,
    intervention_id BIGINT REFERENCES interventions (id) ON DELETE SET NULL,
    motif_rejet     TEXT CHECK (motif_rejet IS NULL OR length(motif_rejet) <= 1000),
    trieur_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    date_triage     TIMESTAMPTZ,
    date_creation   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT demandes_triage CHECK (
        (statut = 'soumise' AND date_triage IS NULL)
        OR (statut IN ('acceptee', 'fusionnee') AND intervention_id IS NOT NULL AND date_triage IS NOT NULL)
        OR (statut = 'rejetee' AND motif_rejet IS NOT NULL AND date_triage IS NOT NULL))
);
CREATE INDEX demandes_client_idx ON demandes (client_id, date_creation DESC);
CREATE INDEX demandes_statut_idx ON demandes (statut, date_creation);
CREATE INDEX demandes_intervention_idx ON demandes (intervention_id) WHERE intervention_id IS NOT NULL;

-- Photos of a request: encrypted documents attached to the request's equipment.
CREATE TABLE demande_photos (
    demande_id  BIGINT NOT NULL REFERENCES demandes (id) ON DELETE CASCADE,
    document_id BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    PRIMARY KEY (demande_id, document_id)
);

-- +goose Down
DROP TABLE demande_photos;
DROP TABLE demandes;
