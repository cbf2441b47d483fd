package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/workflows"
)

// TestE2EWorkerRestartLosesNothing drives create → assign → start → complete through HTTP against
// the dev server, with the worker stopped between two steps: the request sent while no worker
// runs gets 503 workflow_unavailable with Retry-After once MIF_WORKFLOW_WAIT has passed (never a
// request held until the server drops it); a new worker picks the workflow up, the client's
// retry with the same Idempotency-Key answers the transition, and every write happens once.
func TestE2EWorkerRestartLosesNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.WithoutWorker(), apitest.WithEnv("MIF_WORKFLOW_WAIT", "2s"))
	w1 := env.NewWorker(t)
	marie := technicienID(t, env, apitest.Technicien)
	in := createOpen(t, env, "Bout en bout", 1)
	base := "/api/v1/interventions/" + apitest.ID(in.ID)
	step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": marie}, http.StatusOK)

	w1.Stop() // the worker dies between two steps
	key := "start-" + uuid.NewString()
	began := time.Now()
	r := env.Do(t, apitest.Request{Method: "POST", Path: base + "/start", Token: env.Token(apitest.Technicien),
		Header: map[string]string{"Idempotency-Key": key}})
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("the answer without a worker took %v, MIF_WORKFLOW_WAIT is 2s", took)
	}
	if p := r.Problem(t); r.Status != http.StatusServiceUnavailable || p.Code != api.CodeWorkflowUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("start without a worker: %d %+v Retry-After=%q", r.Status, p, r.Header.Get("Retry-After"))
	}
	ctx := context.Background()
	w2 := env.NewWorker(t)
	defer w2.Stop()
	// The client retries after Retry-After (same Idempotency-Key): the update the server held is
	// applied once, and the retry answers its result.
	poll.Until(t, "the retried start answered", func() error {
		r = env.Do(t, apitest.Request{Method: "POST", Path: base + "/start", Token: env.Token(apitest.Technicien),
			Header: map[string]string{"Idempotency-Key": key}})
		if r.Status != http.StatusOK {
			return fmt.Errorf("start: %d %s", r.Status, r.Body)
		}
		return nil
	})
	// The client retries its request (same Idempotency-Key): the transition is not applied twice.
	retry := env.Do(t, apitest.Request{Method: "POST", Path: base + "/start", Token: env.Token(apitest.Technicien),
		Header: map[string]string{"Idempotency-Key": key}})
	if retry.Status != http.StatusOK {
		t.Fatalf("retried start: %d %s", retry.Status, retry.Body)
	}
	d := step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Réparé après redémarrage"}, http.StatusOK)
	if d.Statut != domain.StatutTerminee {
		t.Fatalf("statut %s", d.Statut)
	}

	var res workflows.InterventionResult
	if err := env.Temporal.GetWorkflow(ctx, in.WorkflowID, "").Get(ctx, &res); err != nil || res.Statut != domain.StatutTerminee {
		t.Fatalf("workflow result %+v %v", res, err)
	}
	for action, want := range map[string]int{"creation": 1, "assignation": 1, "demarrage": 1, "cloture": 1} {
		if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1 AND action = $2`, in.ID, action); n != want {
			t.Errorf("historique %s: %d rows, want %d", action, n, want)
		}
	}
	if n := countRows(t, env, `SELECT count(*) FROM plannings WHERE intervention_id = $1`, in.ID); n != 1 {
		t.Errorf("%d plannings", n)
	}
	// The workflow has completed (above), and it completes only once its follow-ups (the
	// notifications among them) are done: every notification it will ever write is written.
	marieUser := env.User(apitest.Technicien).ID
	if n := countRows(t, env, `SELECT count(*) FROM notifications WHERE destinataire_id = $1 AND metadata->>'intervention_id' = $2`, marieUser, apitest.ID(in.ID)); n != 3 {
		t.Fatalf("%d notifications for the technicien, want 3 (one per transition)", n)
	}
	// Search attributes follow the transitions.
	desc, err := describe(ctx, env, in.WorkflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	if desc.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("status %v", desc.WorkflowExecutionInfo.Status)
	}
	sa := desc.WorkflowExecutionInfo.SearchAttributes.GetIndexedFields()
	if string(sa["MifStatut"].GetData()) != `"terminee"` || string(sa["MifTechnicienId"].GetData()) != apitest.ID(marie) {
		t.Fatalf("search attributes: statut=%s technicien=%s", sa["MifStatut"].GetData(), sa["MifTechnicienId"].GetData())
	}
}

// TestE2ESchedulesAreIdempotent creates the Schedules twice (two worker start-ups) and finds each
// in place, with the weekly planning on Monday 06:00 Africa/Casablanca.
func TestE2ESchedulesAreIdempotent(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.WithoutWorker())
	apitest.Exclusive(t, apitest.Schedules)
	ctx := context.Background()
	if env.Config.Workflows != config.DefaultWorkflows() {
		t.Fatalf("the platform's workflow configuration is not the default: %+v", env.Config.Workflows)
	}
	for range 2 {
		if err := env.Workflows.Schedules.EnsureCron(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, id := range []string{workflows.ScheduleWeeklyPlanning, workflows.ScheduleMaintenanceDue, workflows.ScheduleOverdueScan, workflows.SchedulePurgeTokens} {
			_ = env.Temporal.ScheduleClient().GetHandle(ctx, id).Delete(ctx)
		}
	})
	desc, err := env.Temporal.ScheduleClient().GetHandle(ctx, workflows.ScheduleWeeklyPlanning).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := desc.Schedule.Spec
	if spec.TimeZoneName != "Africa/Casablanca" || len(spec.Calendars)+len(spec.CronExpressions) == 0 {
		t.Fatalf("spec %+v", spec)
	}
	next := desc.Info.NextActionTimes
	loc, _ := time.LoadLocation("Africa/Casablanca")
	if len(next) == 0 || next[0].In(loc).Weekday() != time.Monday || next[0].In(loc).Hour() != 6 {
		t.Fatalf("next runs %v", next)
	}
	for _, id := range []string{workflows.ScheduleMaintenanceDue, workflows.ScheduleOverdueScan, workflows.SchedulePurgeTokens} {
		d, err := env.Temporal.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
		if err != nil || d.Schedule.Spec.TimeZoneName != "Africa/Casablanca" {
			t.Fatalf("schedule %s: %v", id, err)
		}
	}
	// Each run a Schedule starts reads in the Web UI as what it does.
	for id, want := range map[string]string{
		workflows.ScheduleWeeklyPlanning: "Planning hebdomadaire — semaine en cours",
		workflows.ScheduleMaintenanceDue: "Entretien quotidien — Avis de maintenance préventive à venir",
		workflows.ScheduleOverdueScan:    "Entretien quotidien — Contrôle des interventions en retard",
		workflows.SchedulePurgeTokens:    "Entretien quotidien — Purge des jetons de rafraîchissement expirés",
	} {
		d, err := env.Temporal.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction); !ok || a.StaticSummary != want || a.StaticDetails == "" {
			t.Errorf("schedule %s: action %+v, want the summary %q and details", id, d.Schedule.Action, want)
		}
	}
}

// TestE2EPreventiveCyclesAtStartUp starts the cycles of the seeded equipment (which never went
// through the API) twice, as two replicas would: each equipment gets one cycle, and, being due in
// five days with a seven-day lead time, exactly one preventive intervention each.
func TestE2EPreventiveCyclesAtStartUp(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	ids, err := env.Store.PreventiveEquipementIDs(ctx)
	if err != nil || len(ids) != 5 {
		t.Fatalf("equipment with a cycle: %v %v", ids, err)
	}
	for range 2 {
		if n, err := env.Workflows.Preventive.Ensure(ctx, ids); err != nil || n != 5 {
			t.Fatalf("ensure: %d %v", n, err)
		}
	}
	// All five are due at the same time: the automatic assignment gives Marie (hydraulique,
	// pneumatique, soudure) her three one after the other, in her working hours, never two
	// overlapping slots.
	waitFor(t, func() bool {
		return countRows(t, env, `SELECT count(DISTINCT equipement_id) FROM interventions WHERE type_intervention = 'preventive'`) == 5
	}, "one preventive intervention per equipment")
	waitFor(t, func() bool {
		return countRows(t, env, `SELECT count(*) FROM interventions WHERE type_intervention = 'preventive' AND statut = 'planifiee'`) == 5
	}, "five automatic assignments")
	if n := countRows(t, env, `SELECT count(*) FROM plannings a JOIN plannings b ON a.technicien_id = b.technicien_id AND a.id < b.id
		AND tstzrange(a.date_planifiee, a.date_planifiee + make_interval(mins => a.duree_estimee))
		 && tstzrange(b.date_planifiee, b.date_planifiee + make_interval(mins => b.duree_estimee))
		JOIN interventions i ON i.id = a.intervention_id WHERE i.type_intervention = 'preventive'`); n != 0 {
		t.Fatalf("%d overlapping preventive slots", n)
	}
	if n := countRows(t, env, `SELECT count(*) FROM plannings p JOIN interventions i ON i.id = p.intervention_id
		WHERE i.type_intervention = 'preventive' AND p.technicien_id = $1`, technicienID(t, env, apitest.Technicien)); n != 3 {
		t.Fatalf("Marie has %d preventive slots, want 3", n)
	}
	conflicts, err := env.Store.PlanningConflicts(ctx, env.Config.Workflows.Timezone, time.Now().AddDate(0, 0, -1), time.Now().AddDate(0, 0, 30), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conflicts {
		if c.Type == storage.ConflictChevauchement || c.Type == storage.ConflictHorsHoraires {
			t.Fatalf("automatic assignment broke a constraint: %+v", c)
		}
	}
	// Every cycle now waits for its intervention (step "intervention"): none can open another,
	// so the count below is final.
	for _, id := range ids {
		poll.Until(t, fmt.Sprintf("the cycle of equipment %d waiting for its intervention", id), func() error {
			v, err := env.Temporal.QueryWorkflow(ctx, workflows.PreventiveWorkflowID(env.Config.Temporal.TaskQueue, id), "", workflows.QueryPreventiveState)
			var st workflows.PreventiveState
			if err == nil {
				err = v.Get(&st)
			}
			if err == nil && st.Etape != "intervention" {
				err = fmt.Errorf("step %q", st.Etape)
			}
			return err
		})
	}
	if n := countRows(t, env, `SELECT count(*) FROM interventions WHERE type_intervention = 'preventive'`); n != 5 {
		t.Fatalf("%d preventive interventions, want 5", n)
	}
}
