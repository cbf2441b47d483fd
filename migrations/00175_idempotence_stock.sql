-- +goose Up
-- Idempotency-Key of the requests that move stock by hand (issue 14): a key sent again by the
-- same user replays the first answer instead of moving the stock a second time. The row is
-- written in the transaction of the movement itself, so concurrent requests with one key wait
-- for the first and then replay it; a refused request (409, 422) leaves no row and may be sent
-- again with its key. Retention: 24 hours (expire_le); expired rows are taken over by a new
-- request with the same key and purged by the user's next keyed request.
CREATE TABLE idempotence_requetes (
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cle           TEXT NOT NULL CHECK (length(cle) BETWEEN 1 AND 255),
    -- What the key was used for and the SHA-256 of the normalised request (operation and body):
    -- the same key with another request is refused.
    operation     TEXT NOT NULL,
    empreinte     TEXT NOT NULL,
    statut        INTEGER NOT NULL,
    -- The answer as first sent (json keeps its text as it was).
    reponse       JSON NOT NULL,
    date_creation TIMESTAMPTZ NOT NULL DEFAULT now(),
    expire_le     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, cle)
);
CREATE INDEX idempotence_requetes_expire_idx ON idempotence_requetes (expire_le);

-- +goose Down
DROP TABLE idempotence_requetes;
