-- +goose Up
-- The API caches each request's principal (authn.PrincipalCache) and must forget it the moment
-- it changes, on every replica: besides what ends sessions (channel mif_sessions, migration
-- 00052), a change of role, client, e-mail or activity, the deletion of the account, and the
-- creation, move or deletion of its technicien profile are announced on channel mif_principals
-- with the account's id.
-- +goose StatementBegin
CREATE FUNCTION users_principal_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('mif_principals', OLD.id::text);
    ELSE
        PERFORM pg_notify('mif_principals', NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION techniciens_principal_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('mif_principals', OLD.user_id::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('mif_principals', NEW.user_id::text);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER users_principal_announce AFTER UPDATE ON users
    FOR EACH ROW
    WHEN ((OLD.role, OLD.client_id, OLD.email, OLD.is_active, OLD.password_changed_at)
          IS DISTINCT FROM (NEW.role, NEW.client_id, NEW.email, NEW.is_active, NEW.password_changed_at))
    EXECUTE FUNCTION users_principal_announce();
CREATE TRIGGER users_principal_announce_delete AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_principal_announce();
CREATE TRIGGER techniciens_principal_announce AFTER INSERT OR DELETE OR UPDATE OF user_id ON techniciens
    FOR EACH ROW EXECUTE FUNCTION techniciens_principal_announce();

-- +goose Down
DROP TRIGGER techniciens_principal_announce ON techniciens;
DROP TRIGGER users_principal_announce_delete ON users;
DROP TRIGGER users_principal_announce ON users;
DROP FUNCTION techniciens_principal_announce();
DROP FUNCTION users_principal_announce();
