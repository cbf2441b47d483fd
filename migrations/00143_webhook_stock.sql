-- +goose Up
-- Webhooks: a part falling to its reorder threshold at a place (historique 'seuil_reappro_atteint',
-- written once per fall with the responsables' notice) is the event stock.below_threshold.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION webhook_evenement_historique() RETURNS trigger LANGUAGE plpgsql AS $$
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
    ELSIF NEW.entite = 'piece' AND NEW.action = 'seuil_reappro_atteint' THEN
        types := ARRAY['stock.below_threshold'];
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION webhook_evenement_historique() RETURNS trigger LANGUAGE plpgsql AS $$
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
