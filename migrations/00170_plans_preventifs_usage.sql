-- +goose Up
-- Usage-based preventive plans (issue 14). The calendar part of an equipment's plan stays
-- equipements.frequence_entretien; this row, when present, says what triggers the occurrences:
-- the calendar (no row, or 'calendrier'), every intervalle_usage units of one meter of the same
-- equipment ('usage'), or whichever comes first ('premier_atteint').

-- The meter's total usage since it was created (the sum of its readings' increments, resets
-- included), kept under the meter's lock by every recorded reading.
ALTER TABLE compteurs ADD COLUMN usage_cumule NUMERIC(18, 3) NOT NULL DEFAULT 0 CHECK (usage_cumule >= 0);
UPDATE compteurs c SET usage_cumule = COALESCE((SELECT sum(r.increment) FROM releves_compteur r WHERE r.compteur_id = c.id), 0);

CREATE TABLE plans_preventifs (
    equipement_id    BIGINT PRIMARY KEY REFERENCES equipements (id) ON DELETE CASCADE,
    declencheur      TEXT NOT NULL DEFAULT 'calendrier' CHECK (declencheur IN ('calendrier', 'usage', 'premier_atteint')),
    -- A meter of a plan cannot be deleted (RESTRICT): the plan must be changed first.
    compteur_id      BIGINT REFERENCES compteurs (id) ON DELETE RESTRICT,
    intervalle_usage NUMERIC(16, 3) CHECK (intervalle_usage > 0),
    -- The meter's usage_cumule when the current usage cycle started (the plan was set, or the
    -- last occurrence was opened): the next threshold is usage_base + intervalle_usage.
    usage_base       NUMERIC(18, 3) NOT NULL DEFAULT 0,
    -- When the last occurrence of a usage or whichever-first plan was triggered: the calendar
    -- counts from it when it is later than the last maintenance.
    date_reference   TIMESTAMPTZ,
    date_creation    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT plans_preventifs_usage_check CHECK (
        declencheur = 'calendrier' OR (compteur_id IS NOT NULL AND intervalle_usage IS NOT NULL))
);
CREATE INDEX plans_preventifs_compteur_idx ON plans_preventifs (compteur_id);

-- Every occurrence opened by a preventive cycle, once per key (the calendar due date, or the
-- usage threshold crossed): the cycle's activity inserts it with ON CONFLICT DO NOTHING, so a
-- burst of readings or a retried activity opens one occurrence. The KPI of compliance per trigger
-- type joins it to the intervention through the workflow ID.
CREATE TABLE occurrences_preventives (
    id                       BIGSERIAL PRIMARY KEY,
    equipement_id            BIGINT NOT NULL REFERENCES equipements (id) ON DELETE CASCADE,
    cle                      TEXT NOT NULL,
    -- The plan's type when the occurrence was opened, and what fired it.
    declencheur              TEXT NOT NULL CHECK (declencheur IN ('calendrier', 'usage', 'premier_atteint')),
    cause                    TEXT NOT NULL CHECK (cause IN ('calendrier', 'usage')),
    echeance                 TIMESTAMPTZ NOT NULL,
    compteur_id              BIGINT REFERENCES compteurs (id) ON DELETE SET NULL,
    seuil_usage              NUMERIC(18, 3),
    usage_cumule             NUMERIC(18, 3),
    intervention_workflow_id TEXT NOT NULL,
    date_creation            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT occurrences_preventives_cle_key UNIQUE (equipement_id, cle)
);
CREATE INDEX occurrences_preventives_workflow_idx ON occurrences_preventives (intervention_workflow_id);

-- +goose Down
DROP TABLE occurrences_preventives;
DROP TABLE plans_preventifs;
ALTER TABLE compteurs DROP COLUMN usage_cumule;
