package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// OutboxEntry is an intervention whose workflow is still to be started (intervention_outbox).
type OutboxEntry struct {
	ID             int64                  `db:"id"`
	InterventionID int64                  `db:"intervention_id"`
	WorkflowID     string                 `db:"workflow_id"`
	Payload        []byte                 `db:"payload"`
	Attempts       int                    `db:"attempts"`
	Intervention   domain.NewIntervention `db:"-"`
}

// InsertInterventionPending writes a new intervention owned by workflowID, its historique row and
// its outbox row in one transaction: once it returns, the create is durable whatever happens to
// Temporal. Idempotent like InsertIntervention: a row that already exists for workflowID is
// returned with created=false and nothing is written (its outbox row, if any, stays).
func (s *Store) InsertInterventionPending(ctx context.Context, workflowID string, n domain.NewIntervention) (in domain.Intervention, created bool, err error) {
	payload, err := json.Marshal(n)
	if err != nil {
		return in, false, fmt.Errorf("storage: outbox payload: %w", err)
	}
	err = retrySerialization(ctx, func() error {
		return s.InTx(ctx, func(tx *Store) error {
			var err error
			in, created, err = tx.InsertIntervention(ctx, workflowID, n)
			if err != nil || !created {
				return err
			}
			_, err = tx.q.ExecContext(ctx, `INSERT INTO intervention_outbox (intervention_id, workflow_id, payload) VALUES ($1, $2, $3)`,
				in.ID, workflowID, payload)
			return wrap("insert outbox", err)
		})
	})
	return in, created, err
}

// retrySerialization runs fn again, a few times with a growing pause, while it fails with a
// serialization failure or a deadlock (PostgreSQL asks for the transaction to be retried): what
// the create's activity got from Temporal's retries before the API wrote the row itself.
func retrySerialization(ctx context.Context, fn func() error) error {
	pause := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		var pqErr *pq.Error
		if err == nil || attempt == 6 || !errors.As(err, &pqErr) || (pqErr.Code != "40001" && pqErr.Code != "40P01") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// InterventionStarted removes the outbox row of workflowID once its workflow runs (nothing when
// the relay got there first).
func (s *Store) InterventionStarted(ctx context.Context, workflowID string) error {
	// An entry the relay holds (it is starting the same workflow) is left to it: the request
	// never waits for the relay's batch.
	_, err := s.q.ExecContext(ctx, `DELETE FROM intervention_outbox WHERE id IN
		(SELECT id FROM intervention_outbox WHERE workflow_id = $1 FOR UPDATE SKIP LOCKED)`, workflowID)
	return wrap("delete outbox", err)
}

// InterventionPending reports whether the intervention's workflow is still to be started.
func (s *Store) InterventionPending(ctx context.Context, interventionID int64) (bool, error) {
	var pending bool
	err := s.q.GetContext(ctx, &pending, `SELECT EXISTS (SELECT 1 FROM intervention_outbox WHERE intervention_id = $1)`, interventionID)
	return pending, wrap("outbox pending", err)
}

// RelayOutbox hands the oldest pending entries (at most limit, in creation order) to start, in
// one transaction that locks them (FOR UPDATE SKIP LOCKED: replicas running the relay at once
// share the work and never start the same entry together). An entry whose start succeeds is
// deleted; the first failure stops the batch, is counted on its entry and returned — Temporal is
// probably still down, the next round tries again from the same entry, keeping the order.
// Entries younger than settle are left to the request that wrote them, which is starting their
// workflow itself (the API's start is bounded by MIF_WORKFLOW_WAIT): the relay takes only what
// such a request gave up on, instead of racing every create in flight.
func (s *Store) RelayOutbox(ctx context.Context, limit int, settle time.Duration, start func(OutboxEntry) error) (started int, err error) {
	var startErr error
	err = s.InTx(ctx, func(tx *Store) error {
		var entries []OutboxEntry
		if err := tx.q.SelectContext(ctx, &entries, `SELECT id, intervention_id, workflow_id, payload, attempts
			FROM intervention_outbox WHERE created_at <= now() - $2 * interval '1 millisecond'
			ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit, settle.Milliseconds()); err != nil {
			return wrap("select outbox", err)
		}
		for _, e := range entries {
			if err := json.Unmarshal(e.Payload, &e.Intervention); err != nil {
				return fmt.Errorf("storage: outbox %d payload: %w", e.ID, err)
			}
			if startErr = start(e); startErr != nil {
				_, err := tx.q.ExecContext(ctx, `UPDATE intervention_outbox SET attempts = attempts + 1, last_error = left($2, 1000) WHERE id = $1`,
					e.ID, startErr.Error())
				return wrap("outbox attempt", err)
			}
			if _, err := tx.q.ExecContext(ctx, `DELETE FROM intervention_outbox WHERE id = $1`, e.ID); err != nil {
				return wrap("delete outbox", err)
			}
			started++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return started, startErr
}
