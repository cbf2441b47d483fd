-- +goose Up
-- Creates that survive a Temporal outage (issue 13): POST /interventions writes the intervention
-- and one row here in the same transaction, then starts the workflow and deletes the row. When
-- Temporal cannot be reached the row stays, the client gets 202, and the relay in the worker
-- starts the workflow (same workflow ID, so exactly once) when Temporal is back, in id order.
CREATE TABLE intervention_outbox (
    id              BIGSERIAL PRIMARY KEY,
    intervention_id BIGINT NOT NULL UNIQUE REFERENCES interventions (id) ON DELETE CASCADE,
    workflow_id     TEXT NOT NULL UNIQUE,
    -- The create request as the workflow takes it (domain.NewIntervention, JSON).
    payload         JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
);

-- +goose Down
DROP TABLE intervention_outbox;
