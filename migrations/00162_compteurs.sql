-- +goose Up
-- Usage meters (issue 14): operating hours, cycles, kilometres… per equipment, and their
-- readings, each identified by the id its sender gave it (a reading posted twice is recorded
-- once).

CREATE TABLE compteurs (
    id                 BIGSERIAL PRIMARY KEY,
    equipement_id      BIGINT NOT NULL REFERENCES equipements (id) ON DELETE CASCADE,
    nom                TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 100),
    unite              TEXT NOT NULL CHECK (length(unite) BETWEEN 1 AND 30),
    -- A reading that climbs faster than this per day is refused as an outlier (NULL: no bound).
    variation_max_jour NUMERIC(16, 3) CHECK (variation_max_jour > 0),
    -- The last reading, kept here so that a new one is checked against it under the row's lock.
    valeur             NUMERIC(16, 3),
    date_releve        TIMESTAMPTZ,
    date_creation      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX compteurs_equipement_nom_key ON compteurs (equipement_id, lower(nom));

CREATE TABLE releves_compteur (
    id            BIGSERIAL PRIMARY KEY,
    compteur_id   BIGINT NOT NULL REFERENCES compteurs (id) ON DELETE CASCADE,
    releve_id     TEXT NOT NULL CHECK (length(releve_id) BETWEEN 1 AND 100),
    valeur        NUMERIC(16, 3) NOT NULL CHECK (valeur >= 0),
    date_releve   TIMESTAMPTZ NOT NULL,
    -- The meter was reset (replaced, rolled over) before this reading.
    remise_a_zero BOOLEAN NOT NULL DEFAULT false,
    -- Usage since the previous reading: valeur − previous, or valeur after a reset.
    increment     NUMERIC(16, 3) NOT NULL CHECK (increment >= 0),
    acteur_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    date_creation TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT releves_compteur_releve_key UNIQUE (compteur_id, releve_id)
);
CREATE INDEX releves_compteur_date_idx ON releves_compteur (compteur_id, date_releve);

-- +goose Down
DROP TABLE releves_compteur;
DROP TABLE compteurs;
