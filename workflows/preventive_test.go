package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/planner"
	"github.com/mifmaroc/mif/workflows"
)

// equipment is the fake equipment row behind LoadPreventivePlan; the fake preventive
// intervention completes on its due date and moves derniere_maintenance, as ApplyTransition does.
type equipment struct {
	freq     int
	derniere time.Time
	retired  bool
	cancel   bool     // occurrences are cancelled at once (derniere_maintenance does not move)
	opened   []string // child workflow IDs, in order
	openedAt []time.Time
	planned  []time.Time // PlannedFor of each occurrence
}

func (e *equipment) plan() activities.PreventivePlan {
	next := e.derniere.AddDate(0, 0, e.freq)
	return activities.PreventivePlan{Active: !e.retired && e.freq > 0, Nom: "Presse", Frequence: e.freq, Derniere: &e.derniere,
		Prochaine: &next, LeadTime: 7 * 24 * time.Hour, DefaultDuree: 120, Declencheur: domain.DeclencheurCalendrier, Calendar: e.freq > 0}
}

// runCycle runs one run of the preventive workflow (until it continues as new or ends) in a fresh
// test environment starting at now, and returns the next input (nil when the cycle ended).
func runCycle(t *testing.T, e *equipment, now time.Time, in workflows.PreventiveInput, during func(env *testsuite.TestWorkflowEnvironment)) (*workflows.PreventiveInput, time.Time) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(now)
	env.RegisterWorkflowWithOptions(workflows.PreventiveMaintenanceWorkflow, workflow.RegisterOptions{Name: workflows.PreventiveMaintenanceWorkflowName})
	env.RegisterActivity(&activities.Activities{})
	// The fake occurrence: its ID is recorded, it "completes" on its deadline.
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.InterventionInput) (workflows.InterventionResult, error) {
		e.opened = append(e.opened, workflow.GetInfo(ctx).WorkflowExecution.ID)
		e.openedAt = append(e.openedAt, workflow.Now(ctx))
		if in.PlannedFor != nil {
			e.planned = append(e.planned, *in.PlannedFor)
		}
		if !in.CreateOnStart || !in.AutoAssign || in.Intervention.TypeIntervention != domain.TypePreventive {
			return workflows.InterventionResult{}, errors.New("bad child input")
		}
		if e.cancel {
			return workflows.InterventionResult{InterventionID: int64(len(e.opened)), Statut: domain.StatutAnnulee}, nil
		}
		if d := in.Intervention.DateLimite.Sub(workflow.Now(ctx)); d > 0 {
			if err := workflow.Sleep(ctx, d); err != nil {
				return workflows.InterventionResult{}, err
			}
		}
		e.derniere = workflow.Now(ctx)
		return workflows.InterventionResult{InterventionID: int64(len(e.opened)), Statut: domain.StatutTerminee}, nil
	}, workflow.RegisterOptions{Name: workflows.InterventionWorkflowName})
	var a *activities.Activities
	env.OnActivity(a.LoadPreventivePlan, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.PreventivePlanInput) (activities.PreventivePlan, error) {
			return e.plan(), nil
		})
	env.OnActivity(a.RecordPreventiveOccurrence, mock.Anything, mock.Anything).Return(activities.PreventiveOccurrenceResult{Created: true}, nil)
	env.OnActivity(a.RecordMaintenance, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordMaintenanceInput) error {
			if in.Date.After(e.derniere) {
				e.derniere = in.Date
			}
			return nil
		})
	if during != nil {
		during(env)
	}
	env.ExecuteWorkflow(workflows.PreventiveMaintenanceWorkflow, in)
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if errors.As(err, &can) {
		var next workflows.PreventiveInput
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			t.Fatal(err)
		}
		return &next, env.Now()
	}
	if err != nil {
		t.Fatalf("preventive run: %v", err)
	}
	return nil, env.Now()
}

func TestPreventiveCycleOverAYear(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	e := &equipment{freq: 30, derniere: t0}
	in := &workflows.PreventiveInput{EquipementID: 3}
	now := t0
	for range 40 {
		if now.After(t0.AddDate(1, 0, 0)) {
			break
		}
		in, now = runCycle(t, e, now, *in, nil)
		if in == nil {
			t.Fatal("cycle ended")
		}
	}
	// Due every 30 days from t0: days 30, 60, ..., 360 fall in the year, then day 390 is opened
	// 7 days early (day 383), after the loop stops at the first run that ends past the year.
	var inYear int
	for i, at := range e.openedAt {
		if !at.After(t0.AddDate(1, 0, 0)) {
			inYear++
		}
		want := t0.AddDate(0, 0, 30*(i+1)-7)
		if !at.Equal(want) {
			t.Errorf("occurrence %d opened %v, want %v (due minus lead time)", i+1, at, want)
		}
		if wantID := workflows.PreventiveInterventionWorkflowID("default-test-taskqueue", 3, t0.AddDate(0, 0, 30*(i+1))); e.opened[i] != wantID {
			t.Errorf("occurrence %d id %s, want %s", i+1, e.opened[i], wantID)
		}
		// Planned to be done by its due date (its date_limite), not started on it.
		if want := t0.AddDate(0, 0, 30*(i+1)-3); !e.planned[i].Equal(want) {
			t.Errorf("occurrence %d planned from %v, want %v", i+1, e.planned[i], want)
		}
	}
	if inYear != 12 {
		t.Fatalf("%d preventive interventions opened in a year, want 12 (%v)", inYear, e.openedAt)
	}
	if in.Cycles != len(e.opened) {
		t.Fatalf("cycles %d, opened %d", in.Cycles, len(e.opened))
	}
}

func TestPreventiveCatchUpOnceAfterDowntime(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	// Last maintenance 100 days ago with a 30-day cycle: three occurrences were missed.
	e := &equipment{freq: 30, derniere: t0.AddDate(0, 0, -100)}
	in, now := runCycle(t, e, t0, workflows.PreventiveInput{EquipementID: 3}, nil)
	if in == nil || len(e.opened) != 1 || !e.openedAt[0].Equal(t0) {
		t.Fatalf("catch-up: opened %v at %v", e.opened, e.openedAt)
	}
	if !e.derniere.Equal(t0.Add(24 * time.Hour)) {
		t.Fatalf("caught-up occurrence completes within a day: %v", e.derniere)
	}
	if len(e.planned) != 1 || !e.planned[0].Equal(t0) {
		t.Fatalf("caught-up occurrence planned from %v, want now", e.planned)
	}
	// The next occurrence is a normal one, 30 days after the catch-up, opened 7 days early.
	in, _ = runCycle(t, e, now, *in, nil)
	if in == nil || len(e.opened) != 2 || !e.openedAt[1].Equal(t0.Add(24*time.Hour).AddDate(0, 0, 23)) {
		t.Fatalf("after the catch-up: opened %v at %v", e.opened, e.openedAt)
	}
}

// A caught-up occurrence that is cancelled does not bring back the other missed ones: the cycle
// resumes at the first due date still ahead.
func TestPreventiveCancelledCatchUpSkipsMissedOccurrences(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	last := t0.AddDate(0, 0, -100) // due dates missed: day -70, -40, -10
	e := &equipment{freq: 30, derniere: last, cancel: true}
	in, now := runCycle(t, e, t0, workflows.PreventiveInput{EquipementID: 3}, nil)
	if in == nil || len(e.opened) != 1 || !e.openedAt[0].Equal(t0) {
		t.Fatalf("catch-up: opened %v at %v", e.opened, e.openedAt)
	}
	in, _ = runCycle(t, e, now, *in, nil)
	next := last.AddDate(0, 0, 120) // day +20
	if in == nil || len(e.opened) != 2 || !e.openedAt[1].Equal(next.Add(-7*24*time.Hour)) ||
		e.opened[1] != workflows.PreventiveInterventionWorkflowID("default-test-taskqueue", 3, next) {
		t.Fatalf("after the cancelled catch-up: opened %v at %v, want one for %v", e.opened, e.openedAt, next)
	}
}

// Work completed on the equipment while the cycle sleeps (no signal: a corrective intervention
// moved derniere_maintenance) pushes the occurrence back instead of opening it at the old date.
func TestPreventiveRereadsTheEquipmentBeforeOpening(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	e := &equipment{freq: 30, derniere: t0}
	in, _ := runCycle(t, e, t0, workflows.PreventiveInput{EquipementID: 3}, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() { e.derniere = t0.AddDate(0, 0, 10) }, 10*24*time.Hour)
	})
	if in == nil || len(e.opened) != 1 || !e.openedAt[0].Equal(t0.AddDate(0, 0, 33)) ||
		e.opened[0] != workflows.PreventiveInterventionWorkflowID("default-test-taskqueue", 3, t0.AddDate(0, 0, 40)) {
		t.Fatalf("after a repair on day 10: opened %v at %v, want one due day 40 opened day 33", e.opened, e.openedAt)
	}
}

func TestPreventiveSignals(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	t.Run("retired ends the cycle", func(t *testing.T) {
		e := &equipment{freq: 30, derniere: t0}
		in, _ := runCycle(t, e, t0, workflows.PreventiveInput{EquipementID: 3}, func(env *testsuite.TestWorkflowEnvironment) {
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalRetired, nil) }, 24*time.Hour)
		})
		if in != nil || len(e.opened) != 0 {
			t.Fatalf("retired equipment kept its cycle: %+v %v", in, e.opened)
		}
	})
	t.Run("frequency changed re-plans at once", func(t *testing.T) {
		e := &equipment{freq: 90, derniere: t0}
		_, _ = runCycle(t, e, t0, workflows.PreventiveInput{EquipementID: 3}, func(env *testsuite.TestWorkflowEnvironment) {
			env.RegisterDelayedCallback(func() { e.freq = 10; env.SignalWorkflow(workflows.SignalFrequencyChanged, 10) }, 24*time.Hour)
		})
		if len(e.opened) != 1 || !e.openedAt[0].Equal(t0.AddDate(0, 0, 3)) {
			t.Fatalf("after the change to 10 days: opened %v at %v", e.opened, e.openedAt)
		}
	})
	t.Run("maintenance done outside the plan resets the cycle", func(t *testing.T) {
		e := &equipment{freq: 30, derniere: t0}
		_, _ = runCycle(t, e, t0, workflows.PreventiveInput{EquipementID: 3}, func(env *testsuite.TestWorkflowEnvironment) {
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(workflows.SignalMaintenanceDone, workflows.MaintenanceDone{Date: t0.AddDate(0, 0, 20)})
			}, 20*24*time.Hour)
		})
		if len(e.opened) != 1 || !e.openedAt[0].Equal(t0.AddDate(0, 0, 43)) {
			t.Fatalf("after a maintenance on day 20: opened %v at %v", e.opened, e.openedAt)
		}
	})
}

// Runs started before the route planner replay the greedy pass (GetVersion answers the default
// version for them).
func TestWeeklyPlanningHandsAssignmentsToInterventions(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	orchestration.Register(env, &activities.Activities{})
	env.OnGetVersion("route-planner", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	var a *activities.Activities
	env.OnActivity(a.PlanWeek, mock.Anything, mock.Anything).Return(activities.PlanWeekResult{
		WeekStart: week,
		Plan: planner.Plan{
			Assignments: []planner.Assignment{
				{InterventionID: 1, TechnicienID: 10, Start: week.Add(8 * time.Hour), Duree: 120},
				{InterventionID: 2, TechnicienID: 10, Start: week.Add(10 * time.Hour), Duree: 60},
				{InterventionID: 3, TechnicienID: 11, Start: week.Add(8 * time.Hour), Duree: 60},
			},
			Unassigned: []planner.Unassigned{{InterventionID: 4, Raison: planner.ReasonNoCompetence}},
		},
		Charge:    []activities.TechnicienCharge{{TechnicienID: 10, Minutes: 180}, {TechnicienID: 11, Minutes: 60}},
		Workflows: map[int64]string{1: "intervention/a", 2: "intervention/b", 3: "intervention/closed"},
		Users:     map[int64]int64{10: 100, 11: 110},
	}, nil)
	var signalled []string
	for _, id := range []string{"intervention/a", "intervention/b"} {
		env.OnSignalExternalWorkflow(mock.Anything, id, "", workflows.SignalPlanned, mock.Anything).Return(
			func(_, wfID, _, _ string, arg any) error { signalled = append(signalled, wfID); return nil })
	}
	env.OnSignalExternalWorkflow(mock.Anything, "intervention/closed", "", workflows.SignalPlanned, mock.Anything).Return(errors.New("workflow closed"))
	var notified []activities.NotifyInput
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.NotifyInput) (activities.NotifyResult, error) {
		notified = append(notified, in)
		return activities.NotifyResult{}, nil
	})
	env.ExecuteWorkflow(workflows.WeeklyPlanningWorkflow, workflows.PlanningInput{})
	var res workflows.PlanningResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(res.Affectations) != 2 || len(res.NonAffectees) != 2 || len(signalled) != 2 || len(res.Charge) != 2 {
		t.Fatalf("result %+v, signalled %v", res, signalled)
	}
	// One notice for technicien 10 (user 100) only — 11's assignment did not go through — and one
	// for the responsables about the unassigned.
	if len(notified) != 2 || len(notified[0].UserIDs) != 1 || notified[0].UserIDs[0] != 100 || notified[1].Roles[0] != domain.RoleResponsable {
		t.Fatalf("notifications %+v", notified)
	}
}

func TestHousekeepingOverdueScanSignalsWorkflows(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	orchestration.Register(env, &activities.Activities{})
	var a *activities.Activities
	env.OnActivity(a.FindOverdue, mock.Anything, mock.Anything).Return(activities.OverdueResult{Interventions: []domain.InterventionWorkflowRef{
		{ID: 1, WorkflowID: "intervention/x"}, {ID: 2, WorkflowID: "intervention/y"},
	}}, nil)
	env.OnSignalExternalWorkflow(mock.Anything, "intervention/x", "", workflows.SignalCheckSLA, mock.Anything).Return(nil)
	env.OnSignalExternalWorkflow(mock.Anything, "intervention/y", "", workflows.SignalCheckSLA, mock.Anything).Return(errors.New("not found"))
	env.ExecuteWorkflow(workflows.HousekeepingWorkflow, workflows.HousekeepingInput{Task: workflows.TaskOverdueScan})
	var res workflows.HousekeepingResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Count != 1 {
		t.Fatalf("overdue scan: %+v %v", res, err)
	}
}
