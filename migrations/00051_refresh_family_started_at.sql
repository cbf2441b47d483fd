-- +goose Up
-- A session (refresh-token family) has an absolute lifetime counted from its login: every token of
-- the family carries the login's time, so a rotation cannot push the end of the session further.
ALTER TABLE refresh_tokens ADD COLUMN family_started_at TIMESTAMPTZ;
UPDATE refresh_tokens r SET family_started_at = f.started
FROM (SELECT family_id, min(created_at) AS started FROM refresh_tokens GROUP BY family_id) f
WHERE r.family_id = f.family_id;
ALTER TABLE refresh_tokens ALTER COLUMN family_started_at SET DEFAULT now(),
    ALTER COLUMN family_started_at SET NOT NULL;

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN family_started_at;
