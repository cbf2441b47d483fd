-- +goose Up
-- Webhooks (issue 15): administrators subscribe URLs to business events; deliveries are signed
-- and sent by one Temporal workflow per subscription, in event order, each attempt logged.
CREATE TABLE webhook_abonnements (
    id                 BIGSERIAL PRIMARY KEY,
    url                TEXT NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    evenements         TEXT[] NOT NULL CHECK (cardinality(evenements) >= 1),
    description        TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    -- The signing secret, Fernet-encrypted with FERNET_KEYS; shown once, at creation.
    secret_chiffre     TEXT NOT NULL,
    statut             TEXT NOT NULL DEFAULT 'actif' CHECK (statut IN ('actif', 'suspendu')),
    motif_suspension   TEXT,
    echecs_consecutifs INTEGER NOT NULL DEFAULT 0,
    -- Last event handed to the subscription's workflow (events after it are still to deliver).
    curseur            BIGINT NOT NULL DEFAULT 0,
    proprietaire_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    date_creation      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The events to deliver (an outbox), written by the trigger below in the transaction of the
-- change, only while some active subscription wants the type.
CREATE TABLE webhook_evenements (
    id              BIGSERIAL PRIMARY KEY,
    type            TEXT NOT NULL,
    entite          TEXT NOT NULL,
    entite_id       BIGINT NOT NULL,
    historique_id   BIGINT NOT NULL,
    donnees         JSONB NOT NULL,
    date_evenement  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_evenements_type_idx ON webhook_evenements (type, id);

-- Every delivery attempt and its outcome.
CREATE TABLE webhook_livraisons (
    id             BIGSERIAL PRIMARY KEY,
    abonnement_id  BIGINT NOT NULL REFERENCES webhook_abonnements (id) ON DELETE CASCADE,
    evenement_id   BIGINT NOT NULL REFERENCES webhook_evenements (id) ON DELETE CASCADE,
    tentative      INTEGER NOT NULL,
    rejeu          BOOLEAN NOT NULL DEFAULT FALSE,
    succes         BOOLEAN NOT NULL,
    code_http      INTEGER,
    erreur         TEXT,
    duree_ms       INTEGER NOT NULL,
    date_tentative TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_livraisons_abonnement_idx ON webhook_livraisons (abonnement_id, id DESC);

-- +goose StatementBegin
CREATE FUNCTION webhook_evenement_historique() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    types TEXT[];
BEGIN
    IF NEW.entite = 'intervention' THEN
        IF NEW.action = 'creation' THEN
            types := ARRAY['intervention.created'];
        ELSIF NEW.action = 'retard' THEN
            types := ARRAY['intervention.overdue'];
        ELSIF NEW.action = 'escalade' THEN
            types := ARRAY['intervention.escalated'];
        ELSIF NEW.changements ? 'statut' THEN
            types := ARRAY['intervention.status_changed'];
            IF NEW.changements -> 'statut' ->> 'nouveau' = 'terminee' THEN
                types := types || 'intervention.completed'::text;
            END IF;
        ELSE
            RETURN NULL;
        END IF;
    ELSIF NEW.entite = 'demande' AND NEW.action = 'creation' THEN
        types := ARRAY['demande.submitted'];
    ELSE
        RETURN NULL;
    END IF;
    INSERT INTO webhook_evenements (type, entite, entite_id, historique_id, donnees, date_evenement)
    SELECT t, NEW.entite, NEW.entite_id, NEW.id,
           jsonb_build_object('action', NEW.action, 'changements', NEW.changements), NEW.date_action
    FROM unnest(types) AS t
    WHERE EXISTS (SELECT 1 FROM webhook_abonnements a WHERE a.statut = 'actif' AND t = ANY (a.evenements));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER historique_webhooks AFTER INSERT ON historique
    FOR EACH ROW EXECUTE FUNCTION webhook_evenement_historique();

-- +goose Down
DROP TRIGGER historique_webhooks ON historique;
DROP FUNCTION webhook_evenement_historique();
DROP TABLE webhook_livraisons;
DROP TABLE webhook_evenements;
DROP TABLE webhook_abonnements;
