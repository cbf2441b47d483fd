-- +goose Up
-- The dashboard's intervention figures come from counters kept by a trigger instead of a scan of
-- every intervention per request. Each change to an intervention appends delta rows (the old
-- image subtracted, the new one added) under three scopes: 'a' every intervention (cle 0), 'e'
-- its equipment (client dashboards sum the equipment their contracts cover, so a contract change
-- needs no recount), 't' its technicien (a technicien's own work). Appending takes no lock, so
-- concurrent writers never wait on a hot counter; a reader sums the rows of its scope, and
-- intervention_counters_compact() folds the deltas into one row per key from time to time (safe
-- alongside writers and other compactions: it deletes only rows it saw and re-inserts their sum).
CREATE TABLE intervention_counters (
    id            BIGSERIAL PRIMARY KEY,
    portee        CHAR(1) NOT NULL CHECK (portee IN ('a', 'e', 't')),
    cle           BIGINT NOT NULL,
    statut        TEXT NOT NULL,
    priorite      TEXT NOT NULL,
    n             BIGINT NOT NULL,
    -- finished (terminee with a date_fin): the denominator of the on-time rate and of the MTTR
    resolues      BIGINT NOT NULL,
    -- their seconds from creation to end
    resolution_s  NUMERIC NOT NULL,
    -- finished on time: not marked late by the SLA clock, and within date_limite if any
    a_temps       BIGINT NOT NULL,
    notes         BIGINT NOT NULL,
    notes_somme   BIGINT NOT NULL
);
CREATE INDEX intervention_counters_scope_idx ON intervention_counters (portee, cle);
-- Folds delete rows every few seconds: vacuum this small table often, or dead index entries
-- would make every sum walk them.
ALTER TABLE intervention_counters SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000);

-- +goose StatementBegin
CREATE FUNCTION intervention_counters_add(r interventions, signe INT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO intervention_counters (portee, cle, statut, priorite, n, resolues, resolution_s, a_temps, notes, notes_somme)
    SELECT p.portee, p.cle, r.statut, r.priorite, signe,
           CASE WHEN r.statut = 'terminee' AND r.date_fin IS NOT NULL THEN signe ELSE 0 END,
           CASE WHEN r.statut = 'terminee' AND r.date_fin IS NOT NULL
                THEN signe * extract(epoch FROM r.date_fin - r.date_creation) ELSE 0 END,
           CASE WHEN r.statut = 'terminee' AND NOT r.en_retard
                     AND COALESCE(r.date_limite IS NULL OR r.date_fin <= r.date_limite, FALSE) THEN signe ELSE 0 END,
           CASE WHEN r.satisfaction_client IS NOT NULL THEN signe ELSE 0 END,
           signe * COALESCE(r.satisfaction_client, 0)
    FROM (VALUES ('a', 0::bigint), ('e', r.equipement_id), ('t', r.technicien_id)) p (portee, cle)
    WHERE p.cle IS NOT NULL;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION intervention_counters_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM intervention_counters_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM intervention_counters_add(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION intervention_counters_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE intervention_counters;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION intervention_counters_compact() RETURNS void LANGUAGE sql AS $$
    WITH folded AS (DELETE FROM intervention_counters RETURNING *)
    INSERT INTO intervention_counters (portee, cle, statut, priorite, n, resolues, resolution_s, a_temps, notes, notes_somme)
    SELECT portee, cle, statut, priorite, sum(n), sum(resolues), sum(resolution_s), sum(a_temps), sum(notes), sum(notes_somme)
    FROM folded GROUP BY portee, cle, statut, priorite
    -- every -1 row cancels an earlier +1 row of the same image: a key whose count is 0 holds nothing
    HAVING sum(n) <> 0;
$$;
-- +goose StatementEnd
CREATE TRIGGER intervention_counters_insert_delete AFTER INSERT OR DELETE ON interventions
    FOR EACH ROW EXECUTE FUNCTION intervention_counters_track();
CREATE TRIGGER intervention_counters_update AFTER UPDATE ON interventions
    FOR EACH ROW
    WHEN ((OLD.statut, OLD.priorite, OLD.date_creation, OLD.date_limite, OLD.date_fin, OLD.en_retard,
           OLD.satisfaction_client, OLD.equipement_id, OLD.technicien_id)
          IS DISTINCT FROM
          (NEW.statut, NEW.priorite, NEW.date_creation, NEW.date_limite, NEW.date_fin, NEW.en_retard,
           NEW.satisfaction_client, NEW.equipement_id, NEW.technicien_id))
    EXECUTE FUNCTION intervention_counters_track();
CREATE TRIGGER intervention_counters_truncate AFTER TRUNCATE ON interventions
    FOR EACH STATEMENT EXECUTE FUNCTION intervention_counters_reset();

-- What is already there, folded (one row per key).
INSERT INTO intervention_counters (portee, cle, statut, priorite, n, resolues, resolution_s, a_temps, notes, notes_somme)
SELECT p.portee, p.cle, i.statut, i.priorite, count(*),
       count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_fin IS NOT NULL),
       COALESCE(sum(extract(epoch FROM i.date_fin - i.date_creation)) FILTER (WHERE i.statut = 'terminee' AND i.date_fin IS NOT NULL), 0),
       count(*) FILTER (WHERE i.statut = 'terminee' AND NOT i.en_retard AND COALESCE(i.date_limite IS NULL OR i.date_fin <= i.date_limite, FALSE)),
       count(i.satisfaction_client), COALESCE(sum(i.satisfaction_client), 0)
FROM interventions i
CROSS JOIN LATERAL (VALUES ('a', 0::bigint), ('e', i.equipement_id), ('t', i.technicien_id)) p (portee, cle)
WHERE p.cle IS NOT NULL
GROUP BY p.portee, p.cle, i.statut, i.priorite;

-- "Finished this week" and the KPIs' preventive compliance read only the period they ask for (the
-- KPIs' failures already do, through idx_intervention_dates).
CREATE INDEX interventions_terminees_date_fin_idx ON interventions (date_fin) WHERE statut = 'terminee';
CREATE INDEX interventions_type_date_limite_idx ON interventions (type_intervention, date_limite) WHERE statut <> 'annulee';

-- +goose Down
DROP INDEX interventions_type_date_limite_idx;
DROP INDEX interventions_terminees_date_fin_idx;
DROP TRIGGER intervention_counters_truncate ON interventions;
DROP TRIGGER intervention_counters_update ON interventions;
DROP TRIGGER intervention_counters_insert_delete ON interventions;
DROP FUNCTION intervention_counters_compact();
DROP FUNCTION intervention_counters_reset();
DROP FUNCTION intervention_counters_track();
DROP FUNCTION intervention_counters_add(interventions, INT);
DROP TABLE intervention_counters;
