-- +goose Up
-- OIDC logins in flight: created by /auth/oidc/login, consumed once by /auth/oidc/callback. Kept
-- in PostgreSQL so that the callback may reach another API replica than the login, and so that a
-- state can be used only once (DELETE ... RETURNING).
CREATE TABLE oidc_login_states (
    -- SHA-256 of the state parameter sent to the provider.
    state_hash    TEXT PRIMARY KEY,
    -- SHA-256 of the random value of the browser's HttpOnly cookie: binds the state to the browser.
    browser_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_login_states_expires_idx ON oidc_login_states (expires_at);

-- +goose Down
DROP TABLE oidc_login_states;
