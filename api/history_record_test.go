package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/workflows"
)

// describe is DescribeWorkflow's raw answer (the execution info, search attributes, status).
func describe(ctx context.Context, env *apitest.Env, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	d, err := env.Temporal.DescribeWorkflow(ctx, workflowID, runID)
	if err != nil {
		return nil, err
	}
	return d.RawResponse, nil
}

// history fetches the event history of one run.
func history(t *testing.T, c client.Client, workflowID, runID string) *historypb.History {
	t.Helper()
	ctx := context.Background()
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	return h
}

func replayer() worker.WorkflowReplayer {
	r := worker.NewWorkflowReplayer()
	orchestration.RegisterWorkflows(r)
	return r
}

// TestRecordWorkflowHistories runs every workflow type for real on the dev server (timers,
// children, signals, continue-as-new), then replays each history with the current code. With
// MIF_RECORD_HISTORIES=1 it also writes them to workflows/testdata, where the replay test of the
// workflows package keeps checking them after every change.
func TestRecordWorkflowHistories(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(config.ModeDev, func(k string) (string, bool) {
		v, ok := map[string]string{
			"MIF_ESCALATION_ASSIGN_AFTER": "1s", "MIF_ESCALATION_START_AFTER": "2s", "MIF_PREVENTIVE_LEAD_TIME": "9000h",
		}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	// The workflows' timings come from cfg; the rest (keys, webhook allow-list) from the Env's own.
	env := apitest.New(t, apitest.WithActivities(func(a *activities.Activities) { c := *a.Config; c.Workflows = cfg.Workflows; a.Config = &c }),
		apitest.WithEnv("MIF_DEMANDE_TRIAGE_DELAY", "1s"), apitest.WithEnv("MIF_WEBHOOK_ALLOW_HOSTS", "127.0.0.1"),
		apitest.WithEnv("MIF_WEBHOOK_INITIAL_BACKOFF", "100ms"), apitest.WithEnv("MIF_WEBHOOK_MAX_BACKOFF", "1s"))
	ctx := context.Background()
	marie := technicienID(t, env, apitest.Technicien)
	runs := map[string][2]string{} // file name → workflow ID, run ID

	// InterventionWorkflow with its EscalationWorkflow: both levels fire, then the whole lifecycle.
	crit := createOpen(t, env, "Arrêt complet de la presse", 1, func(b map[string]any) { b["priorite"] = "critique" })
	waitFor(t, func() bool {
		return countRows(t, env, `SELECT count(*) FROM historique WHERE entite_id = $1 AND action = 'escalade'`, crit.ID) == 2
	}, "both escalation levels")
	base := "/api/v1/interventions/" + apitest.ID(crit.ID)
	step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": marie}, http.StatusOK)
	// The same assignment again (a retry without Idempotency-Key) is a no-op: its version marker
	// is in the history (intervention_v1.json is from before it, and before the end of
	// signals to an ended escalation).
	step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": marie}, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/start", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/pause", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/resume", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Remise en service"}, http.StatusOK)
	if st := workflowState(t, env, apitest.Responsable, crit.ID); st.NiveauEscalade != 2 {
		t.Fatalf("escalation level %d", st.NiveauEscalade)
	}
	if err := env.Temporal.GetWorkflow(ctx, crit.WorkflowID, "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	runs["intervention.json"] = [2]string{crit.WorkflowID, ""}
	runs["escalation.json"] = [2]string{workflows.EscalationWorkflowID(crit.WorkflowID), ""}

	// PreventiveMaintenanceWorkflow: the lead time is longer than the cycle, so the occurrence
	// opens at once (child workflow, automatic assignment); completing it continues as new.
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/equipements", Token: env.Token(apitest.Responsable), Body: map[string]any{
		"nom": "Presse PH-900", "type": "Presse", "numero_serie": "PH900-2026-001", "localisation": "Atelier D", "frequence_entretien": 30,
	}})
	if res.Status != http.StatusCreated {
		t.Fatalf("create equipment: %d %s", res.Status, res.Body)
	}
	var eq domain.Equipement
	res.JSON(t, &eq)
	prevID := workflows.PreventiveWorkflowID(env.Config.Temporal.TaskQueue, eq.ID)
	var child domain.Intervention
	waitFor(t, func() bool {
		err := env.Store.DB().GetContext(ctx, &child, `SELECT id, workflow_id, statut FROM interventions WHERE equipement_id = $1 AND type_intervention = 'preventive'`, eq.ID)
		return err == nil && child.Statut == domain.StatutPlanifiee
	}, "the preventive intervention, assigned")
	desc, err := describe(ctx, env, prevID, "")
	if err != nil {
		t.Fatal(err)
	}
	firstRun := desc.WorkflowExecutionInfo.Execution.RunId
	cbase := "/api/v1/interventions/" + apitest.ID(child.ID)
	step(t, env, apitest.Technicien, "POST", cbase+"/start", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", cbase+"/complete", map[string]any{"rapport": "Graissage et contrôle"}, http.StatusOK)
	waitFor(t, func() bool {
		d, err := describe(ctx, env, prevID, firstRun)
		return err == nil && d.WorkflowExecutionInfo.Status.String() == "ContinuedAsNew"
	}, "the cycle to continue as new")
	// A run continued as new has no user metadata of its own: the cycle says what it is and
	// waits for as its current details.
	poll.Until(t, "the next run's current details", func() error {
		got, err := currentDetails(ctx, env, prevID)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(got, "Cycle préventif — Presse PH-900 — tous les 30 jours — prochaine échéance ") {
			return fmt.Errorf("current details %q", got)
		}
		return nil
	})
	runs["preventive.json"] = [2]string{prevID, firstRun}
	runs["intervention_preventive.json"] = [2]string{child.WorkflowID, ""}
	if r := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/equipements/" + apitest.ID(eq.ID) + "/retirer", Token: env.Token(apitest.Responsable)}); r.Status != http.StatusOK {
		t.Fatalf("retire: %d", r.Status)
	}

	// PreventiveMaintenanceWorkflow of a usage plan: readings signal the cycle (signal-with-start),
	// the one crossing the threshold opens the occurrence (recorded first), its completion
	// continues as new.
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/equipements", Token: env.Token(apitest.Responsable), Body: map[string]any{
		"nom": "Compresseur CP-40", "type": "Compresseur", "numero_serie": "CP40-2026-001", "localisation": "Atelier D",
	}})
	if res.Status != http.StatusCreated {
		t.Fatalf("create equipment: %d %s", res.Status, res.Body)
	}
	var ueq domain.Equipement
	res.JSON(t, &ueq)
	var meter domain.Compteur
	env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/compteurs", Token: env.Token(apitest.Responsable),
		Body: map[string]any{"equipement_id": ueq.ID, "nom": "Heures de marche", "unite": "h"}}).JSON(t, &meter)
	releves := "/api/v1/compteurs/" + apitest.ID(meter.ID) + "/releves"
	call := func(who, method, path string, body any, want int) {
		t.Helper()
		if r := env.Do(t, apitest.Request{Method: method, Path: path, Token: env.Token(who), Body: body}); r.Status != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, want, r.Body)
		}
	}
	rt0 := time.Now().Add(-3 * 24 * time.Hour).UTC().Truncate(time.Second)
	call(apitest.Technicien, "POST", releves, map[string]any{"releve_id": "u0", "valeur": 100, "date_releve": rt0}, http.StatusCreated)
	call(apitest.Responsable, "PUT", "/api/v1/equipements/"+apitest.ID(ueq.ID)+"/plan-preventif",
		map[string]any{"declencheur": "usage", "compteur_id": meter.ID, "intervalle_usage": 50}, http.StatusOK)
	uprevID := workflows.PreventiveWorkflowID(env.Config.Temporal.TaskQueue, ueq.ID)
	call(apitest.Technicien, "POST", releves, map[string]any{"releve_id": "u1", "valeur": 130, "date_releve": rt0.Add(24 * time.Hour)}, http.StatusCreated)
	call(apitest.Technicien, "POST", releves+"/lot", map[string]any{"releves": []any{
		map[string]any{"releve_id": "u2", "valeur": 160, "date_releve": rt0.Add(48 * time.Hour)},
		map[string]any{"releve_id": "u3", "valeur": 170, "date_releve": rt0.Add(50 * time.Hour)}}}, http.StatusOK)
	var uchild domain.Intervention
	waitFor(t, func() bool {
		err := env.Store.DB().GetContext(ctx, &uchild, `SELECT id, workflow_id, statut FROM interventions WHERE equipement_id = $1 AND type_intervention = 'preventive'`, ueq.ID)
		return err == nil && uchild.Statut == domain.StatutPlanifiee
	}, "the usage occurrence, assigned")
	udesc, err := describe(ctx, env, uprevID, "")
	if err != nil {
		t.Fatal(err)
	}
	ufirstRun := udesc.WorkflowExecutionInfo.Execution.RunId
	ucbase := "/api/v1/interventions/" + apitest.ID(uchild.ID)
	step(t, env, apitest.Technicien, "POST", ucbase+"/start", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", ucbase+"/complete", map[string]any{"rapport": "Vidange et filtres"}, http.StatusOK)
	waitFor(t, func() bool {
		d, err := describe(ctx, env, uprevID, ufirstRun)
		return err == nil && d.WorkflowExecutionInfo.Status.String() == "ContinuedAsNew"
	}, "the usage cycle to continue as new")
	runs["preventive_usage.json"] = [2]string{uprevID, ufirstRun}
	if r := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/equipements/" + apitest.ID(ueq.ID) + "/retirer", Token: env.Token(apitest.Responsable)}); r.Status != http.StatusOK {
		t.Fatalf("retire: %d", r.Status)
	}

	// WeeklyPlanningWorkflow, on demand.
	createOpen(t, env, "À planifier", 1, noDeadline)
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/generate", Token: env.Token(apitest.Responsable),
		Body: map[string]any{"semaine": time.Now().AddDate(0, 0, 7).Format(time.DateOnly)}})
	if res.Status != http.StatusOK {
		t.Fatalf("generate: %d %s", res.Status, res.Body)
	}
	var gen struct {
		WorkflowID string `json:"workflow_id"`
	}
	res.JSON(t, &gen)
	runs["planning.json"] = [2]string{gen.WorkflowID, ""}

	// RoutePlanningWorkflow: one technicien's day, next week.
	createOpen(t, env, "Tournée à optimiser", 1, noDeadline)
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/optimize", Token: env.Token(apitest.Responsable),
		Body: map[string]any{"technicien_id": marie, "date": time.Now().AddDate(0, 0, 8).Format(time.DateOnly)}})
	if res.Status != http.StatusOK {
		t.Fatalf("optimize: %d %s", res.Status, res.Body)
	}
	var opt struct {
		WorkflowID string `json:"workflow_id"`
	}
	res.JSON(t, &opt)
	runs["route_planning.json"] = [2]string{opt.WorkflowID, ""}

	// HousekeepingWorkflow: maintenance-due notices.
	run, err := env.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "housekeeping-record/" + env.Config.Temporal.TaskQueue, TaskQueue: env.Config.Temporal.TaskQueue},
		workflows.HousekeepingWorkflowName, workflows.HousekeepingInput{Task: workflows.TaskMaintenanceDue})
	if err != nil {
		t.Fatal(err)
	}
	var hk workflows.HousekeepingResult
	if err := run.Get(ctx, &hk); err != nil || hk.Count == 0 {
		t.Fatalf("housekeeping %+v %v", hk, err)
	}
	runs["housekeeping.json"] = [2]string{"housekeeping-record/" + env.Config.Temporal.TaskQueue, ""}

	// DemandeWorkflow: notices, the triage timer fires (escalation), then the accept signal.
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/demandes", Token: env.Token(apitest.Client), Body: map[string]any{
		"equipement_id": crit.EquipementID, "description": "Bruit anormal sur la presse depuis hier."}})
	if res.Status != http.StatusCreated {
		t.Fatalf("demande: %d %s", res.Status, res.Body)
	}
	var dem domain.Demande
	res.JSON(t, &dem)
	waitFor(t, func() bool {
		return countRows(t, env, `SELECT count(*) FROM demandes WHERE id = $1 AND escaladee`, dem.ID) == 1
	}, "the request escalated")
	if r := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/demandes/" + apitest.ID(dem.ID) + "/accepter", Token: env.Token(apitest.Responsable),
		Body: map[string]any{}}); r.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	demID := workflows.DemandeWorkflowID(env.Config.Temporal.TaskQueue, dem.ID)
	if err := env.Temporal.GetWorkflow(ctx, demID, "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	runs["demande.json"] = [2]string{demID, ""}

	// WebhookWorkflow: one delivery (a 503 then a success: a retry), then suspended by hand.
	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/webhooks", Token: env.Token(apitest.Admin), Body: map[string]any{
		"url": hook.URL, "evenements": []string{"intervention.created"}}})
	if res.Status != http.StatusCreated {
		t.Fatalf("webhook: %d %s", res.Status, res.Body)
	}
	var sub domain.WebhookAbonnement
	res.JSON(t, &sub)
	createOpen(t, env, "Événement webhook", 1, noDeadline)
	waitFor(t, func() bool {
		return countRows(t, env, `SELECT count(*) FROM webhook_livraisons WHERE abonnement_id = $1 AND succes`, sub.ID) == 1
	}, "the webhook delivered")
	// Its runs (continued as new every so many rounds) say which subscription they serve.
	poll.Until(t, "the webhook run's current details", func() error {
		got, err := currentDetails(ctx, env, workflows.WebhookWorkflowID(env.Config.Temporal.TaskQueue, sub.ID))
		if err != nil || !strings.HasPrefix(got, "Webhook n°"+apitest.ID(sub.ID)+" — http://127.0.0.1:") {
			return fmt.Errorf("current details %q, %v", got, err)
		}
		return nil
	})
	if r := env.Do(t, apitest.Request{Method: "PUT", Path: "/api/v1/webhooks/" + apitest.ID(sub.ID), Token: env.Token(apitest.Admin),
		Body: map[string]any{"statut": "suspendu"}}); r.Status != http.StatusOK {
		t.Fatalf("suspend: %d", r.Status)
	}
	hookID := workflows.WebhookWorkflowID(env.Config.Temporal.TaskQueue, sub.ID)
	if err := env.Temporal.GetWorkflow(ctx, hookID, "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	runs["webhook.json"] = [2]string{hookID, ""}

	// Every run, started by the API, a Schedule-like client or a parent workflow, reads in the
	// Temporal Web UI as a summary a manager understands, with details.
	checkSummaries(t, env, runs, map[string]string{
		"intervention.json":            "n°" + apitest.ID(crit.ID) + " — Arrêt complet de la presse — critique — ",
		"escalation.json":              "Escalade — n°" + apitest.ID(crit.ID) + " — Arrêt complet de la presse — critique — ",
		"preventive.json":              "Cycle préventif — Presse PH-900 — tous les 30 jours",
		"intervention_preventive.json": "Maintenance préventive — normale — Presse PH-900 — échéance ",
		"planning.json":                "Planning hebdomadaire — semaine du ",
		"route_planning.json":          "Optimisation des tournées — 1 jour(s) — à partir du ",
		"demande.json":                 "Demande client n°" + apitest.ID(dem.ID) + " — ",
		"webhook.json":                 "Webhook n°" + apitest.ID(sub.ID) + " — http://127.0.0.1:",
	})

	record := os.Getenv("MIF_RECORD_HISTORIES") != ""
	// MIF_RECORD_ONLY (comma-separated file names) records only those histories, so that a change
	// to one workflow leaves the others' recordings as they were.
	only := map[string]bool{}
	for _, f := range strings.Split(os.Getenv("MIF_RECORD_ONLY"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			only[f] = true
		}
	}
	// Recording updates the index: histories of older workflow versions (kept to prove that
	// versioned changes still replay) stay listed.
	index := map[string]string{}
	if raw, err := os.ReadFile(filepath.Join("..", "workflows", "testdata", "index.json")); err == nil {
		if err := json.Unmarshal(raw, &index); err != nil {
			t.Fatal(err)
		}
	}
	for name, ref := range runs {
		h := history(t, env.Temporal, ref[0], ref[1])
		if len(only) == 0 || only[name] {
			index[name] = ref[0]
		}
		// The original workflow ID matters: child IDs are derived from it.
		opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: ref[0], RunID: ref[1]}}
		if err := replayer().ReplayWorkflowHistoryWithOptions(nil, h, opts); err != nil {
			t.Errorf("%s does not replay with the current code: %v", name, err)
		}
		if record && (len(only) == 0 || only[name]) {
			raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "workflows", "testdata", name)
			if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("recorded %s (%d events)", path, len(h.Events))
		}
	}
	if record {
		raw, err := json.MarshalIndent(index, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "workflows", "testdata", "index.json"), append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
