package workflows_test

import (
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

// TestRepeatedAssignmentIsANoop sends the same assignment twice, as a client retrying without an
// Idempotency-Key would: the second answers the intervention as it stands and writes and notifies
// nothing; another technicien, or another date, is a real reassignment.
func TestRepeatedAssignmentIsANoop(t *testing.T) {
	t.Parallel()
	f := &fakeDB{}
	env := lifecycleEnv(t, f)
	tech, other := int64(5), int64(6)
	at := env.Now().Add(48 * time.Hour).Truncate(time.Hour)
	create(env)
	first := send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech, DatePlanifiee: &at, DureeEstimee: 90})
	again := send(env, 2*time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech, DatePlanifiee: &at, DureeEstimee: 90})
	noDate := send(env, 3*time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech})
	moved := at.Add(time.Hour)
	later := send(env, 4*time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech, DatePlanifiee: &moved})
	reassign := send(env, 5*time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &other})
	send(env, 6*time.Minute, workflows.UpdateCancel, workflows.TransitionRequest{})
	env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteNormale))
	if env.GetWorkflowError() != nil {
		t.Fatal(env.GetWorkflowError())
	}
	for _, c := range []*call{first, again, noDate, later, reassign} {
		if !c.accepted || c.err != nil || c.row.Statut != domain.StatutPlanifiee {
			t.Fatalf("%s: %+v", c.name, c)
		}
	}
	if *again.row.TechnicienID != tech || *reassign.row.TechnicienID != other {
		t.Fatalf("techniciens: %v %v", *again.row.TechnicienID, *reassign.row.TechnicienID)
	}
	// first, later, reassign and the cancellation: four writes, four notifications.
	if len(f.writes) != 4 {
		t.Fatalf("%d writes, want 4: %+v", len(f.writes), f.writes)
	}
	if ev := f.events(); len(ev) != 4 {
		t.Fatalf("notifications: %v", ev)
	}
}
