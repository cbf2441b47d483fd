package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/temporalerr"
	"github.com/mifmaroc/mif/workflows"
)

// fakeDB plays the part of PostgreSQL behind the mocked activities: it applies the writes the
// workflow asks for and records what happened.
type fakeDB struct {
	mu            sync.Mutex
	row           domain.Intervention
	policy        activities.InterventionPolicy
	writes        []domain.TransitionWrite
	late          int
	escalations   []int
	notifications []activities.NotifyInterventionInput
	candidate     *domain.TechnicienCandidate
	slot          *time.Time // the start a flexible search finds
	flexible      []bool     // the Flexible flag of each search
	taken         int        // the next RequireFree assignments answer SlotTaken
}

func (f *fakeDB) events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, n := range f.notifications {
		out = append(out, n.Notification.Event)
	}
	return out
}

func lifecycleEnv(t *testing.T, f *fakeDB) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	orchestration.Register(env, &activities.Activities{})
	var a *activities.Activities
	env.OnActivity(a.CreateIntervention, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CreateInterventionInput) (activities.CreateInterventionResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.row = domain.Intervention{ID: 42, WorkflowID: in.WorkflowID, Titre: in.Intervention.Titre, Statut: domain.StatutOuverte,
				Priorite: in.Intervention.Priorite, Urgence: in.Intervention.Urgence, TypeIntervention: in.Intervention.TypeIntervention,
				EquipementID: in.Intervention.EquipementID, DateCreation: env.Now()}
			return activities.CreateInterventionResult{Intervention: f.row, Created: true, Policy: f.policy}, nil
		})
	env.OnActivity(a.ApplyTransition, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TransitionInput) (activities.TransitionResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, w := range f.writes {
				if w.EventKey == in.EventKey {
					return activities.TransitionResult{Intervention: f.row}, nil
				}
			}
			if f.row.Statut != in.De {
				return activities.TransitionResult{}, temporalerr.Wrap(domain.CheckTransition(f.row.Statut, in.Vers))
			}
			if in.RequireFree && f.taken > 0 {
				f.taken--
				return activities.TransitionResult{SlotTaken: true}, nil
			}
			f.writes = append(f.writes, in.TransitionWrite)
			f.row.Statut = in.Vers
			if in.TechnicienID != nil {
				f.row.TechnicienID = in.TechnicienID
			}
			if in.Vers == domain.StatutTerminee {
				at := in.Date
				f.row.DateFin = &at
			}
			return activities.TransitionResult{Intervention: f.row, Applied: true}, nil
		})
	env.OnActivity(a.FindTechnicien, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FindTechnicienInput) (activities.FindTechnicienResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.flexible = append(f.flexible, in.Flexible)
			if in.Flexible && f.candidate != nil {
				return activities.FindTechnicienResult{Technicien: f.candidate, Start: f.slot}, nil
			}
			return activities.FindTechnicienResult{Technicien: f.candidate}, nil
		})
	env.OnActivity(a.MarkLate, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.MarkLateInput) (activities.TransitionResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.late++
			f.row.EnRetard = true
			return activities.TransitionResult{Intervention: f.row, Applied: true}, nil
		})
	env.OnActivity(a.RecordEscalation, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordEscalationInput) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.escalations = append(f.escalations, in.Level)
			return nil
		})
	env.OnActivity(a.NotifyIntervention, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NotifyInterventionInput) (activities.NotifyResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.notifications = append(f.notifications, in)
			return activities.NotifyResult{}, nil
		})
	return env
}

func newIntervention(p domain.Priorite) workflows.InterventionInput {
	return workflows.InterventionInput{Intervention: domain.NewIntervention{
		Titre: "Fuite hydraulique", Description: "Fuite sur le circuit principal", TypeIntervention: domain.TypeCorrective,
		Priorite: p, EquipementID: 1,
	}}
}

// update sends an update at delay and keeps its outcome.
type call struct {
	name     string
	req      workflows.TransitionRequest
	accepted bool
	err      error
	row      domain.Intervention
	done     bool
}

func send(env *testsuite.TestWorkflowEnvironment, at time.Duration, name string, req workflows.TransitionRequest) *call {
	c := &call{name: name, req: req}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept: func() { c.accepted = true },
			OnReject: func(err error) { c.err, c.done = err, true },
			OnComplete: func(v any, err error) {
				c.err, c.done = err, true
				c.row, _ = v.(domain.Intervention)
			},
		}, req)
	}, at)
	return c
}

func create(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateCreate, "create", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(error) {}, OnComplete: func(any, error) {},
		})
	}, 0)
}

func query(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.InterventionState {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.QueryState)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	var st workflows.InterventionState
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func conflictKind(err error) error {
	de, _ := temporalerr.Unwrap(err)
	return de
}

func TestLifecycleEveryTransition(t *testing.T) {
	f := &fakeDB{}
	env := lifecycleEnv(t, f)
	tech, other := int64(5), int64(6)
	create(env)
	early := send(env, time.Minute, workflows.UpdateStart, workflows.TransitionRequest{})
	assign := send(env, 2*time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech, DureeEstimee: 90})
	intruder := send(env, 3*time.Minute, workflows.UpdateStart, workflows.TransitionRequest{Acteur: workflows.Acteur{UserID: 9, Role: domain.RoleTechnicien, TechnicienID: &other}})
	start := send(env, 4*time.Minute, workflows.UpdateStart, workflows.TransitionRequest{Acteur: workflows.Acteur{UserID: 8, Role: domain.RoleTechnicien, TechnicienID: &tech}})
	pause := send(env, 5*time.Minute, workflows.UpdatePause, workflows.TransitionRequest{})
	resume := send(env, 6*time.Minute, workflows.UpdateResume, workflows.TransitionRequest{})
	noReport := send(env, 7*time.Minute, workflows.UpdateComplete, workflows.TransitionRequest{})
	rapport := "Joint remplacé"
	complete := send(env, 8*time.Minute, workflows.UpdateComplete, workflows.TransitionRequest{Rapport: &rapport})
	var mid workflows.InterventionState
	env.RegisterDelayedCallback(func() { mid = query(t, env) }, 7*time.Minute+30*time.Second)
	env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteNormale))

	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed=%v err=%v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var res workflows.InterventionResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Statut != domain.StatutTerminee || res.InterventionID != 42 {
		t.Fatalf("result %+v (%v)", res, err)
	}
	if early.accepted || !errors.Is(conflictKind(early.err), domain.ErrInvalidTransition) {
		t.Errorf("start while ouverte: accepted=%v err=%v", early.accepted, early.err)
	}
	if intruder.accepted || !errors.Is(conflictKind(intruder.err), domain.ErrForbidden) {
		t.Errorf("start by another technicien: accepted=%v err=%v", intruder.accepted, intruder.err)
	}
	var ve *domain.ValidationError
	if noReport.accepted || !errors.As(conflictKind(noReport.err), &ve) {
		t.Errorf("complete without report: %+v", noReport)
	}
	for _, c := range []*call{assign, start, pause, resume, complete} {
		if !c.accepted || c.err != nil || !c.done {
			t.Errorf("%s: %+v", c.name, c)
		}
	}
	if assign.row.Statut != domain.StatutPlanifiee || start.row.Statut != domain.StatutEnCours || pause.row.Statut != domain.StatutEnAttente ||
		resume.row.Statut != domain.StatutEnCours || complete.row.Statut != domain.StatutTerminee {
		t.Errorf("statuses: %s %s %s %s %s", assign.row.Statut, start.row.Statut, pause.row.Statut, resume.row.Statut, complete.row.Statut)
	}
	// Rejected updates wrote nothing: five writes, five distinct event keys, five notifications.
	if len(f.writes) != 5 {
		t.Fatalf("writes: %+v", f.writes)
	}
	keys := map[string]bool{}
	for _, w := range f.writes {
		keys[w.EventKey] = true
	}
	if len(keys) != 5 || f.writes[0].DatePlanifiee == nil || f.writes[0].DureeEstimee != 90 || f.writes[1].Action != "demarrage" || f.writes[3].Action != "reprise" {
		t.Fatalf("writes: %+v", f.writes)
	}
	if ev := f.events(); len(ev) != 5 || ev[4] != "intervention.cloture" {
		t.Fatalf("notifications: %v", ev)
	}
	if mid.Statut != domain.StatutEnCours || len(mid.Historique) != 5 || mid.Historique[0].Action != "creation" || mid.Historique[1].Action != "assignation" {
		t.Fatalf("query mid-way: %+v", mid)
	}
}

func TestLifecycleSLAClockPausesAndMarksLate(t *testing.T) {
	f := &fakeDB{}
	env := lifecycleEnv(t, f)
	start := env.Now()
	deadline := start.Add(4 * time.Hour)
	f.policy = activities.InterventionPolicy{Deadline: &deadline, DeadlineSource: activities.SLASourcePriorite}
	tech := int64(5)
	create(env)
	send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech})
	send(env, 2*time.Minute, workflows.UpdateStart, workflows.TransitionRequest{})
	send(env, time.Hour, workflows.UpdatePause, workflows.TransitionRequest{})
	// Paused for ten hours: the deadline (4 h after creation) passes but the clock is stopped.
	var paused, beforeLate, afterLate workflows.InterventionState
	var lateAtPause, lateBefore int
	env.RegisterDelayedCallback(func() { paused, lateAtPause = query(t, env), f.late }, 10*time.Hour)
	send(env, 11*time.Hour, workflows.UpdateResume, workflows.TransitionRequest{})
	// 3 h were left at the pause: the new deadline is 14 h.
	env.RegisterDelayedCallback(func() { beforeLate, lateBefore = query(t, env), f.late }, 13*time.Hour+59*time.Minute)
	env.RegisterDelayedCallback(func() { afterLate = query(t, env) }, 14*time.Hour+time.Minute)
	send(env, 15*time.Hour, workflows.UpdateCancel, workflows.TransitionRequest{})
	env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteCritique))

	if env.GetWorkflowError() != nil {
		t.Fatal(env.GetWorkflowError())
	}
	if lateAtPause != 0 || paused.EnRetard || !paused.SLA.EnPause || paused.SLA.RestantSecondes == nil || *paused.SLA.RestantSecondes != int64(3*time.Hour/time.Second) {
		t.Fatalf("while paused: late=%d %+v", lateAtPause, paused.SLA)
	}
	if lateBefore != 0 || beforeLate.EnRetard || beforeLate.SLA.Echeance == nil || !beforeLate.SLA.Echeance.Equal(start.Add(14*time.Hour)) {
		t.Fatalf("before the new deadline: %+v", beforeLate)
	}
	if len(beforeLate.TimersEnAttente) != 1 || beforeLate.TimersEnAttente[0].Nom != "sla" {
		t.Fatalf("pending timers: %+v", beforeLate.TimersEnAttente)
	}
	if f.late != 1 || !afterLate.EnRetard {
		t.Fatalf("after the deadline: late=%d state=%+v", f.late, afterLate)
	}
	found := false
	for _, n := range f.notifications {
		if n.Notification.Event == "intervention.en_retard" && n.Stakeholders && len(n.Roles) == 1 {
			found = true
		}
	}
	if !found {
		t.Fatalf("no late notification: %v", f.events())
	}
}

func TestEscalationLevelsFire(t *testing.T) {
	f := &fakeDB{}
	env := lifecycleEnv(t, f)
	f.policy = activities.InterventionPolicy{Escalate: true, EscalateAssignAfter: 30 * time.Minute, EscalateStartAfter: 2 * time.Hour}
	create(env)
	var at20, at40, at130 workflows.InterventionState
	var esc40 []int
	env.RegisterDelayedCallback(func() { at20 = query(t, env) }, 20*time.Minute)
	env.RegisterDelayedCallback(func() { at40, esc40 = query(t, env), append([]int(nil), f.escalations...) }, 40*time.Minute)
	env.RegisterDelayedCallback(func() { at130 = query(t, env) }, 130*time.Minute)
	send(env, 3*time.Hour, workflows.UpdateCancel, workflows.TransitionRequest{})
	env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteCritique))
	if env.GetWorkflowError() != nil {
		t.Fatal(env.GetWorkflowError())
	}
	if at20.NiveauEscalade != 0 || len(at20.TimersEnAttente) != 2 {
		t.Fatalf("at 20 min: %+v", at20)
	}
	if len(esc40) != 1 || esc40[0] != 1 || at40.NiveauEscalade != 1 {
		t.Fatalf("at 40 min: escalations=%v state=%+v", esc40, at40)
	}
	if at130.NiveauEscalade != 2 || len(f.escalations) != 2 {
		t.Fatalf("at 130 min: escalations=%v state=%+v", f.escalations, at130)
	}
	roles := map[int][]domain.Role{}
	for _, n := range f.notifications {
		if n.Notification.Event == "intervention.escalade" {
			lvl, _ := n.Notification.Metadata["niveau"].(float64) // JSON through the activity
			roles[int(lvl)] = n.Roles
		}
	}
	if len(roles[1]) != 1 || roles[1][0] != domain.RoleResponsable || len(roles[2]) != 1 || roles[2][0] != domain.RoleAdmin {
		t.Fatalf("escalation recipients: %v", roles)
	}
}

func TestEscalationCancelledWhenInterventionMovesOn(t *testing.T) {
	f := &fakeDB{}
	env := lifecycleEnv(t, f)
	f.policy = activities.InterventionPolicy{Escalate: true, EscalateAssignAfter: 30 * time.Minute, EscalateStartAfter: 2 * time.Hour}
	tech := int64(5)
	create(env)
	send(env, 10*time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech})
	var at40 workflows.InterventionState
	env.RegisterDelayedCallback(func() { at40 = query(t, env) }, 40*time.Minute)
	send(env, time.Hour, workflows.UpdateStart, workflows.TransitionRequest{})
	rapport := "fait"
	send(env, 5*time.Hour, workflows.UpdateComplete, workflows.TransitionRequest{Rapport: &rapport})
	env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteCritique))
	if env.GetWorkflowError() != nil {
		t.Fatal(env.GetWorkflowError())
	}
	if len(f.escalations) != 0 {
		t.Fatalf("escalated although the intervention moved on in time: %v", f.escalations)
	}
	if len(at40.TimersEnAttente) != 1 || at40.TimersEnAttente[0].Nom != "escalade_niveau_2" {
		t.Fatalf("after assignment only level 2 is pending: %+v", at40.TimersEnAttente)
	}
}

func TestAutomaticAssignment(t *testing.T) {
	t.Run("best candidate", func(t *testing.T) {
		f := &fakeDB{candidate: &domain.TechnicienCandidate{TechnicienID: 7, UserID: 70}}
		env := lifecycleEnv(t, f)
		create(env)
		c := send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{})
		send(env, time.Hour, workflows.UpdateCancel, workflows.TransitionRequest{})
		env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteNormale))
		if c.err != nil || c.row.TechnicienID == nil || *c.row.TechnicienID != 7 || f.writes[0].DureeEstimee != 120 {
			t.Fatalf("automatic assignment: %+v writes=%+v", c, f.writes)
		}
	})
	t.Run("nearest working slot", func(t *testing.T) {
		f := &fakeDB{candidate: &domain.TechnicienCandidate{TechnicienID: 7, UserID: 70}}
		env := lifecycleEnv(t, f)
		slot := env.Now().Add(60 * time.Hour)
		f.slot = &slot
		asked := env.Now().Add(3 * time.Hour)
		create(env)
		// No date: the search may move it (to the slot found). A precise date: it stands.
		free := send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{})
		precise := send(env, 2*time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{DatePlanifiee: &asked})
		send(env, time.Hour, workflows.UpdateCancel, workflows.TransitionRequest{})
		env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteNormale))
		if free.err != nil || precise.err != nil || len(f.writes) != 3 {
			t.Fatalf("assignments: %+v %+v writes=%+v", free, precise, f.writes)
		}
		if len(f.flexible) != 2 || !f.flexible[0] || f.flexible[1] {
			t.Fatalf("flexible searches: %v", f.flexible)
		}
		if !f.writes[0].DatePlanifiee.Equal(slot) || !f.writes[1].DatePlanifiee.Equal(asked) {
			t.Fatalf("planned at %v and %v, want %v and %v", f.writes[0].DatePlanifiee, f.writes[1].DatePlanifiee, slot, asked)
		}
	})
	t.Run("critical work is planned at once, at any hour", func(t *testing.T) {
		f := &fakeDB{candidate: &domain.TechnicienCandidate{TechnicienID: 7, UserID: 70}}
		f.policy = activities.InterventionPolicy{Escalate: true, EscalateAssignAfter: time.Hour, EscalateStartAfter: 2 * time.Hour}
		env := lifecycleEnv(t, f)
		slot := env.Now().Add(60 * time.Hour)
		f.slot = &slot
		create(env)
		c := send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{})
		send(env, 30*time.Minute, workflows.UpdateCancel, workflows.TransitionRequest{})
		env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteCritique))
		if c.err != nil || len(f.flexible) != 1 || f.flexible[0] || f.writes[0].DatePlanifiee.After(env.Now().Add(time.Hour)) {
			t.Fatalf("critical assignment: %+v searches=%v writes=%+v", c, f.flexible, f.writes)
		}
	})
	t.Run("slot taken meanwhile", func(t *testing.T) {
		f := &fakeDB{candidate: &domain.TechnicienCandidate{TechnicienID: 7, UserID: 70}, taken: 1}
		env := lifecycleEnv(t, f)
		create(env)
		c := send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{})
		send(env, time.Hour, workflows.UpdateCancel, workflows.TransitionRequest{})
		env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteNormale))
		// The first write found the slot taken: a second search, then one write.
		if c.err != nil || len(f.flexible) != 2 || len(f.writes) != 2 || !f.writes[0].RequireFree || f.writes[0].Vers != domain.StatutPlanifiee {
			t.Fatalf("assignment after a taken slot: %+v searches=%v writes=%+v", c, f.flexible, f.writes)
		}
	})
	t.Run("slot always taken", func(t *testing.T) {
		f := &fakeDB{candidate: &domain.TechnicienCandidate{TechnicienID: 7, UserID: 70}, taken: 10}
		env := lifecycleEnv(t, f)
		create(env)
		c := send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{})
		var st workflows.InterventionState
		env.RegisterDelayedCallback(func() { st = query(t, env) }, 2*time.Minute)
		send(env, time.Hour, workflows.UpdateCancel, workflows.TransitionRequest{})
		env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteNormale))
		if !errors.Is(conflictKind(c.err), domain.ErrConflict) || len(f.flexible) != 3 || st.Statut != domain.StatutOuverte {
			t.Fatalf("assignment with its slot always taken: %+v searches=%v state %s", c, f.flexible, st.Statut)
		}
	})
	t.Run("chosen slot taken meanwhile", func(t *testing.T) {
		f := &fakeDB{taken: 1}
		env := lifecycleEnv(t, f)
		tech := int64(5)
		when := env.Now().Add(48 * time.Hour)
		create(env)
		c := send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech, DatePlanifiee: &when, RequireFree: true})
		again := send(env, 2*time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech, DatePlanifiee: &when, RequireFree: true})
		send(env, time.Hour, workflows.UpdateCancel, workflows.TransitionRequest{})
		env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteNormale))
		if !errors.Is(conflictKind(c.err), domain.ErrConflict) || len(f.flexible) != 0 {
			t.Fatalf("a chosen slot taken meanwhile: %+v searches=%v", c, f.flexible)
		}
		if again.err != nil || len(f.writes) != 2 || !f.writes[0].RequireFree || *f.writes[0].TechnicienID != tech {
			t.Fatalf("the same slot once free: %+v writes=%+v", again, f.writes)
		}
	})
	t.Run("nobody fits", func(t *testing.T) {
		f := &fakeDB{}
		env := lifecycleEnv(t, f)
		create(env)
		c := send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{})
		var st workflows.InterventionState
		env.RegisterDelayedCallback(func() { st = query(t, env) }, 2*time.Minute)
		send(env, time.Hour, workflows.UpdateCancel, workflows.TransitionRequest{})
		env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteNormale))
		if !errors.Is(conflictKind(c.err), domain.ErrConflict) || st.Statut != domain.StatutOuverte {
			t.Fatalf("assignment without candidate: %+v, state %s", c, st.Statut)
		}
		if ev := f.events(); len(ev) < 1 || ev[0] != "intervention.unassigned" || f.notifications[0].Roles[0] != domain.RoleResponsable {
			t.Fatalf("responsables not told: %v", ev)
		}
	})
}

func TestPlannedSignalAssignsOnlyOpenInterventions(t *testing.T) {
	f := &fakeDB{}
	env := lifecycleEnv(t, f)
	create(env)
	planned, manual := int64(8), int64(9)
	when := env.Now().Add(48 * time.Hour)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalPlanned, workflows.TransitionRequest{TechnicienID: &planned, DatePlanifiee: &when, DureeEstimee: 60})
	}, time.Minute)
	send(env, 2*time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &manual})
	// A second plan arrives after the manual re-assignment: ignored.
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalPlanned, workflows.TransitionRequest{TechnicienID: &planned, DatePlanifiee: &when, DureeEstimee: 60})
	}, 3*time.Minute)
	send(env, time.Hour, workflows.UpdateCancel, workflows.TransitionRequest{})
	env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteNormale))
	if env.GetWorkflowError() != nil {
		t.Fatal(env.GetWorkflowError())
	}
	if len(f.writes) != 3 || *f.writes[0].TechnicienID != planned || !f.writes[0].DatePlanifiee.Equal(when) ||
		*f.writes[1].TechnicienID != manual || f.writes[2].Vers != domain.StatutAnnulee {
		t.Fatalf("writes %+v", f.writes)
	}
}

// upsertsEnv is a lifecycle run whose SLA deadline is 4 h after its start.
func upsertsEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	f := &fakeDB{}
	env := lifecycleEnv(t, f)
	deadline := env.Now().Add(4 * time.Hour)
	f.policy = activities.InterventionPolicy{Deadline: &deadline, DeadlineSource: activities.SLASourcePriorite}
	return env
}

// recordUpserts records the run's search-attribute upserts as format writes them.
func recordUpserts(env *testsuite.TestWorkflowEnvironment, format func(temporal.SearchAttributes) string) func() []string {
	var mu sync.Mutex
	var seen []string
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		s := format(args.Get(0).(temporal.SearchAttributes))
		mu.Lock()
		seen = append(seen, s)
		mu.Unlock()
	}).Return(nil)
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// A run whose start carried the row's search attributes (the API's creates) upserts only what
// changed: nothing at its creation, then the fields each transition moves.
func TestSearchAttributesGivenAtStartAreNotSentAgain(t *testing.T) {
	env := upsertsEnv(t)
	seen := recordUpserts(env, func(sa temporal.SearchAttributes) string {
		var parts []string
		for k, v := range sa.GetUntypedValues() {
			parts = append(parts, fmt.Sprintf("%s=%v", k.GetName(), v))
		}
		slices.Sort(parts)
		return strings.Join(parts, ",")
	})
	in := newIntervention(domain.PrioriteHaute)
	in.StartSearchAttributes = true
	env.SetTypedSearchAttributesOnStart(workflows.StartSearchAttributes(42, in.Intervention))
	tech := int64(5)
	rapport := "fait"
	create(env)
	send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech})
	send(env, 2*time.Minute, workflows.UpdateStart, workflows.TransitionRequest{})
	send(env, 5*time.Hour, workflows.UpdateComplete, workflows.TransitionRequest{Rapport: &rapport})
	env.ExecuteWorkflow(workflows.InterventionWorkflow, in)
	if env.GetWorkflowError() != nil {
		t.Fatal(env.GetWorkflowError())
	}
	want := []string{
		"MifStatut=planifiee,MifTechnicienId=5", "MifStatut=en_cours", "MifEnRetard=true",
		"MifStatut=terminee",
	}
	if got := seen(); !slices.Equal(got, want) {
		t.Fatalf("search attributes upserted:\n got %v\nwant %v", got, want)
	}
}

// Every change of the row reaches the search attributes, so that the Web UI filters see it.
func TestSearchAttributesFollowEveryTransition(t *testing.T) {
	env := upsertsEnv(t)
	seen := recordUpserts(env, func(sa temporal.SearchAttributes) string {
		statut, _ := sa.GetKeyword(workflows.SAStatut)
		late, _ := sa.GetBool(workflows.SAEnRetard)
		prio, _ := sa.GetKeyword(workflows.SAPriorite)
		id, _ := sa.GetInt64(workflows.SAInterventionID)
		eq, _ := sa.GetInt64(workflows.SAEquipementID)
		tech, hasTech := sa.GetInt64(workflows.SATechnicienID)
		s := fmt.Sprintf("%s/%v/%s/%d/%d", statut, late, prio, id, eq)
		if hasTech {
			s += fmt.Sprintf("/t%d", tech)
		}
		return s
	})
	tech := int64(5)
	rapport := "fait"
	create(env)
	send(env, time.Minute, workflows.UpdateAssign, workflows.TransitionRequest{TechnicienID: &tech})
	send(env, 2*time.Minute, workflows.UpdateStart, workflows.TransitionRequest{})
	send(env, 3*time.Minute, workflows.UpdatePause, workflows.TransitionRequest{})
	send(env, 4*time.Minute, workflows.UpdateResume, workflows.TransitionRequest{})
	// The deadline passes at 4 h (one minute was paused): en_retard is upserted too.
	send(env, 5*time.Hour, workflows.UpdateComplete, workflows.TransitionRequest{Rapport: &rapport})
	env.ExecuteWorkflow(workflows.InterventionWorkflow, newIntervention(domain.PrioriteHaute))
	if env.GetWorkflowError() != nil {
		t.Fatal(env.GetWorkflowError())
	}
	want := []string{
		"ouverte/false/haute/42/1", "planifiee/false/haute/42/1/t5", "en_cours/false/haute/42/1/t5",
		"en_attente/false/haute/42/1/t5", "en_cours/false/haute/42/1/t5", "en_cours/true/haute/42/1/t5",
		"terminee/true/haute/42/1/t5",
	}
	if got := seen(); !slices.Equal(got, want) {
		t.Fatalf("search attributes upserted:\n got %v\nwant %v", got, want)
	}
}
