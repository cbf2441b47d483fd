-- +goose Up
CREATE TABLE equipements (
    id                   BIGSERIAL PRIMARY KEY,
    nom                  TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
    type                 TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    modele               TEXT NOT NULL DEFAULT '',
    numero_serie         TEXT NOT NULL CHECK (length(numero_serie) BETWEEN 1 AND 100),
    localisation         TEXT NOT NULL DEFAULT '',
    date_installation    TIMESTAMPTZ,
    -- Days between two preventive maintenances; NULL means no preventive cycle.
    frequence_entretien  INTEGER CHECK (frequence_entretien IS NULL OR frequence_entretien BETWEEN 1 AND 3650),
    statut               TEXT NOT NULL DEFAULT 'operationnel'
                         CHECK (statut IN ('operationnel', 'en_maintenance', 'en_panne', 'hors_service', 'retire')),
    derniere_maintenance TIMESTAMPTZ,
    date_creation        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX equipements_numero_serie_key ON equipements (numero_serie);
CREATE INDEX equipements_type_idx ON equipements (type);
CREATE INDEX equipements_localisation_idx ON equipements (localisation);
CREATE INDEX equipements_statut_idx ON equipements (statut);

CREATE TABLE contrats (
    id                    BIGSERIAL PRIMARY KEY,
    numero                TEXT NOT NULL CHECK (length(numero) BETWEEN 1 AND 50),
    client_id             BIGINT NOT NULL REFERENCES clients (id) ON DELETE RESTRICT,
    date_debut            DATE NOT NULL,
    date_fin              DATE NOT NULL,
    sla_reponse_heures    INTEGER CHECK (sla_reponse_heures IS NULL OR sla_reponse_heures > 0),
    sla_resolution_heures INTEGER CHECK (sla_resolution_heures IS NULL OR sla_resolution_heures > 0),
    statut                TEXT NOT NULL DEFAULT 'actif' CHECK (statut IN ('actif', 'suspendu', 'expire', 'resilie')),
    description           TEXT NOT NULL DEFAULT '',
    date_creation         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT contrats_dates CHECK (date_fin >= date_debut)
);
CREATE UNIQUE INDEX contrats_numero_key ON contrats (numero);
CREATE INDEX contrats_client_idx ON contrats (client_id);

CREATE TABLE contrat_equipements (
    contrat_id    BIGINT NOT NULL REFERENCES contrats (id) ON DELETE CASCADE,
    equipement_id BIGINT NOT NULL REFERENCES equipements (id) ON DELETE CASCADE,
    PRIMARY KEY (contrat_id, equipement_id)
);
CREATE INDEX contrat_equipements_equipement_idx ON contrat_equipements (equipement_id);

-- +goose Down
DROP TABLE contrat_equipements;
DROP TABLE contrats;
DROP TABLE equipements;
