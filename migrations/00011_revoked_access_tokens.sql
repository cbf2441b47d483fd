-- +goose Up
-- Access tokens ended by a logout before their expiry (JWTs are otherwise valid until exp). Rows
-- are only needed until the token would have expired; the housekeeping purge deletes the rest.
CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at);

-- +goose Down
DROP TABLE revoked_access_tokens;
