package orchestration

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/storage"
)

// outboxBatch bounds the entries one relay round locks and starts.
const outboxBatch = 100

// RunOutboxRelay starts, every interval until ctx ends, the workflows of interventions written
// while Temporal could not be reached (storage.RelayOutbox): in creation order, exactly once
// (same workflow ID as the API would have used; a replica already on an entry skips it).
func RunOutboxRelay(ctx context.Context, store *storage.Store, in *Interventions, interval time.Duration, log *zap.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		for {
			n, err := store.RelayOutbox(ctx, outboxBatch, in.settle(), func(e storage.OutboxEntry) error {
				// The API's start described the workflow; this later one describes it again from
				// the rows (same summary and details), nothing more stored in the outbox.
				desc, err := DescribeIntervention(ctx, store, in.location, e.InterventionID, e.Intervention, nil)
				if err != nil {
					log.Warn("outbox: workflow summary incomplete", zap.Int64("intervention_id", e.InterventionID), zap.Error(err))
				}
				return in.Start(ctx, e.WorkflowID, e.InterventionID, e.Intervention, desc)
			})
			if n > 0 {
				log.Info("outbox: intervention workflows started", zap.Int("count", n))
			}
			switch {
			case err != nil && ctx.Err() == nil && !failing:
				log.Warn("outbox: workflows not started yet; retrying", zap.Error(err))
				failing = true
			case err == nil && failing:
				log.Info("outbox: relay working again")
				failing = false
			}
			if err != nil || n < outboxBatch {
				break // a full batch goes on at once; less waits for the next tick
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// settle is how long an outbox entry is left to the API request that wrote it: the longest its
// start of the workflow may take, and a second more.
func (i *Interventions) settle() time.Duration { return i.wait + time.Second }
