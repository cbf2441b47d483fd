-- +goose Up
-- Checklists and procedures (issue 15): templates of ordered items attached to an equipment type
-- (and optionally to one type of intervention: preventive plans use 'preventive'); an
-- intervention gets a copy (a snapshot: later template changes do not alter it) when it is
-- planned or started; the technicien fills it while en_cours.
CREATE TABLE checklist_modeles (
    id                BIGSERIAL PRIMARY KEY,
    nom               TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
    type_equipement   TEXT NOT NULL CHECK (length(type_equipement) BETWEEN 1 AND 100),
    type_intervention TEXT CHECK (type_intervention IN ('corrective', 'preventive', 'predictive')),
    actif             BOOLEAN NOT NULL DEFAULT TRUE,
    date_creation     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX checklist_modeles_type_idx ON checklist_modeles (lower(type_equipement));

CREATE TABLE checklist_modele_items (
    modele_id   BIGINT NOT NULL REFERENCES checklist_modeles (id) ON DELETE CASCADE,
    ordre       INTEGER NOT NULL,
    libelle     TEXT NOT NULL CHECK (length(libelle) BETWEEN 1 AND 300),
    type        TEXT NOT NULL CHECK (type IN ('check', 'mesure', 'choix', 'texte', 'photo', 'signature')),
    obligatoire BOOLEAN NOT NULL DEFAULT TRUE,
    unite       TEXT,
    min         DOUBLE PRECISION,
    max         DOUBLE PRECISION,
    choix       TEXT[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (modele_id, ordre)
);

CREATE TABLE intervention_checklist_items (
    id              BIGSERIAL PRIMARY KEY,
    intervention_id BIGINT NOT NULL REFERENCES interventions (id) ON DELETE CASCADE,
    modele_id       BIGINT,
    modele_nom      TEXT NOT NULL,
    ordre           INTEGER NOT NULL,
    libelle         TEXT NOT NULL,
    type            TEXT NOT NULL,
    obligatoire     BOOLEAN NOT NULL,
    unite           TEXT,
    min             DOUBLE PRECISION,
    max             DOUBLE PRECISION,
    choix           TEXT[] NOT NULL DEFAULT '{}',
    valeur          TEXT,
    hors_limites    BOOLEAN NOT NULL DEFAULT FALSE,
    rempli_par      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    date_remplissage TIMESTAMPTZ,
    suivi_intervention_id BIGINT REFERENCES interventions (id) ON DELETE SET NULL,
    UNIQUE (intervention_id, modele_id, ordre)
);
CREATE INDEX intervention_checklist_items_idx ON intervention_checklist_items (intervention_id, modele_id, ordre);

-- The copy, made once when the intervention is planned or started: whatever path changed the
-- status (API, workflows, planning), so no workflow had to change.
-- +goose StatementBegin
CREATE FUNCTION intervention_checklist_copie() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM intervention_checklist_items WHERE intervention_id = NEW.id) THEN
        RETURN NULL;
    END IF;
    INSERT INTO intervention_checklist_items (intervention_id, modele_id, modele_nom, ordre, libelle, type, obligatoire, unite, min, max, choix)
    SELECT NEW.id, m.id, m.nom, i.ordre, i.libelle, i.type, i.obligatoire, i.unite, i.min, i.max, i.choix
    FROM checklist_modeles m
    JOIN checklist_modele_items i ON i.modele_id = m.id
    JOIN equipements e ON e.id = NEW.equipement_id
    WHERE m.actif AND lower(m.type_equipement) = lower(e.type)
      AND (m.type_intervention IS NULL OR m.type_intervention = NEW.type_intervention)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER interventions_checklist AFTER UPDATE OF statut ON interventions
    FOR EACH ROW WHEN (NEW.statut IN ('planifiee', 'en_cours') AND OLD.statut IS DISTINCT FROM NEW.statut)
    EXECUTE FUNCTION intervention_checklist_copie();

-- +goose Down
DROP TRIGGER interventions_checklist ON interventions;
DROP FUNCTION intervention_checklist_copie();
DROP TABLE intervention_checklist_items;
DROP TABLE checklist_modele_items;
DROP TABLE checklist_modeles;
