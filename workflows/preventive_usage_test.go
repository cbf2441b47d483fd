package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

// usageFake is the database behind a usage or whichever-first plan: the plan row and meter
// (domain.PlanPreventif, its forecast computed by the real Prevoir), and the occurrences table,
// one row per key, whose first insert restarts the counters as the store does.
type usageFake struct {
	mu       sync.Mutex
	plan     domain.PlanPreventif
	keys     map[string]activities.PreventiveOccurrenceInput
	recorded int // calls of RecordPreventiveOccurrence
	opened   []string
	done     bool // occurrences complete at once and move the last maintenance
}

func newUsageFake(decl string, freq int, interval float64, base time.Time) *usageFake {
	f := &usageFake{keys: map[string]activities.PreventiveOccurrenceInput{}}
	compteur, zero := int64(7), 0.0
	f.plan = domain.PlanPreventif{EquipementID: 5, Declencheur: decl, BaseCalendrier: base, UsageCumule: &zero}
	if freq > 0 {
		f.plan.FrequenceJours = &freq
	}
	if interval > 0 {
		f.plan.CompteurID, f.plan.IntervalleUsage = &compteur, &interval
	}
	return f
}

// reading records a meter total at a date with the meter's rate per day.
func (f *usageFake) reading(total float64, at time.Time, rate float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan.UsageCumule, f.plan.DateReleve, f.plan.UsageJour = &total, &at, &rate
}

func (f *usageFake) load() activities.PreventivePlan {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.plan
	p.Prevoir()
	return activities.PreventivePlanFrom(p, "Compresseur", nil, 7*24*time.Hour, 120)
}

// run executes one run of the cycle from now; during registers the test's callbacks. It returns
// the next run's input (nil when the cycle ended).
func (f *usageFake) run(t *testing.T, now time.Time, in workflows.PreventiveInput, during func(env *testsuite.TestWorkflowEnvironment)) *workflows.PreventiveInput {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(now)
	env.RegisterWorkflowWithOptions(workflows.PreventiveMaintenanceWorkflow, workflow.RegisterOptions{Name: workflows.PreventiveMaintenanceWorkflowName})
	env.RegisterActivity(&activities.Activities{})
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.InterventionInput) (workflows.InterventionResult, error) {
		f.mu.Lock()
		f.opened = append(f.opened, workflow.GetInfo(ctx).WorkflowExecution.ID)
		done := f.done
		if done {
			f.plan.BaseCalendrier = workflow.Now(ctx)
		}
		f.mu.Unlock()
		if in.Intervention.TypeIntervention != domain.TypePreventive || in.Intervention.DateLimite == nil {
			return workflows.InterventionResult{}, errors.New("bad child input")
		}
		if !done {
			return workflows.InterventionResult{Statut: domain.StatutAnnulee}, nil
		}
		return workflows.InterventionResult{Statut: domain.StatutTerminee}, nil
	}, workflow.RegisterOptions{Name: workflows.InterventionWorkflowName})
	var a *activities.Activities
	env.OnActivity(a.LoadPreventivePlan, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.PreventivePlanInput) (activities.PreventivePlan, error) {
			return f.load(), nil
		})
	env.OnActivity(a.RecordPreventiveOccurrence, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PreventiveOccurrenceInput) (activities.PreventiveOccurrenceResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.recorded++
			if _, ok := f.keys[in.Cle]; ok {
				return activities.PreventiveOccurrenceResult{}, nil
			}
			f.keys[in.Cle] = in
			if in.Declencheur != domain.DeclencheurCalendrier {
				f.plan.UsageBase = *f.plan.UsageCumule
				ref := in.Reference
				f.plan.DateReference = &ref
			}
			return activities.PreventiveOccurrenceResult{Created: true}, nil
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
		return &next
	}
	if err != nil {
		t.Fatalf("preventive run: %v", err)
	}
	return nil
}

func queryState(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.PreventiveState {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.QueryPreventiveState)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.PreventiveState
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// A burst of readings crossing the threshold, then more while the occurrence is open: one
// occurrence, keyed on the threshold; the next run waits for the next threshold.
func TestPreventiveUsageBurstOpensOnce(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f := newUsageFake(domain.DeclencheurUsage, 0, 500, t0)
	f.reading(100, t0, 20)
	in := f.run(t, t0, workflows.PreventiveInput{EquipementID: 5}, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			for i := range 25 {
				f.reading(480+float64(i)*2, t0.Add(time.Hour+time.Duration(i)*time.Minute), 20)
				env.SignalWorkflow(workflows.SignalReleves, workflows.RelevesRecorded{CompteurID: 7})
			}
		}, time.Hour)
	})
	if in == nil || len(f.opened) != 1 || len(f.keys) != 1 || f.recorded != 1 {
		t.Fatalf("next %v, opened %v, occurrences %v (%d calls)", in, f.opened, f.keys, f.recorded)
	}
	if want := workflows.PreventiveUsageInterventionWorkflowID("default-test-taskqueue", 5, 7, 500); f.opened[0] != want {
		t.Fatalf("occurrence %s, want %s", f.opened[0], want)
	}
	occ := f.keys["usage/7/500"]
	if occ.Cause != domain.DeclencheurUsage || occ.Declencheur != domain.DeclencheurUsage || occ.UsageCumule != 528 {
		t.Fatalf("occurrence %+v", occ)
	}
	// The next run: the count restarted from 528, the next threshold is 1028; more readings
	// below it open nothing.
	f.run(t, t0.Add(2*time.Hour), *in, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			f.reading(900, t0.Add(3*time.Hour), 20)
			env.SignalWorkflow(workflows.SignalReleves, workflows.RelevesRecorded{CompteurID: 7})
		}, time.Hour)
		env.RegisterDelayedCallback(func() {
			if st := queryState(t, env); st.SeuilUsage == nil || *st.SeuilUsage != 1028 || *st.UsageCumule != 900 {
				t.Errorf("state %+v", st)
			}
			env.SignalWorkflow(workflows.SignalRetired, nil)
		}, 2*time.Hour)
	})
	if len(f.opened) != 1 {
		t.Fatalf("opened %v", f.opened)
	}
}

// The forecast follows the meter's rate: what remains to the threshold at the rate per day.
func TestPreventiveUsageForecast(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f := newUsageFake(domain.DeclencheurUsage, 0, 500, t0)
	f.reading(100, t0, 20)
	f.run(t, t0, workflows.PreventiveInput{EquipementID: 5}, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			st := queryState(t, env)
			if want := t0.AddDate(0, 0, 20); st.PrevisionUsage == nil || !st.PrevisionUsage.Equal(want) || !st.Prochaine.Equal(want) {
				t.Errorf("forecast at 20/day: %+v, want %v", st, want)
			}
			// Twice the rate, from a reading a day later: 300 left at 40 a day.
			f.reading(200, t0.AddDate(0, 0, 1), 40)
			env.SignalWorkflow(workflows.SignalReleves, workflows.RelevesRecorded{CompteurID: 7})
		}, time.Hour)
		env.RegisterDelayedCallback(func() {
			st := queryState(t, env)
			if want := t0.AddDate(0, 0, 1).Add(7*24*time.Hour + 12*time.Hour); st.PrevisionUsage == nil || !st.PrevisionUsage.Equal(want) {
				t.Errorf("forecast at 40/day: %+v, want %v", st.PrevisionUsage, want)
			}
			env.SignalWorkflow(workflows.SignalRetired, nil)
		}, 2*time.Hour)
	})
	if len(f.opened) != 0 {
		t.Fatalf("opened %v", f.opened)
	}
}

// Whichever comes first, the calendar first: the calendar occurrence opens on its date and
// restarts the usage count from the meter's total then.
func TestPreventiveWhicheverCalendarFirst(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f := newUsageFake(domain.DeclencheurPremierAtteint, 30, 500, t0)
	f.done = true
	f.reading(0, t0, 5)
	in := f.run(t, t0, workflows.PreventiveInput{EquipementID: 5}, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			f.reading(100, t0.AddDate(0, 0, 10), 10)
			env.SignalWorkflow(workflows.SignalReleves, workflows.RelevesRecorded{CompteurID: 7})
		}, 10*24*time.Hour)
	})
	due := t0.AddDate(0, 0, 30)
	if in == nil || len(f.opened) != 1 || f.opened[0] != workflows.PreventiveInterventionWorkflowID("default-test-taskqueue", 5, due) {
		t.Fatalf("opened %v", f.opened)
	}
	occ := f.keys["calendrier/"+due.Format(time.DateOnly)]
	if occ.Cause != domain.DeclencheurCalendrier || occ.Declencheur != domain.DeclencheurPremierAtteint {
		t.Fatalf("occurrence %+v", occ)
	}
	if f.plan.UsageBase != 100 || !f.plan.DateReference.Equal(due) {
		t.Fatalf("usage count restarts from 100 at the due date: %v %v", f.plan.UsageBase, f.plan.DateReference)
	}
}

// Whichever comes first, the usage first: the threshold crossed on day 10 opens the occurrence
// then, and the calendar counts from it (not from the last maintenance), even when the
// occurrence brought no maintenance.
func TestPreventiveWhicheverUsageFirst(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f := newUsageFake(domain.DeclencheurPremierAtteint, 90, 500, t0)
	f.reading(0, t0, 5)
	day10 := t0.AddDate(0, 0, 10)
	in := f.run(t, t0, workflows.PreventiveInput{EquipementID: 5}, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			if st := queryState(t, env); !st.ProchaineCalendrier.Equal(t0.AddDate(0, 0, 90)) {
				t.Errorf("calendar due %v", st.ProchaineCalendrier)
			}
			f.reading(510, day10, 51)
			env.SignalWorkflow(workflows.SignalReleves, workflows.RelevesRecorded{CompteurID: 7})
		}, 10*24*time.Hour)
	})
	if in == nil || len(f.opened) != 1 || f.opened[0] != workflows.PreventiveUsageInterventionWorkflowID("default-test-taskqueue", 5, 7, 500) {
		t.Fatalf("opened %v", f.opened)
	}
	if occ := f.keys["usage/7/500"]; occ.Cause != domain.DeclencheurUsage || occ.Declencheur != domain.DeclencheurPremierAtteint {
		t.Fatalf("occurrence %+v", occ)
	}
	f.run(t, day10.Add(time.Minute), *in, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			st := queryState(t, env)
			if want := day10.AddDate(0, 0, 90); st.ProchaineCalendrier == nil || !st.ProchaineCalendrier.Equal(want) {
				t.Errorf("calendar restarts from the usage occurrence: %v, want %v", st.ProchaineCalendrier, want)
			}
			if st.SeuilUsage == nil || *st.SeuilUsage != 1010 {
				t.Errorf("next threshold %v", st.SeuilUsage)
			}
			env.SignalWorkflow(workflows.SignalRetired, nil)
		}, time.Hour)
	})
	if len(f.opened) != 1 {
		t.Fatalf("opened %v", f.opened)
	}
}
