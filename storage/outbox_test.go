package storage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/storage"
)

// TestOutboxRelaysOnceInOrderAcrossReplicas writes interventions through the outbox, then runs
// two relays at once, as two worker replicas would: every entry is started exactly once, each
// relay in creation order; a failed start keeps its entry (counted) for the next round, which
// resumes from it; a create written again (a retry) adds no entry.
func TestOutboxRelaysOnceInOrderAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t, testdb.Conns(4)))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	var eq int64
	if err := st.Q().GetContext(ctx, &eq, `SELECT min(id) FROM equipements`); err != nil {
		t.Fatal(err)
	}
	const n = 40
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("intervention/outbox-%02d", i)
		in, created, err := st.InsertInterventionPending(ctx, want[i], domain.NewIntervention{Titre: fmt.Sprintf("Relais %d", i),
			Description: "en attente de Temporal", TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteNormale, EquipementID: eq})
		if err != nil || !created {
			t.Fatalf("insert %d: created=%v %v", i, created, err)
		}
		if pending, err := st.InterventionPending(ctx, in.ID); err != nil || !pending {
			t.Fatalf("intervention %d not pending: %v", in.ID, err)
		}
	}
	if _, created, err := st.InsertInterventionPending(ctx, want[0], domain.NewIntervention{Titre: "Relais 0",
		Description: "en attente de Temporal", TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteNormale, EquipementID: eq}); err != nil || created {
		t.Fatalf("retried create: created=%v %v", created, err)
	}

	// A round whose start fails keeps the entry, counts the attempt and starts nothing after it.
	down := errors.New("temporal unreachable")
	if started, err := st.RelayOutbox(ctx, 10, 0, func(storage.OutboxEntry) error { return down }); started != 0 || !errors.Is(err, down) {
		t.Fatalf("failing round: started %d, %v", started, err)
	}
	var attempts int
	if err := st.Q().GetContext(ctx, &attempts, `SELECT attempts FROM intervention_outbox WHERE workflow_id = $1`, want[0]); err != nil || attempts != 1 {
		t.Fatalf("attempts %d %v", attempts, err)
	}

	var mu sync.Mutex
	startedBy := map[string]int{}
	orders := make([][]string, 2)
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				started, err := st.RelayOutbox(ctx, 5, 0, func(e storage.OutboxEntry) error {
					if e.Intervention.Titre == "" || e.InterventionID == 0 {
						return fmt.Errorf("entry %d without its create", e.ID)
					}
					mu.Lock()
					startedBy[e.WorkflowID]++
					orders[r] = append(orders[r], e.WorkflowID)
					mu.Unlock()
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				if started == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, id := range want {
		if startedBy[id] != 1 {
			t.Errorf("%s started %d times", id, startedBy[id])
		}
	}
	for r, o := range orders {
		if !slices.IsSorted(o) {
			t.Errorf("relay %d out of order: %v", r, o)
		}
	}
	var left int
	if err := st.Q().GetContext(ctx, &left, `SELECT count(*) FROM intervention_outbox`); err != nil || left != 0 {
		t.Fatalf("%d entries left (%v)", left, err)
	}
}

// TestOutboxLeavesFreshEntriesToTheirRequest: the relay takes only entries older than its settle
// time (the API request that wrote a fresher one is starting its workflow itself), and that
// request's clean-up never waits for a relay holding its entry.
func TestOutboxLeavesFreshEntriesToTheirRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t, testdb.Conns(4)))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	var eq int64
	if err := st.Q().GetContext(ctx, &eq, `SELECT min(id) FROM equipements`); err != nil {
		t.Fatal(err)
	}
	for _, wf := range []string{"intervention/settle-old", "intervention/settle-new"} {
		if _, _, err := st.InsertInterventionPending(ctx, wf, domain.NewIntervention{Titre: wf, Description: "outbox",
			TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteNormale, EquipementID: eq}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Q().ExecContext(ctx, `UPDATE intervention_outbox SET created_at = now() - interval '1 minute'
		WHERE workflow_id = 'intervention/settle-old'`); err != nil {
		t.Fatal(err)
	}
	var seen []string
	started, err := st.RelayOutbox(ctx, 10, 10*time.Second, func(e storage.OutboxEntry) error {
		seen = append(seen, e.WorkflowID)
		// Meanwhile the request of the entry the relay holds finishes: it does not wait.
		done := make(chan error, 1)
		go func() { done <- st.InterventionStarted(ctx, e.WorkflowID) }()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("the request's clean-up waited for the relay")
		}
	})
	if err != nil || started != 1 || !slices.Equal(seen, []string{"intervention/settle-old"}) {
		t.Fatalf("relay with a 10 s settle time: started %d %v, saw %v", started, err, seen)
	}
	var left []string
	if err := st.Q().SelectContext(ctx, &left, `SELECT workflow_id FROM intervention_outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"intervention/settle-new"}) {
		t.Fatalf("entries left: %v", left)
	}
}
