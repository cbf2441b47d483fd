-- +goose Up
-- The API keeps the answers of its busiest reads (lists, dashboard) for a second at most
-- (package readcache) and must drop them the moment what they were read from changes, on every
-- replica and whoever wrote it (the worker's activities, another replica, psql): each write to
-- those tables is announced on channel mif_data with the table's name. One announcement per
-- statement (not per row), and PostgreSQL folds the identical ones of a transaction into one,
-- delivered when it commits. Not the outbox (intervention_outbox): a create's workflow start
-- deletes its entry at once, and the "workflow pending" flag it feeds may lag by the cache's TTL.
-- +goose StatementBegin
CREATE FUNCTION read_cache_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mif_data', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['interventions', 'equipements', 'plannings', 'techniciens', 'users',
        'contrats', 'contrat_equipements', 'clients', 'sites', 'technicien_horaires', 'documents']
    LOOP
        EXECUTE format('CREATE TRIGGER read_cache_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
            FOR EACH STATEMENT EXECUTE FUNCTION read_cache_announce()', t);
    END LOOP;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['interventions', 'equipements', 'plannings', 'techniciens', 'users',
        'contrats', 'contrat_equipements', 'clients', 'sites', 'technicien_horaires', 'documents']
    LOOP
        EXECUTE format('DROP TRIGGER read_cache_announce ON %I', t);
    END LOOP;
END;
$$;
-- +goose StatementEnd
DROP FUNCTION read_cache_announce();
