-- +goose Up
-- What an intervention demands of a technicien (issue 10): every competence its equipment type
-- calls for, each at a level, and the tools it needs; what a technicien carries; and plannings a
-- responsable fixed, which the route planning leaves where they are.

ALTER TABLE equipement_type_competences
    ADD COLUMN niveau_requis SMALLINT NOT NULL DEFAULT 1 CHECK (niveau_requis BETWEEN 1 AND 5);

-- Tools an equipment type calls for, matched case-insensitively like the competences.
CREATE TABLE equipement_type_outils (
    type_equipement TEXT NOT NULL CHECK (length(type_equipement) BETWEEN 1 AND 100),
    outil           TEXT NOT NULL CHECK (length(outil) BETWEEN 1 AND 100)
);
CREATE UNIQUE INDEX equipement_type_outils_key ON equipement_type_outils (lower(type_equipement), lower(outil));

-- Tools carried in the technicien's van.
ALTER TABLE techniciens ADD COLUMN outils TEXT[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(outils) <= 50);

-- A planning fixed by a responsable (assigned or rescheduled by hand): the optimizer keeps it.
ALTER TABLE plannings ADD COLUMN fixe BOOLEAN NOT NULL DEFAULT FALSE;

-- The rule "qualified for an equipment type": EVERY competence the type calls for at its level
-- (not any one of them) and every tool it needs. One home for it in SQL; the route planner
-- applies the same rule to the same rows in Go.
-- +goose StatementBegin
CREATE FUNCTION technicien_qualifie(tech BIGINT, type_equipement TEXT) RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (
            SELECT 1 FROM equipement_type_competences etc
            WHERE lower(etc.type_equipement) = lower($2)
              AND NOT EXISTS (SELECT 1 FROM technicien_competences tc JOIN competences c ON c.id = tc.competence_id
                  WHERE tc.technicien_id = $1 AND lower(c.nom) = lower(etc.competence_nom)
                    AND tc.niveau >= etc.niveau_requis))
       AND NOT EXISTS (
            SELECT 1 FROM equipement_type_outils eto
            WHERE lower(eto.type_equipement) = lower($2)
              AND NOT EXISTS (SELECT 1 FROM techniciens t CROSS JOIN unnest(t.outils) AS o (nom)
                  WHERE t.id = $1 AND lower(o.nom) = lower(eto.outil)))
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION technicien_qualifie(BIGINT, TEXT);
ALTER TABLE plannings DROP COLUMN fixe;
ALTER TABLE techniciens DROP COLUMN outils;
DROP TABLE equipement_type_outils;
ALTER TABLE equipement_type_competences DROP COLUMN niveau_requis;
