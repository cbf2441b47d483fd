package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/temporalerr"
	"github.com/mifmaroc/mif/workflows"
)

type updateResult struct {
	row      domain.Intervention
	err      error
	accepted bool
}

func (u *updateResult) callbacks() *testsuite.TestUpdateCallback {
	return &testsuite.TestUpdateCallback{
		OnAccept:   func() { u.accepted = true },
		OnReject:   func(err error) { u.err = err },
		OnComplete: func(v any, err error) { u.err = err; u.row, _ = v.(domain.Intervention) },
	}
}

func createInput() workflows.InterventionInput {
	return workflows.InterventionInput{Intervention: domain.NewIntervention{
		Titre: "Réparation", Description: "Fuite sur le circuit principal", TypeIntervention: domain.TypeCorrective,
		Priorite: domain.PrioriteHaute, EquipementID: 1,
	}}
}

// The create update runs the insert activity once and returns its row; a second create on the
// same run returns the same row without running the activity again.
func TestFoundationWorkflowCreateUpdate(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.Activities
	env.RegisterActivity(a)
	calls := 0
	env.OnActivity(a.CreateIntervention, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CreateInterventionInput) (activities.CreateInterventionResult, error) {
			calls++
			return activities.CreateInterventionResult{Created: true, Intervention: domain.Intervention{
				ID: 7, WorkflowID: in.WorkflowID, Titre: in.Intervention.Titre, Statut: domain.StatutOuverte,
				Priorite: in.Intervention.Priorite, EquipementID: 1,
			}}, nil
		})
	first, second := &updateResult{}, &updateResult{}
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(workflows.UpdateCreate, "create-1", first.callbacks()) }, 0)
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(workflows.UpdateCreate, "create-2", second.callbacks()) }, time.Second)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		var st workflows.InterventionState
		if err := v.Get(&st); err != nil || st.InterventionID != 7 || st.Statut != domain.StatutOuverte {
			t.Errorf("state = %+v (%v)", st, err)
		}
		env.CancelWorkflow()
	}, 2*time.Second)
	env.ExecuteWorkflow(workflows.InterventionWorkflow, createInput())

	if first.err != nil || first.row.ID != 7 || !first.accepted {
		t.Fatalf("first create: %+v", first)
	}
	if second.err != nil || second.row.ID != 7 {
		t.Fatalf("second create: %+v", second)
	}
	if calls != 1 {
		t.Fatalf("insert activity ran %d times, want 1", calls)
	}
}

// An invalid input is rejected by the update's validator before any activity runs, and a
// permanent activity failure reaches the caller typed, after which the run ends without a row.
func TestFoundationWorkflowCreateFailures(t *testing.T) {
	t.Run("validator", func(t *testing.T) {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		var a *activities.Activities
		env.RegisterActivity(a)
		in := createInput()
		in.Intervention.Titre = ""
		res := &updateResult{}
		env.RegisterDelayedCallback(func() { env.UpdateWorkflow(workflows.UpdateCreate, "c", res.callbacks()) }, 0)
		env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
		env.ExecuteWorkflow(workflows.InterventionWorkflow, in)
		if res.accepted || res.err == nil {
			t.Fatalf("invalid input accepted: %+v", res)
		}
	})
	t.Run("activity", func(t *testing.T) {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		var a *activities.Activities
		env.RegisterActivity(a)
		env.OnActivity(a.CreateIntervention, mock.Anything, mock.Anything).Return(activities.CreateInterventionResult{},
			temporalerr.Wrap(&domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_id", Message: "référence inexistante"}}}))
		res := &updateResult{}
		env.RegisterDelayedCallback(func() { env.UpdateWorkflow(workflows.UpdateCreate, "c", res.callbacks()) }, 0)
		env.ExecuteWorkflow(workflows.InterventionWorkflow, createInput())
		if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
			t.Fatalf("workflow should end cleanly, err=%v", env.GetWorkflowError())
		}
		de, ok := temporalerr.Unwrap(res.err)
		var ve *domain.ValidationError
		if !ok || !asValidation(de, &ve) || ve.Fields[0].Field != "equipement_id" {
			t.Fatalf("update error = %v", res.err)
		}
	})
}

func asValidation(err error, ve **domain.ValidationError) bool {
	v, ok := err.(*domain.ValidationError)
	*ve = v
	return ok
}

// A run started with its row (CreateOnStart) arms no create-wait timer when its starter says so
// (NoCreateWait, every start since): the timer fired ten minutes after each create, one more
// workflow task for nothing. Runs started without it still arm it, as their histories show.
func TestCreateOnStartArmsNoCreateWaitTimer(t *testing.T) {
	for _, noWait := range []bool{false, true} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		var a *activities.Activities
		env.RegisterActivity(a)
		env.OnActivity(a.CreateIntervention, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.CreateInterventionInput) (activities.CreateInterventionResult, error) {
				return activities.CreateInterventionResult{Intervention: domain.Intervention{ID: 7, WorkflowID: in.WorkflowID,
					Titre: in.Intervention.Titre, Statut: domain.StatutOuverte, Priorite: in.Intervention.Priorite, EquipementID: 1}}, nil
			})
		var timers []time.Duration
		env.SetOnTimerScheduledListener(func(_ string, d time.Duration) { timers = append(timers, d) })
		env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
		in := createInput()
		in.CreateOnStart, in.NoCreateWait = true, noWait
		env.ExecuteWorkflow(workflows.InterventionWorkflow, in)
		want := 1 // the ten-minute create wait (no SLA here: the policy has no deadline)
		if noWait {
			want = 0
		}
		if len(timers) != want {
			t.Errorf("NoCreateWait %v: timers %v, want %d", noWait, timers, want)
		}
	}
}
