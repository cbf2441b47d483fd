package api_test

import (
	"context"
	"net/http"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/mifmaroc/mif/internal/apitest"
)

// TestRepeatedAssignmentWithoutKeyAppliesOnce sends the same assignment twice without an
// Idempotency-Key (a client retrying after a lost answer): both answer 200 with the intervention
// as it stands, and it was written, recorded and notified once.
func TestRepeatedAssignmentWithoutKeyAppliesOnce(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	marie := technicienID(t, env, apitest.Technicien)
	in := createOpen(t, env, "Affectation rejouée", 1, noDeadline)
	path := "/api/v1/interventions/" + apitest.ID(in.ID) + "/assign"
	first := step(t, env, apitest.Responsable, "PUT", path, map[string]any{"technicien_id": marie, "duree_estimee": 90}, http.StatusOK)
	again := step(t, env, apitest.Responsable, "PUT", path, map[string]any{"technicien_id": marie, "duree_estimee": 90}, http.StatusOK)
	if again.TechnicienID == nil || *again.TechnicienID != marie || !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Fatalf("the repeated assignment changed the intervention: %+v then %+v", first.Intervention, again.Intervention)
	}
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1 AND action = 'assignation'`, in.ID); n != 1 {
		t.Fatalf("%d assignation rows, want 1", n)
	}
	if n := countRows(t, env, `SELECT count(*) FROM notifications WHERE destinataire_id = $1 AND metadata->>'intervention_id' = $2`,
		env.User(apitest.Technicien).ID, apitest.ID(in.ID)); n != 1 {
		t.Fatalf("%d notifications for the technicien, want 1", n)
	}
}

// TestUrgentLifecycleSignalsTheEscalationUntilItEnds takes an urgent intervention (which carries
// an escalation child) from creation to completion, requests back to back: its workflow signals
// the child with the assignment and the start — the start ends the ladder — and never after
// (the completion used to signal the ended child and log a warning each time).
func TestUrgentLifecycleSignalsTheEscalationUntilItEnds(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	marie := technicienID(t, env, apitest.Technicien)
	in := createOpen(t, env, "Urgence bout en bout", 1)
	base := "/api/v1/interventions/" + apitest.ID(in.ID)
	step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": marie}, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/start", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/pause", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/resume", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Réparé"}, http.StatusOK)
	ctx := context.Background()
	if err := env.Temporal.GetWorkflow(ctx, in.WorkflowID, "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	signals, failed := 0, 0
	it := env.Temporal.GetWorkflowHistory(ctx, in.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
			signals++
		case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
			failed++
		}
	}
	if signals != 2 || failed != 0 {
		t.Fatalf("the escalation child was signalled %d times (%d failed), want 2 (assignment, start) and none failed", signals, failed)
	}
}
