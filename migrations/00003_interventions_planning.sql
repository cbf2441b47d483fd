-- +goose Up
CREATE TABLE interventions (
    id                  BIGSERIAL PRIMARY KEY,
    -- The Temporal workflow that owns this intervention's lifecycle; unique so that a retried
    -- insert activity finds the row it already wrote.
    workflow_id         TEXT NOT NULL,
    titre               TEXT NOT NULL CHECK (length(titre) BETWEEN 1 AND 200),
    description         TEXT NOT NULL DEFAULT '',
    type_intervention   TEXT NOT NULL CHECK (type_intervention IN ('corrective', 'preventive', 'predictive')),
    statut              TEXT NOT NULL DEFAULT 'ouverte'
                        CHECK (statut IN ('ouverte', 'planifiee', 'en_cours', 'en_attente', 'terminee', 'annulee')),
    priorite            TEXT NOT NULL DEFAULT 'normale' CHECK (priorite IN ('basse', 'normale', 'haute', 'critique')),
    urgence             BOOLEAN NOT NULL DEFAULT FALSE,
    date_creation       TIMESTAMPTZ NOT NULL DEFAULT now(),
    date_limite         TIMESTAMPTZ,
    date_debut          TIMESTAMPTZ,
    date_fin            TIMESTAMPTZ,
    equipement_id       BIGINT NOT NULL REFERENCES equipements (id) ON DELETE RESTRICT,
    technicien_id       BIGINT REFERENCES techniciens (id) ON DELETE SET NULL,
    createur_id         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    rapport             TEXT,
    temps_passe         INTEGER CHECK (temps_passe IS NULL OR temps_passe >= 0),
    satisfaction_client SMALLINT CHECK (satisfaction_client IS NULL OR satisfaction_client BETWEEN 1 AND 5),
    en_retard           BOOLEAN NOT NULL DEFAULT FALSE,
    motif_annulation    TEXT,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT interventions_dates CHECK (date_fin IS NULL OR date_debut IS NULL OR date_fin >= date_debut)
);
CREATE UNIQUE INDEX interventions_workflow_id_key ON interventions (workflow_id);
CREATE INDEX idx_intervention_statut_priorite ON interventions (statut, priorite);
CREATE INDEX idx_intervention_dates ON interventions (date_creation, date_limite);
CREATE INDEX interventions_equipement_idx ON interventions (equipement_id, date_creation DESC);
CREATE INDEX interventions_technicien_idx ON interventions (technicien_id, statut) WHERE technicien_id IS NOT NULL;
CREATE INDEX interventions_createur_idx ON interventions (createur_id);
CREATE INDEX interventions_en_retard_idx ON interventions (date_limite) WHERE en_retard;
CREATE INDEX interventions_date_limite_idx ON interventions (date_limite) WHERE statut NOT IN ('terminee', 'annulee');

CREATE TABLE plannings (
    id              BIGSERIAL PRIMARY KEY,
    intervention_id BIGINT NOT NULL REFERENCES interventions (id) ON DELETE CASCADE,
    technicien_id   BIGINT NOT NULL REFERENCES techniciens (id) ON DELETE CASCADE,
    date_planifiee  TIMESTAMPTZ NOT NULL,
    duree_estimee   INTEGER NOT NULL CHECK (duree_estimee BETWEEN 1 AND 10080),
    statut          TEXT NOT NULL DEFAULT 'planifiee'
                    CHECK (statut IN ('planifiee', 'en_cours', 'terminee', 'annulee', 'reportee')),
    notes           TEXT NOT NULL DEFAULT '',
    date_creation   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- One planning per intervention (seed: Intervention <-> Planning is one-to-one).
CREATE UNIQUE INDEX plannings_intervention_key ON plannings (intervention_id);
CREATE INDEX plannings_technicien_date_idx ON plannings (technicien_id, date_planifiee);
CREATE INDEX plannings_date_idx ON plannings (date_planifiee);

-- +goose Down
DROP TABLE plannings;
DROP TABLE interventions;
