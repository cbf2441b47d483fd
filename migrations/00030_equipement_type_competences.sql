-- +goose Up
-- Which competences an equipment type calls for, for automatic assignment and weekly planning.
-- Matched case-insensitively on the equipment's type and the competence's name, so that the
-- mapping can be written before the competences exist. A type with no row here accepts any
-- technicien.
CREATE TABLE equipement_type_competences (
    type_equipement TEXT NOT NULL CHECK (length(type_equipement) BETWEEN 1 AND 100),
    competence_nom  TEXT NOT NULL CHECK (length(competence_nom) BETWEEN 1 AND 100)
);
CREATE UNIQUE INDEX equipement_type_competences_key
    ON equipement_type_competences (lower(type_equipement), lower(competence_nom));

INSERT INTO equipement_type_competences (type_equipement, competence_nom) VALUES
    ('Presse', 'Hydraulique'),
    ('Broyeur', 'Soudure'),
    ('Broyeur', 'Hydraulique'),
    ('Compresseur', 'Pneumatique'),
    ('Cuve réfrigérée', 'Froid industriel'),
    ('Pasteurisateur', 'Froid industriel'),
    ('Pasteurisateur', 'Électricité industrielle'),
    ('Armoire électrique', 'Électricité industrielle'),
    ('Automate', 'Automatisme');

-- +goose Down
DROP TABLE equipement_type_competences;
