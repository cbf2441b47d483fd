-- +goose Up
CREATE TABLE documents (
    id              BIGSERIAL PRIMARY KEY,
    nom             TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 255),
    type_document   TEXT NOT NULL CHECK (length(type_document) BETWEEN 1 AND 100),
    -- Opaque storage key; never derived from the uploader's file name.
    chemin_fichier  TEXT NOT NULL,
    taille          BIGINT NOT NULL CHECK (taille >= 0),
    mime_type       TEXT NOT NULL,
    checksum        TEXT NOT NULL CHECK (length(checksum) = 64),
    is_encrypted    BOOLEAN NOT NULL DEFAULT FALSE,
    is_sensitive    BOOLEAN NOT NULL DEFAULT FALSE,
    version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    intervention_id BIGINT REFERENCES interventions (id) ON DELETE CASCADE,
    equipement_id   BIGINT REFERENCES equipements (id) ON DELETE CASCADE,
    uploadeur_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    date_upload     TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at      TIMESTAMPTZ,
    CONSTRAINT documents_owner CHECK (intervention_id IS NOT NULL OR equipement_id IS NOT NULL)
);
CREATE UNIQUE INDEX documents_chemin_key ON documents (chemin_fichier);
CREATE INDEX documents_intervention_idx ON documents (intervention_id) WHERE intervention_id IS NOT NULL;
CREATE INDEX documents_equipement_idx ON documents (equipement_id) WHERE equipement_id IS NOT NULL;
CREATE INDEX documents_type_idx ON documents (type_document);

CREATE TABLE notifications (
    id              BIGSERIAL PRIMARY KEY,
    titre           TEXT NOT NULL,
    message         TEXT NOT NULL,
    type            TEXT NOT NULL DEFAULT 'info' CHECK (type IN ('info', 'warning', 'error', 'success')),
    destinataire_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lue             BOOLEAN NOT NULL DEFAULT FALSE,
    date_creation   TIMESTAMPTZ NOT NULL DEFAULT now(),
    date_lecture    TIMESTAMPTZ,
    metadata        JSONB NOT NULL DEFAULT '{}'::jsonb,
    -- Identifies the business event so that a retried activity never notifies twice.
    dedup_key       TEXT
);
CREATE UNIQUE INDEX notifications_dedup_key ON notifications (destinataire_id, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX notifications_destinataire_idx ON notifications (destinataire_id, lue, date_creation DESC);

CREATE TABLE historique (
    id          BIGSERIAL PRIMARY KEY,
    entite      TEXT NOT NULL,
    entite_id   BIGINT NOT NULL,
    action      TEXT NOT NULL,
    acteur_id   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    changements JSONB NOT NULL DEFAULT '{}'::jsonb,
    date_action TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set by workflow activities so that a retry records an event once.
    event_key   TEXT
);
CREATE INDEX historique_entite_idx ON historique (entite, entite_id, date_action);
CREATE INDEX historique_acteur_idx ON historique (acteur_id, date_action);
CREATE INDEX historique_date_idx ON historique (date_action);
CREATE UNIQUE INDEX historique_event_key ON historique (event_key) WHERE event_key IS NOT NULL;

-- +goose Down
DROP TABLE historique;
DROP TABLE notifications;
DROP TABLE documents;
