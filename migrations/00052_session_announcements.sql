-- +goose Up
-- A session that ends must stop its open notification streams at once, on every API replica:
-- what ends sessions (a logout's jti denylist entry; a password change, a logout everywhere or a
-- deactivation, which move password_changed_at or is_active) is announced on channel
-- mif_sessions with the account's id, and the replicas re-check the streams of that account.
-- +goose StatementBegin
CREATE FUNCTION users_session_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mif_sessions', NEW.id::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION revoked_access_tokens_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mif_sessions', NEW.user_id::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER users_session_announce AFTER UPDATE OF password_changed_at, is_active ON users
    FOR EACH ROW
    WHEN (OLD.password_changed_at IS DISTINCT FROM NEW.password_changed_at OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION users_session_announce();
CREATE TRIGGER revoked_access_tokens_announce AFTER INSERT ON revoked_access_tokens
    FOR EACH ROW EXECUTE FUNCTION revoked_access_tokens_announce();

-- +goose Down
DROP TRIGGER revoked_access_tokens_announce ON revoked_access_tokens;
DROP TRIGGER users_session_announce ON users;
DROP FUNCTION revoked_access_tokens_announce();
DROP FUNCTION users_session_announce();
