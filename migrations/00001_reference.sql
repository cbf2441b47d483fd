-- +goose Up
-- Clients, users and technicians: who works with the platform.
CREATE TABLE clients (
    id            BIGSERIAL PRIMARY KEY,
    nom           TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
    email         TEXT,
    telephone     TEXT,
    adresse       TEXT,
    ville         TEXT,
    contact_nom   TEXT,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    date_creation TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX clients_nom_key ON clients (lower(nom));

CREATE TABLE users (
    id                  BIGSERIAL PRIMARY KEY,
    email               TEXT NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
    username            TEXT CHECK (username IS NULL OR length(username) BETWEEN 3 AND 50),
    password_hash       TEXT,
    nom                 TEXT NOT NULL DEFAULT '',
    prenom              TEXT NOT NULL DEFAULT '',
    role                TEXT NOT NULL CHECK (role IN ('admin', 'responsable', 'technicien', 'client')),
    is_active           BOOLEAN NOT NULL DEFAULT TRUE,
    client_id           BIGINT REFERENCES clients (id) ON DELETE RESTRICT,
    oidc_subject        TEXT,
    email_preferences   JSONB NOT NULL DEFAULT '{}'::jsonb,
    date_creation       TIMESTAMPTZ NOT NULL DEFAULT now(),
    derniere_connexion  TIMESTAMPTZ,
    password_changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Only client accounts are attached to a client company.
    CONSTRAINT users_client_role CHECK (client_id IS NULL OR role = 'client')
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_username_key ON users (lower(username)) WHERE username IS NOT NULL;
CREATE UNIQUE INDEX users_oidc_subject_key ON users (oidc_subject) WHERE oidc_subject IS NOT NULL;
CREATE INDEX users_role_idx ON users (role, is_active);
CREATE INDEX users_client_idx ON users (client_id) WHERE client_id IS NOT NULL;

CREATE TABLE techniciens (
    id                BIGSERIAL PRIMARY KEY,
    user_id           BIGINT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    specialite        TEXT NOT NULL DEFAULT '',
    niveau_experience TEXT NOT NULL DEFAULT 'junior'
                      CHECK (niveau_experience IN ('junior', 'confirme', 'senior', 'expert')),
    disponibilite     BOOLEAN NOT NULL DEFAULT TRUE,
    telephone         TEXT,
    localisation_base TEXT,
    heure_debut       TIME NOT NULL DEFAULT '08:00',
    heure_fin         TIME NOT NULL DEFAULT '17:00',
    date_creation     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT techniciens_heures CHECK (heure_fin > heure_debut)
);
CREATE INDEX techniciens_disponibilite_idx ON techniciens (disponibilite);

CREATE TABLE competences (
    id          BIGSERIAL PRIMARY KEY,
    nom         TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 100),
    categorie   TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX competences_nom_key ON competences (lower(nom));

CREATE TABLE technicien_competences (
    technicien_id BIGINT NOT NULL REFERENCES techniciens (id) ON DELETE CASCADE,
    competence_id BIGINT NOT NULL REFERENCES competences (id) ON DELETE CASCADE,
    niveau        SMALLINT NOT NULL DEFAULT 1 CHECK (niveau BETWEEN 1 AND 5),
    PRIMARY KEY (technicien_id, competence_id)
);
CREATE INDEX technicien_competences_competence_idx ON technicien_competences (competence_id);

-- +goose Down
DROP TABLE technicien_competences;
DROP TABLE competences;
DROP TABLE techniciens;
DROP TABLE users;
DROP TABLE clients;
