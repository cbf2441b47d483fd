package api_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/workflows"
)

// lifecycleState is GET /interventions/{id}/workflow.
type lifecycleState struct {
	WorkflowID string `json:"workflow_id"`
	workflows.InterventionState
}

func technicienID(t *testing.T, env *apitest.Env, email string) int64 {
	t.Helper()
	var id int64
	if err := env.Store.DB().GetContext(context.Background(), &id,
		`SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = $1`, email); err != nil {
		t.Fatal(err)
	}
	return id
}

func noDeadline(body map[string]any) { body["date_limite"] = nil }

func createOpen(t *testing.T, env *apitest.Env, titre string, equipement int64, opts ...func(map[string]any)) domain.InterventionDetail {
	t.Helper()
	body := newIntervention(titre)
	body["equipement_id"] = equipement
	for _, o := range opts {
		o(body)
	}
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: env.Token(apitest.Responsable), Body: body})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var d domain.InterventionDetail
	res.JSON(t, &d)
	return d
}

// step sends one lifecycle request and checks its status; on 200 it returns the intervention.
func step(t *testing.T, env *apitest.Env, who, method, path string, body any, want int) domain.InterventionDetail {
	t.Helper()
	res := env.Do(t, apitest.Request{Method: method, Path: path, Token: env.Token(who), Body: body})
	if res.Status != want {
		t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, who, res.Status, want, res.Body)
	}
	var d domain.InterventionDetail
	if want == http.StatusOK {
		res.JSON(t, &d)
	} else {
		res.Problem(t)
	}
	return d
}

func workflowState(t *testing.T, env *apitest.Env, who string, id int64) lifecycleState {
	t.Helper()
	res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/" + apitest.ID(id) + "/workflow", Token: env.Token(who)})
	if res.Status != http.StatusOK {
		t.Fatalf("workflow state: %d %s", res.Status, res.Body)
	}
	var st lifecycleState
	res.JSON(t, &st)
	return st
}

func TestLifecycleHTTPFullPath(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	marie := technicienID(t, env, apitest.Technicien)
	in := createOpen(t, env, "Fuite vérin", 1)
	base := "/api/v1/interventions/" + apitest.ID(in.ID)
	when := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)

	// A technicien may not assign; the responsable does.
	step(t, env, apitest.Technicien, "PUT", base+"/assign", map[string]any{"technicien_id": marie}, http.StatusForbidden)
	step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": 999999}, http.StatusUnprocessableEntity)
	d := step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": marie, "date_planifiee": when, "duree_estimee": 240}, http.StatusOK)
	if d.Statut != domain.StatutPlanifiee || d.Technicien == nil || d.Technicien.ID != marie || d.Planning == nil ||
		!d.Planning.DatePlanifiee.Equal(when) || d.Planning.DureeEstimee != 240 {
		t.Fatalf("after assign: %+v planning=%+v", d, d.Planning)
	}

	// Only the assigned technicien (or a manager) starts; a client may not at all.
	step(t, env, apitest.Technicien2, "POST", base+"/start", nil, http.StatusForbidden)
	step(t, env, apitest.Client, "POST", base+"/start", nil, http.StatusForbidden)
	res := env.Do(t, apitest.Request{Method: "POST", Path: base + "/resume", Token: env.Token(apitest.Technicien)})
	if p := res.Problem(t); res.Status != http.StatusConflict || p.Code != api.CodeInvalidTransition {
		t.Fatalf("resume from planifiee: %d code %q, want 409 %q: %s", res.Status, p.Code, api.CodeInvalidTransition, res.Body)
	}
	d = step(t, env, apitest.Technicien, "POST", base+"/start", nil, http.StatusOK)
	if d.Statut != domain.StatutEnCours || d.DateDebut == nil {
		t.Fatalf("after start: %+v", d)
	}
	before := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1`, in.ID)
	step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": marie}, http.StatusConflict)
	if after := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1`, in.ID); after != before {
		t.Fatalf("a refused transition wrote historique: %d → %d", before, after)
	}

	d = step(t, env, apitest.Technicien, "POST", base+"/pause", map[string]any{"motif": "pièce en commande"}, http.StatusOK)
	if d.Statut != domain.StatutEnAttente {
		t.Fatalf("after pause: %s", d.Statut)
	}
	if st := workflowState(t, env, apitest.Responsable, in.ID); !st.SLA.EnPause || st.SLA.RestantSecondes == nil || st.SLA.Source != "date_limite" {
		t.Fatalf("paused clock: %+v", st.SLA)
	}
	step(t, env, apitest.Technicien, "POST", base+"/resume", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{"temps_passe": 90}, http.StatusUnprocessableEntity)
	d = step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{
		"rapport": "Joint du vérin remplacé", "temps_passe": 90, "pieces_utilisees": []map[string]any{{"nom": "Joint 45 mm", "quantite": 2}},
	}, http.StatusOK)
	if d.Statut != domain.StatutTerminee || d.DateFin == nil || d.Rapport == nil || d.TempsPasse == nil || *d.TempsPasse != 90 || d.Planning.Statut != domain.PlanningTerminee {
		t.Fatalf("after complete: %+v", d)
	}
	eq, err := env.Store.GetEquipement(context.Background(), 1)
	if err != nil || eq.DerniereMaintenance == nil || !eq.DerniereMaintenance.Equal(*d.DateFin) || eq.Statut != domain.EquipementOperationnel {
		t.Fatalf("equipment after completion: %+v %v", eq, err)
	}
	// The workflow has ended: further transitions are 409 by the transition rule.
	step(t, env, apitest.Technicien, "POST", base+"/start", nil, http.StatusConflict)
	step(t, env, apitest.Responsable, "POST", base+"/cancel", map[string]any{"motif": "trop tard"}, http.StatusConflict)

	st := workflowState(t, env, apitest.Responsable, in.ID)
	if st.Statut != domain.StatutTerminee || len(st.Historique) != 6 || st.Historique[0].Action != "creation" || st.Historique[5].Action != "cloture" || st.WorkflowID != in.WorkflowID {
		t.Fatalf("workflow state: %+v", st)
	}
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1`, in.ID); n != 6 {
		t.Fatalf("%d historique rows, want creation + 5 transitions", n)
	}

	// Rating: only the client who owns it, once finished, 1 to 5.
	eval := base + "/evaluation"
	step(t, env, apitest.Responsable, "POST", eval, map[string]any{"note": 4}, http.StatusForbidden)
	step(t, env, apitest.Client2, "POST", eval, map[string]any{"note": 4}, http.StatusNotFound)
	step(t, env, apitest.Client, "POST", eval, map[string]any{"note": 6}, http.StatusUnprocessableEntity)
	d = step(t, env, apitest.Client, "POST", eval, map[string]any{"note": 5, "commentaire": "Rapide"}, http.StatusOK)
	if d.SatisfactionClient == nil || *d.SatisfactionClient != 5 {
		t.Fatalf("rating: %+v", d.SatisfactionClient)
	}

	// Completion produced the PDF report, stored encrypted as a document of the intervention.
	waitFor(t, func() bool {
		return countRows(t, env, `SELECT count(*) FROM documents WHERE intervention_id = $1 AND type_document = 'rapport_intervention' AND is_encrypted`, in.ID) == 1
	}, "the intervention report")
	// Notifications went out by e-mail too, through a real SMTP server.
	waitFor(t, func() bool {
		for _, m := range env.Mail.Messages() {
			if slices.Contains(m.To, apitest.Technicien) && strings.Contains(m.Text+m.Subject, "Fuite vérin") {
				return true
			}
		}
		return false
	}, "an e-mail to the technicien about the intervention")

	// Notifications reached Marie (assignment, ...) once per transition.
	marieUser := env.User(apitest.Technicien).ID
	if n := countRows(t, env, `SELECT count(*) FROM notifications WHERE destinataire_id = $1 AND metadata->>'intervention_id' = $2`, marieUser, apitest.ID(in.ID)); n != 5 {
		waitFor(t, func() bool {
			return countRows(t, env, `SELECT count(*) FROM notifications WHERE destinataire_id = $1 AND metadata->>'intervention_id' = $2`, marieUser, apitest.ID(in.ID)) == 5
		}, "5 notifications for the technicien")
	}
}

// waitFor polls cond until it holds (poll.Until with its deadline).
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	poll.Until(t, what, func() error {
		if !cond() {
			return errors.New("not yet")
		}
		return nil
	})
}

func TestLifecycleHTTPRatingBeforeTheEnd(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	in := createOpen(t, env, "Pas fini", 1)
	step(t, env, apitest.Client, "POST", "/api/v1/interventions/"+apitest.ID(in.ID)+"/evaluation", map[string]any{"note": 3}, http.StatusConflict)
}

func TestLifecycleHTTPAutomaticAssignmentAndCancel(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	marie := technicienID(t, env, apitest.Technicien)
	in := createOpen(t, env, "Affectation automatique", 1, func(b map[string]any) { b["urgence"], b["priorite"] = false, "normale" })
	base := "/api/v1/interventions/" + apitest.ID(in.ID)
	d := step(t, env, apitest.Responsable, "PUT", base+"/assign", nil, http.StatusOK)
	if d.Technicien == nil || d.Technicien.ID != marie || d.Planning == nil || d.Planning.DureeEstimee != 120 {
		t.Fatalf("automatic assignment: %+v", d)
	}
	// Whatever the time of the test, the slot chosen lies in Marie's working hours (08:00–17:00), on a weekday.
	loc, _ := time.LoadLocation("Africa/Casablanca")
	at := d.Planning.DatePlanifiee.In(loc)
	end := at.Add(120 * time.Minute)
	if at.Weekday() == time.Saturday || at.Weekday() == time.Sunday || at.Hour() < 8 || end.Hour()*60+end.Minute() > 17*60 || end.Day() != at.Day() || at.Before(time.Now().Add(-time.Minute)) {
		t.Fatalf("automatic slot %v outside working hours", at)
	}
	step(t, env, apitest.Responsable, "POST", base+"/cancel", map[string]any{}, http.StatusUnprocessableEntity)
	d = step(t, env, apitest.Responsable, "POST", base+"/cancel", map[string]any{"motif": "doublon"}, http.StatusOK)
	if d.Statut != domain.StatutAnnulee || d.MotifAnnulation == nil || *d.MotifAnnulation != "doublon" || d.Planning.Statut != domain.PlanningAnnulee {
		t.Fatalf("after cancel: %+v", d)
	}
	// Urgent work is planned at once, whatever the hour (a call-out).
	urgent := createOpen(t, env, "Fuite urgente", 1)
	d = step(t, env, apitest.Responsable, "PUT", "/api/v1/interventions/"+apitest.ID(urgent.ID)+"/assign", nil, http.StatusOK)
	if d.Planning == nil || d.Planning.DatePlanifiee.After(time.Now().Add(31*time.Minute)) {
		t.Fatalf("urgent work planned at %+v", d.Planning)
	}
	step(t, env, apitest.Responsable, "POST", "/api/v1/interventions/"+apitest.ID(urgent.ID)+"/cancel", map[string]any{"motif": "test"}, http.StatusOK)

	// Nobody with the competence is available: 409, the intervention stays open, responsables know.
	if _, err := env.Store.DB().Exec(`UPDATE techniciens SET disponibilite = FALSE WHERE id = $1`, marie); err != nil {
		t.Fatal(err)
	}
	other := createOpen(t, env, "Personne de libre", 1)
	step(t, env, apitest.Responsable, "PUT", "/api/v1/interventions/"+apitest.ID(other.ID)+"/assign", nil, http.StatusConflict)
	got := step(t, env, apitest.Responsable, "GET", "/api/v1/interventions/"+apitest.ID(other.ID), nil, http.StatusOK)
	if got.Statut != domain.StatutOuverte {
		t.Fatalf("statut %s", got.Statut)
	}
	resp := env.User(apitest.Responsable).ID
	waitFor(t, func() bool {
		return countRows(t, env, `SELECT count(*) FROM notifications WHERE destinataire_id = $1 AND metadata->>'event' = 'intervention.unassigned'`, resp) == 1
	}, "the responsable's notice")
}

func TestLifecycleHTTPPatchStatut(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	in := createOpen(t, env, "Statut direct", 1)
	path := "/api/v1/interventions/" + apitest.ID(in.ID) + "/statut"
	step(t, env, apitest.Responsable, "PATCH", path, map[string]any{"statut": "inconnu"}, http.StatusUnprocessableEntity)
	step(t, env, apitest.Responsable, "PATCH", path, map[string]any{"statut": "terminee", "rapport": "trop tôt"}, http.StatusConflict)
	// The direct route obeys the rules of /complete and /cancel.
	step(t, env, apitest.Responsable, "PATCH", path, map[string]any{"statut": "terminee"}, http.StatusUnprocessableEntity)
	step(t, env, apitest.Responsable, "PATCH", path, map[string]any{"statut": "annulee", "motif": "  "}, http.StatusUnprocessableEntity)
	d := step(t, env, apitest.Responsable, "PATCH", path, map[string]any{"statut": "planifiee"}, http.StatusOK)
	if d.Statut != domain.StatutPlanifiee || d.Technicien == nil {
		t.Fatalf("patched to planifiee: %+v", d)
	}
	step(t, env, apitest.Technicien2, "PATCH", path, map[string]any{"statut": "en_cours"}, http.StatusForbidden)
	step(t, env, apitest.Technicien, "PATCH", path, map[string]any{"statut": "annulee", "motif": "non"}, http.StatusForbidden)
	step(t, env, apitest.Technicien, "PATCH", path, map[string]any{"statut": "en_cours"}, http.StatusOK)
	step(t, env, apitest.Technicien, "PATCH", path, map[string]any{"statut": "en_attente"}, http.StatusOK)
	d = step(t, env, apitest.Technicien, "PATCH", path, map[string]any{"statut": "terminee", "rapport": "ok"}, http.StatusOK)
	if d.Statut != domain.StatutTerminee {
		t.Fatalf("patched to terminee: %s", d.Statut)
	}
}

func TestPlanningHTTPGenerateConflictsReschedule(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	marie := technicienID(t, env, apitest.Technicien)
	// No date_limite: a plan for next week would otherwise end after it (an apres_echeance conflict).
	a := createOpen(t, env, "Planning A", 1, noDeadline)
	b := createOpen(t, env, "Planning B", 1, noDeadline)

	// Generate next week's plan: both go to Marie (the only hydraulicienne), without overlap.
	next := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/generate", Token: env.Token(apitest.Responsable), Body: map[string]any{"semaine": next}})
	if res.Status != http.StatusOK {
		t.Fatalf("generate: %d %s", res.Status, res.Body)
	}
	var gen struct {
		Affectations []struct {
			InterventionID int64     `json:"intervention_id"`
			TechnicienID   int64     `json:"technicien_id"`
			Start          time.Time `json:"date_planifiee"`
		} `json:"affectations"`
	}
	res.JSON(t, &gen)
	if len(gen.Affectations) != 2 || gen.Affectations[0].TechnicienID != marie || gen.Affectations[1].TechnicienID != marie {
		t.Fatalf("generated: %s", res.Body)
	}
	for _, id := range []int64{a.ID, b.ID} {
		waitFor(t, func() bool {
			d, err := env.Store.GetInterventionByID(context.Background(), id)
			return err == nil && d.Statut == domain.StatutPlanifiee
		}, "the planned assignment")
	}
	conflicts := func() int {
		r := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/planning/conflicts?date_debut=" + time.Now().Format(time.DateOnly) + "&date_fin=" + time.Now().AddDate(0, 0, 21).Format(time.DateOnly), Token: env.Token(apitest.Responsable)})
		if r.Status != http.StatusOK {
			t.Fatalf("conflicts: %d %s", r.Status, r.Body)
		}
		var list []map[string]any
		r.JSON(t, &list)
		return len(list)
	}
	if n := conflicts(); n != 0 {
		t.Fatalf("the generated plan has %d conflicts", n)
	}
	bad := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/planning/conflicts?date_debut=demain", Token: env.Token(apitest.Responsable)})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad query: %d", bad.Status)
	}

	// A manual assignment on top of A's slot makes an overlap.
	da, _ := env.Store.GetInterventionDetail(context.Background(), domain.Principal{Role: domain.RoleAdmin}, a.ID)
	c := createOpen(t, env, "Planning C", 1, noDeadline)
	step(t, env, apitest.Responsable, "PUT", "/api/v1/interventions/"+apitest.ID(c.ID)+"/assign",
		map[string]any{"technicien_id": marie, "date_planifiee": da.Planning.DatePlanifiee, "duree_estimee": 60}, http.StatusOK)
	if n := conflicts(); n != 2 { // the pair, seen from each side
		t.Fatalf("%d conflicts, want the overlap twice", n)
	}
	dc, _ := env.Store.GetInterventionDetail(context.Background(), domain.Principal{Role: domain.RoleAdmin}, c.ID)
	resched := "/api/v1/planning/" + apitest.ID(dc.Planning.ID) + "/reschedule"
	// Onto A again: refused. At 03:00: outside working hours. Then the Saturday after, 10:00 local: free.
	step(t, env, apitest.Responsable, "PUT", resched, map[string]any{"date_planifiee": da.Planning.DatePlanifiee}, http.StatusConflict)
	loc, _ := time.LoadLocation("Africa/Casablanca")
	day := da.Planning.DatePlanifiee.In(loc)
	night := time.Date(day.Year(), day.Month(), day.Day(), 3, 0, 0, 0, loc)
	step(t, env, apitest.Responsable, "PUT", resched, map[string]any{"date_planifiee": night}, http.StatusConflict)
	free := time.Date(day.Year(), day.Month(), day.Day(), 16, 0, 0, 0, loc)
	r := env.Do(t, apitest.Request{Method: "PUT", Path: resched, Token: env.Token(apitest.Responsable), Body: map[string]any{"date_planifiee": free}})
	if r.Status != http.StatusOK {
		t.Fatalf("reschedule: %d %s", r.Status, r.Body)
	}
	if n := conflicts(); n != 0 {
		t.Fatalf("%d conflicts after the reschedule", n)
	}
	// To a free technicien who lacks the Hydraulique the Presse calls for: refused, nothing moves.
	youssef := technicienID(t, env, apitest.Technicien2)
	r = env.Do(t, apitest.Request{Method: "PUT", Path: resched, Token: env.Token(apitest.Responsable), Body: map[string]any{
		"date_planifiee": free.Add(24 * time.Hour), "technicien_id": youssef}})
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "compétences") {
		t.Fatalf("reschedule to a technicien without the competence: %d %s", r.Status, r.Body)
	}
	if got, _ := env.Store.GetPlanningRef(context.Background(), dc.Planning.ID); got.TechnicienID != marie || !got.DatePlanifiee.Equal(free) {
		t.Fatalf("planning moved by a refused reschedule: %+v", got)
	}
	step(t, env, apitest.Technicien, "PUT", resched, map[string]any{"date_planifiee": free}, http.StatusForbidden)
	step(t, env, apitest.Responsable, "PUT", "/api/v1/planning/999999/reschedule", map[string]any{"date_planifiee": free}, http.StatusNotFound)
}

func TestEquipementHooksDrivePreventiveWorkflow(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/equipements", Token: env.Token(apitest.Responsable), Body: map[string]any{
		"nom": "Pompe P-9", "type": "Presse", "numero_serie": "P9-2026-001", "localisation": "Atelier C", "frequence_entretien": 90,
	}})
	if res.Status != http.StatusCreated {
		t.Fatalf("create equipment: %d %s", res.Status, res.Body)
	}
	var eq domain.Equipement
	res.JSON(t, &eq)
	ctx := context.Background()
	id := workflows.PreventiveWorkflowID(env.Config.Temporal.TaskQueue, eq.ID)
	var st workflows.PreventiveState
	waitFor(t, func() bool {
		v, err := env.Temporal.QueryWorkflow(ctx, id, "", workflows.QueryPreventiveState)
		return err == nil && v.Get(&st) == nil && st.Etape == "attente"
	}, "the preventive cycle")
	if st.Frequence != 90 || st.Prochaine == nil || st.Prochaine.Sub(eq.DateCreation) < 89*24*time.Hour {
		t.Fatalf("preventive state %+v", st)
	}
	r := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/equipements/" + apitest.ID(eq.ID) + "/retirer", Token: env.Token(apitest.Responsable)})
	if r.Status != http.StatusOK {
		t.Fatalf("retire: %d %s", r.Status, r.Body)
	}
	var out workflows.PreventiveResult
	if err := env.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &out); err != nil || out.Raison != workflows.PreventiveEndRetired {
		t.Fatalf("cycle after retirement: %+v %v", out, err)
	}
}

// A corrective intervention completed on an equipment re-plans its preventive cycle from that
// maintenance at once.
func TestCompletedRepairReplansThePreventiveCycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/equipements", Token: env.Token(apitest.Responsable), Body: map[string]any{
		"nom": "Presse P-12", "type": "Presse", "numero_serie": "P12-2026-001", "localisation": "Atelier C", "frequence_entretien": 90,
	}})
	if res.Status != http.StatusCreated {
		t.Fatalf("create equipment: %d %s", res.Status, res.Body)
	}
	var eq domain.Equipement
	res.JSON(t, &eq)
	id := workflows.PreventiveWorkflowID(env.Config.Temporal.TaskQueue, eq.ID)
	state := func() workflows.PreventiveState {
		var st workflows.PreventiveState
		v, err := env.Temporal.QueryWorkflow(ctx, id, "", workflows.QueryPreventiveState)
		if err == nil {
			err = v.Get(&st)
		}
		if err != nil {
			return workflows.PreventiveState{}
		}
		return st
	}
	waitFor(t, func() bool { return state().Etape == "attente" }, "the preventive cycle")
	first := *state().Prochaine

	marie := technicienID(t, env, apitest.Technicien)
	in := createOpen(t, env, "Réparation P-12", eq.ID)
	base := "/api/v1/interventions/" + apitest.ID(in.ID)
	step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": marie}, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", base+"/start", nil, http.StatusOK)
	done := step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Vérin remplacé"}, http.StatusOK)
	want := done.DateFin.AddDate(0, 0, 90)
	waitFor(t, func() bool {
		st := state()
		return st.Etape == "attente" && st.Prochaine != nil && st.Prochaine.Equal(want)
	}, "the cycle re-planned from the repair")
	if !want.After(first) {
		t.Fatalf("next maintenance %v not after %v", want, first)
	}
	// The completion recorded the maintenance; the signal added no second audit row.
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND entite_id = $1 AND action = 'maintenance_hors_plan'`, eq.ID); n != 0 {
		t.Fatalf("%d out-of-plan rows for a maintenance already recorded", n)
	}
}

func TestEquipementWithoutFrequencyEndsItsCycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	tq := env.Config.Temporal.TaskQueue
	eq, err := env.Store.GetEquipement(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	eq.FrequenceEntretien = nil
	// No cycle yet: nothing to tell, no error.
	if err := env.Workflows.Preventive.Changed(ctx, eq); err != nil {
		t.Fatal(err)
	}
	// Maintained today: the next occurrence is 90 days away, the cycle sleeps.
	if _, err := env.Store.DB().Exec(`UPDATE equipements SET derniere_maintenance = now() WHERE id = $1`, eq.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Workflows.Preventive.Ensure(ctx, []int64{eq.ID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		v, err := env.Temporal.QueryWorkflow(ctx, workflows.PreventiveWorkflowID(tq, eq.ID), "", workflows.QueryPreventiveState)
		var st workflows.PreventiveState
		return err == nil && v.Get(&st) == nil && st.Etape == "attente"
	}, "the cycle to sleep")
	if _, err := env.Store.DB().Exec(`UPDATE equipements SET frequence_entretien = NULL WHERE id = $1`, eq.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.Workflows.Preventive.Changed(ctx, eq); err != nil {
		t.Fatal(err)
	}
	var out workflows.PreventiveResult
	if err := env.Temporal.GetWorkflow(ctx, workflows.PreventiveWorkflowID(tq, eq.ID), "").Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if out.Raison != workflows.PreventiveEndInactive {
		t.Fatalf("cycle end: %+v", out)
	}
}
