package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/converter"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
)

// workdaySlot is 10:00 (Casablanca) on a Tuesday at least two weeks ahead: inside the demo
// techniciens' working hours, clear of what other tests plan.
func workdaySlot(t *testing.T, weeks int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Africa/Casablanca")
	if err != nil {
		t.Fatal(err)
	}
	d := time.Now().In(loc).AddDate(0, 0, 7*weeks)
	for d.Weekday() != time.Tuesday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, loc)
}

func TestPlanningEarlierOperationsGoThroughTheWorkflow(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	marie := technicienID(t, env, apitest.Technicien)
	youssef := technicienID(t, env, apitest.Technicien2)
	a := createOpen(t, env, "Compat A", 1, noDeadline)
	b := createOpen(t, env, "Compat B", 1, noDeadline)
	slot := workdaySlot(t, 2)
	body := map[string]any{"intervention_id": a.ID, "technicien_id": marie, "date_planifiee": slot, "duree_estimee": 60, "notes": "kit joints"}

	do := func(who, method, path string, body any) *apitest.Response {
		t.Helper()
		return env.Do(t, apitest.Request{Method: method, Path: path, Token: env.Token(who), Body: body})
	}
	if r := do(apitest.Technicien, "POST", "/api/v1/planning/", body); r.Status != http.StatusForbidden {
		t.Fatalf("technicien creates a planning: %d %s", r.Status, r.Body)
	}
	r := do(apitest.Responsable, "POST", "/api/v1/planning/", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create planning: %d %s", r.Status, r.Body)
	}
	var pl domain.PlanningVue
	r.JSON(t, &pl)
	if pl.InterventionID != a.ID || pl.TechnicienID != marie || !pl.DatePlanifiee.Equal(slot) || pl.DureeEstimee != 60 || pl.Notes != "kit joints" {
		t.Fatalf("created planning %+v", pl)
	}
	if d, _ := env.Store.GetInterventionByID(ctx, a.ID); d.Statut != domain.StatutPlanifiee || d.TechnicienID == nil || *d.TechnicienID != marie {
		t.Fatalf("intervention after POST /planning: %+v", d)
	}
	// Planned already: a second POST is a conflict, not a second slot.
	if r := do(apitest.Responsable, "POST", "/api/v1/planning", body); r.Status != http.StatusConflict {
		t.Fatalf("second planning: %d %s", r.Status, r.Body)
	}
	// The same checks as reschedule: Marie's slot is taken; Youssef lacks the competence.
	r = do(apitest.Responsable, "POST", "/api/v1/planning", map[string]any{"intervention_id": b.ID, "technicien_id": marie, "date_planifiee": slot})
	if r.Status != http.StatusConflict {
		t.Fatalf("overlapping slot: %d %s", r.Status, r.Body)
	}
	r = do(apitest.Responsable, "POST", "/api/v1/planning", map[string]any{"intervention_id": b.ID, "technicien_id": youssef, "date_planifiee": slot.Add(24 * time.Hour)})
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "compétences") {
		t.Fatalf("technicien without the competence: %d %s", r.Status, r.Body)
	}
	if d, _ := env.Store.GetInterventionByID(ctx, b.ID); d.Statut != domain.StatutOuverte {
		t.Fatalf("a refused planning changed B: %s", d.Statut)
	}
	// Missing fields are named at once.
	r = do(apitest.Responsable, "POST", "/api/v1/planning", map[string]any{"notes": "x"})
	if p := r.Problem(t); r.Status != http.StatusUnprocessableEntity || len(p.Errors) != 3 {
		t.Fatalf("empty planning: %d %s", r.Status, r.Body)
	}

	path := "/api/v1/planning/" + apitest.ID(pl.ID)
	later := slot.Add(4 * time.Hour)
	r = do(apitest.Responsable, "PATCH", path+"/dates", map[string]any{"date_planifiee": later})
	if r.Status != http.StatusOK {
		t.Fatalf("patch dates: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &pl)
	if !pl.DatePlanifiee.Equal(later) || pl.DureeEstimee != 60 || pl.TechnicienID != marie {
		t.Fatalf("after PATCH dates: %+v", pl)
	}
	night := time.Date(slot.Year(), slot.Month(), slot.Day(), 3, 0, 0, 0, slot.Location())
	if r := do(apitest.Responsable, "PATCH", path+"/dates", map[string]any{"date_planifiee": night}); r.Status != http.StatusConflict {
		t.Fatalf("slot outside working hours: %d %s", r.Status, r.Body)
	}
	r = do(apitest.Responsable, "PUT", path, map[string]any{"duree_estimee": 90, "notes": "accès quai 2"})
	if r.Status != http.StatusOK {
		t.Fatalf("put planning: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &pl)
	if !pl.DatePlanifiee.Equal(later) || pl.DureeEstimee != 90 || pl.Notes != "accès quai 2" {
		t.Fatalf("after PUT: %+v", pl)
	}
	if r := do(apitest.Responsable, "PUT", path, map[string]any{"intervention_id": b.ID}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("moving a planning to another intervention: %d %s", r.Status, r.Body)
	}
	if r := do(apitest.Technicien, "DELETE", path, nil); r.Status != http.StatusForbidden {
		t.Fatalf("technicien deletes: %d %s", r.Status, r.Body)
	}

	// DELETE: back to ouverte through the workflow, the technicien freed, historique written.
	if r := do(apitest.Responsable, "DELETE", path, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete planning: %d %s", r.Status, r.Body)
	}
	d, _ := env.Store.GetInterventionByID(ctx, a.ID)
	if d.Statut != domain.StatutOuverte || d.TechnicienID != nil {
		t.Fatalf("after DELETE: %+v", d)
	}
	if r := do(apitest.Responsable, "GET", path, nil); r.Status != http.StatusNotFound {
		t.Fatalf("deleted planning still read: %d", r.Status)
	}
	var actions []string
	if err := env.Store.DB().SelectContext(ctx, &actions, `SELECT action FROM historique WHERE entite = 'intervention' AND entite_id = $1 ORDER BY id`, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(actions, ","); !strings.HasSuffix(got, "assignation,assignation,assignation,desassignation") {
		t.Fatalf("historique %s", got)
	}
	var st struct {
		Statut string `json:"statut"`
	}
	wf := do(apitest.Responsable, "GET", "/api/v1/interventions/"+apitest.ID(a.ID)+"/workflow", nil)
	wf.JSON(t, &st)
	if st.Statut != "ouverte" {
		t.Fatalf("workflow state after DELETE: %s", wf.Body)
	}
	if r := do(apitest.Responsable, "DELETE", path, nil); r.Status != http.StatusNotFound {
		t.Fatalf("second delete: %d", r.Status)
	}
	// The open intervention can be planned again; started work cannot lose its slot.
	r = do(apitest.Responsable, "POST", "/api/v1/planning", map[string]any{"intervention_id": a.ID, "technicien_id": marie, "date_planifiee": slot})
	if r.Status != http.StatusCreated {
		t.Fatalf("re-plan after delete: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &pl)
	step(t, env, apitest.Technicien, "POST", "/api/v1/interventions/"+apitest.ID(a.ID)+"/start", nil, http.StatusOK)
	if r := do(apitest.Responsable, "DELETE", "/api/v1/planning/"+apitest.ID(pl.ID), nil); r.Status != http.StatusConflict {
		t.Fatalf("delete the planning of started work: %d %s", r.Status, r.Body)
	}
}

func TestNotificationsSentByAManager(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tech := env.User(apitest.Technicien)
	do := func(who, method, path string, body any, hdr map[string]string) *apitest.Response {
		t.Helper()
		return env.Do(t, apitest.Request{Method: method, Path: path, Token: env.Token(who), Body: body, Header: hdr})
	}
	msg := map[string]any{"destinataire_id": tech.ID, "titre": "Rappel sécurité", "message": "EPI obligatoires.", "type": "warning", "metadata": map[string]any{"atelier": "A"}}
	if r := do(apitest.Technicien, "POST", "/api/v1/notifications/", msg, nil); r.Status != http.StatusForbidden {
		t.Fatalf("technicien sends: %d %s", r.Status, r.Body)
	}
	key := map[string]string{"Idempotency-Key": "rappel/" + strconv.FormatInt(time.Now().UnixNano(), 10)}
	r := do(apitest.Responsable, "POST", "/api/v1/notifications/", msg, key)
	if r.Status != http.StatusCreated {
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	var sent domain.Notification
	r.JSON(t, &sent)
	if sent.DestinataireID != tech.ID || sent.Type != domain.NotificationWarning || !strings.Contains(string(sent.Metadata), `"expediteur_id"`) {
		t.Fatalf("sent %+v %s", sent, sent.Metadata)
	}
	// A retried request sends nothing more.
	r = do(apitest.Responsable, "POST", "/api/v1/notifications", msg, key)
	var again domain.Notification
	r.JSON(t, &again)
	if r.Status != http.StatusOK || again.ID != sent.ID {
		t.Fatalf("retried send: %d %s", r.Status, r.Body)
	}
	r = do(apitest.Responsable, "POST", "/api/v1/notifications", map[string]any{"destinataire_id": 999999, "titre": "", "type": "urgent"}, nil)
	if p := r.Problem(t); r.Status != http.StatusUnprocessableEntity || len(p.Errors) != 3 {
		t.Fatalf("bad send: %d %s", r.Status, r.Body)
	}
	r = do(apitest.Responsable, "POST", "/api/v1/notifications", map[string]any{"destinataire_id": 999999, "titre": "t", "message": "m"}, nil)
	if p := r.Problem(t); r.Status != http.StatusUnprocessableEntity || p.Errors[0].Field != "destinataire_id" {
		t.Fatalf("unknown recipient: %d %s", r.Status, r.Body)
	}

	inbox := func(who, path string) []domain.Notification {
		t.Helper()
		r := do(who, "GET", path, nil, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s as %s: %d %s", path, who, r.Status, r.Body)
		}
		var list []domain.Notification
		r.JSON(t, &list)
		return list
	}
	has := func(list []domain.Notification) bool {
		for _, n := range list {
			if n.ID == sent.ID {
				return true
			}
		}
		return false
	}
	if !has(inbox(apitest.Technicien, "/api/v1/notifications/user/me")) {
		t.Fatal("the recipient does not see it at /notifications/user/me")
	}
	if !has(inbox(apitest.Admin, "/api/v1/notifications/user/"+apitest.ID(tech.ID)+"?lue=false")) {
		t.Fatal("the admin does not see it in the user's inbox")
	}
	if has(inbox(apitest.Responsable, "/api/v1/notifications/user/me")) {
		t.Fatal("the sender received it")
	}
	if r := do(apitest.Responsable, "GET", "/api/v1/notifications/user/"+apitest.ID(tech.ID), nil, nil); r.Status != http.StatusForbidden {
		t.Fatalf("responsable reads another inbox: %d", r.Status)
	}
	if r := do(apitest.Admin, "GET", "/api/v1/notifications/user/999999", nil, nil); r.Status != http.StatusNotFound {
		t.Fatalf("unknown user's inbox: %d", r.Status)
	}
}

func TestInterventionFilterValuesAreScopedToTheCaller(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	createOpen(t, env, "Filtre A", 1, noDeadline)
	// One on a machine of Laiterie du Souss (apitest.Client2), out of Cimenterie Atlas's sight.
	var souss int64
	if err := env.Store.DB().GetContext(context.Background(), &souss, `SELECT ce.equipement_id FROM contrat_equipements ce
		JOIN contrats c ON c.id = ce.contrat_id JOIN users u ON u.client_id = c.client_id WHERE u.email = $1 ORDER BY 1 LIMIT 1`, apitest.Client2); err != nil {
		t.Fatal(err)
	}
	createOpen(t, env, "Filtre B", souss, noDeadline)
	type values map[string][]struct {
		Valeur  string `json:"valeur"`
		Libelle string `json:"libelle"`
		Nombre  int    `json:"nombre"`
	}
	filters := func(who string) values {
		t.Helper()
		r := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/filters/interventions", Token: env.Token(who)})
		if r.Status != http.StatusOK {
			t.Fatalf("filters as %s: %d %s", who, r.Status, r.Body)
		}
		var all map[string]any
		r.JSON(t, &all)
		delete(all, "date_creation")
		delete(all, "date_limite")
		v := values{}
		raw, _ := json.Marshal(all)
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	total := func(who string) int {
		t.Helper()
		r := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions?limit=1", Token: env.Token(who)})
		n, _ := strconv.Atoi(r.Header.Get("X-Total-Count"))
		return n
	}
	for _, who := range []string{apitest.Responsable, apitest.Client, apitest.Client2} {
		v := filters(who)
		if len(v["statut"]) != len(domain.StatutsIntervention) || len(v["priorite"]) != len(domain.Priorites) || len(v["type_intervention"]) != len(domain.TypesIntervention) {
			t.Fatalf("%s: enums incomplete %+v", who, v)
		}
		for _, f := range []string{"statut", "priorite", "type_intervention", "urgence", "en_retard", "equipement_id"} {
			sum := 0
			for _, x := range v[f] {
				sum += x.Nombre
				if x.Libelle == "" || x.Libelle == x.Valeur && f != "equipement_id" {
					t.Errorf("%s: %s value %q has no label", who, f, x.Valeur)
				}
			}
			if want := total(who); sum != want {
				t.Errorf("%s: %s counts %d interventions, the list shows %d", who, f, sum, want)
			}
		}
		// Each equipment offered filters to as many interventions as it says.
		for _, e := range v["equipement_id"] {
			r := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions?limit=1&equipement_id=" + e.Valeur, Token: env.Token(who)})
			if got := r.Header.Get("X-Total-Count"); got != strconv.Itoa(e.Nombre) {
				t.Errorf("%s: equipment %s offers %d, the filter gives %s", who, e.Valeur, e.Nombre, got)
			}
		}
	}
	if a, b, c := total(apitest.Responsable), total(apitest.Client), total(apitest.Client2); b == 0 || c == 0 || a != b+c {
		t.Fatalf("responsable %d, clients %d and %d: the scope is not tested", a, b, c)
	}
}

func TestHealthDetailedAndMetricsAlias(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	r := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/health/detailed", Token: env.Token(apitest.Admin)})
	if r.Status != http.StatusOK {
		t.Fatalf("detailed health: %d %s", r.Status, r.Body)
	}
	var h struct {
		Status      string `json:"status"`
		Dependances []struct {
			Nom       string  `json:"nom"`
			Statut    string  `json:"statut"`
			LatenceMs float64 `json:"latence_ms"`
		} `json:"dependances"`
	}
	r.JSON(t, &h)
	got := map[string]string{}
	for _, d := range h.Dependances {
		got[d.Nom] = d.Statut
		if d.Statut == "ok" && d.LatenceMs <= 0 && d.Nom != "documents" {
			t.Errorf("%s: latency %v", d.Nom, d.LatenceMs)
		}
	}
	if h.Status != "ok" || got["postgresql"] != "ok" || got["temporal"] != "ok" || got["documents"] != "ok" || len(got) != 4 {
		t.Fatalf("dependencies %s", r.Body)
	}
	if r := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/health/detailed", Token: env.Token(apitest.Responsable)}); r.Status != http.StatusForbidden {
		t.Fatalf("responsable reads detailed health: %d", r.Status)
	}
	m := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/metrics"})
	if m.Status != http.StatusOK || !strings.Contains(string(m.Body), "# TYPE ") {
		t.Fatalf("metrics alias: %d %.200s", m.Status, m.Body)
	}
}

// TestInterventionCarriesItsEffectiveDeadline: without a date_limite the SLA clock still runs
// (contract or priority delay); the detail shows that deadline and where it comes from, stops it
// during a pause, and computes it from the row once the workflow has ended.
func TestInterventionCarriesItsEffectiveDeadline(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	type detail struct {
		DateCreation time.Time  `json:"date_creation"`
		DateLimite   *time.Time `json:"date_limite"`
		Echeance     struct {
			Date    *time.Time `json:"date"`
			Source  string     `json:"source"`
			EnPause bool       `json:"en_pause"`
			Restant *int64     `json:"restant_secondes"`
			Origine string     `json:"origine"`
		} `json:"echeance_effective"`
	}
	get := func(id int64) detail {
		t.Helper()
		r := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/" + apitest.ID(id), Token: env.Token(apitest.Responsable)})
		if r.Status != http.StatusOK {
			t.Fatalf("get: %d %s", r.Status, r.Body)
		}
		var d detail
		r.JSON(t, &d)
		return d
	}
	// Given date_limite: it is the deadline.
	withDate := createOpen(t, env, "Échéance donnée", 1)
	d := get(withDate.ID)
	if d.Echeance.Source != "date_limite" || d.Echeance.Origine != "regle" || d.Echeance.Date == nil || !d.Echeance.Date.Equal(*d.DateLimite) {
		t.Fatalf("with date_limite: %+v", d)
	}
	// None: the contract's delay, else the priority's — the same rule as the workflow's.
	open := createOpen(t, env, "Sans échéance", 1, noDeadline)
	d = get(open.ID)
	c, err := env.Store.SLAForEquipement(ctx, 1, d.DateCreation)
	if err != nil {
		t.Fatal(err)
	}
	want, source := domain.Deadline(nil, d.DateCreation, c.ResolutionHeures, domain.PrioriteHaute, env.Config.SLA.ByPriorite(), 0)
	if d.DateLimite != nil || d.Echeance.Source != source || d.Echeance.Origine != "regle" || d.Echeance.Date == nil || !d.Echeance.Date.Equal(want) {
		t.Fatalf("without date_limite: %+v, want %s from %s", d.Echeance, want, source)
	}
	// Paused: the clock stops, the time left is kept.
	path := "/api/v1/interventions/" + apitest.ID(open.ID)
	step(t, env, apitest.Responsable, "PUT", path+"/assign", map[string]any{"technicien_id": technicienID(t, env, apitest.Technicien)}, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", path+"/start", nil, http.StatusOK)
	step(t, env, apitest.Technicien, "POST", path+"/pause", map[string]any{"motif": "pièce"}, http.StatusOK)
	d = get(open.ID)
	if !d.Echeance.EnPause || d.Echeance.Origine != "workflow" || d.Echeance.Date != nil || d.Echeance.Restant == nil || *d.Echeance.Restant <= 0 {
		t.Fatalf("paused: %+v", d.Echeance)
	}
	// Resumed: the clock, asked since the work has waited, moved the deadline by the pause.
	step(t, env, apitest.Technicien, "POST", path+"/resume", nil, http.StatusOK)
	d = get(open.ID)
	if d.Echeance.Origine != "workflow" || d.Echeance.EnPause || d.Echeance.Date == nil || !d.Echeance.Date.After(want) {
		t.Fatalf("resumed: %+v, want after %s", d.Echeance, want)
	}
	// Finished: computed from the row.
	step(t, env, apitest.Responsable, "POST", path+"/cancel", map[string]any{"motif": "doublon"}, http.StatusOK)
	d = get(open.ID)
	if d.Echeance.Origine != "regle" || d.Echeance.Source != source || !d.Echeance.Date.Equal(want) {
		t.Fatalf("finished: %+v", d.Echeance)
	}
}

// TestWorkflowsCarryTheirSummaryForManagers: in the Temporal Web UI an intervention's workflow
// reads "n°42 — Réparation … — haute — Presse … — client" (its start's user metadata, also its
// current details), and its SLA timer is named.
func TestWorkflowsCarryTheirSummaryForManagers(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	d := createOpen(t, env, "Réparation fuite hydraulique", 1)
	desc, err := describe(ctx, env, d.WorkflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	meta := desc.GetExecutionConfig().GetUserMetadata()
	var summary, details string
	dc := converter.GetDefaultDataConverter()
	if err := dc.FromPayload(meta.GetSummary(), &summary); err != nil {
		t.Fatal(err)
	}
	if err := dc.FromPayload(meta.GetDetails(), &details); err != nil {
		t.Fatal(err)
	}
	client, err := env.Store.ClientOfEquipement(ctx, 1)
	if err != nil || client == "" {
		t.Fatalf("client of equipment 1: %q %v", client, err)
	}
	want := "n°" + apitest.ID(d.ID) + " — Réparation fuite hydraulique — haute — " + d.Equipement.Nom + " — " + client
	if summary != want {
		t.Fatalf("summary %q, want %q", summary, want)
	}
	for _, s := range []string{"Priorité : Haute (urgente)", "Type : Corrective", "Date limite : ", "(heure de Casablanca)", "Créée par : "} {
		if !strings.Contains(details, s) {
			t.Errorf("details lack %q:\n%s", s, details)
		}
	}
	poll.Until(t, "the current details with the number", func() error {
		v, err := env.Temporal.QueryWorkflow(ctx, d.WorkflowID, "", "__temporal_workflow_metadata")
		if err != nil {
			return err
		}
		var md sdkpb.WorkflowMetadata
		if err := v.Get(&md); err != nil {
			return err
		}
		if md.GetCurrentDetails() != want {
			return fmt.Errorf("current details %q, want %q", md.GetCurrentDetails(), want)
		}
		return nil
	})
	// The timeline answered by the workflow's Query starts with the creation and names the actors.
	step(t, env, apitest.Responsable, "PUT", "/api/v1/interventions/"+apitest.ID(d.ID)+"/assign", map[string]any{"technicien_id": technicienID(t, env, apitest.Technicien)}, http.StatusOK)
	r := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/" + apitest.ID(d.ID) + "/workflow", Token: env.Token(apitest.Responsable)})
	var st struct {
		Historique []struct {
			Action    string `json:"action"`
			ActeurNom string `json:"acteur_nom"`
		} `json:"historique"`
	}
	r.JSON(t, &st)
	resp := env.User(apitest.Responsable)
	name := resp.Prenom + " " + resp.Nom
	if len(st.Historique) != 2 || st.Historique[0].Action != "creation" || st.Historique[0].ActeurNom != name ||
		st.Historique[1].Action != "assignation" || st.Historique[1].ActeurNom != name {
		t.Fatalf("timeline %s, want creation and assignation by %s", r.Body, name)
	}
	// The notification of the assignment is in French, its date in the planning's zone, labelled.
	poll.Until(t, "the assignment's notification", func() error {
		r := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/notifications", Token: env.Token(apitest.Technicien)})
		var list []domain.Notification
		r.JSON(t, &list)
		for _, n := range list {
			if n.Titre == "Intervention planifiée" && strings.Contains(n.Message, "« Réparation fuite hydraulique » est planifiée le ") {
				if !strings.Contains(n.Message, "(heure de Casablanca)") || strings.Contains(n.Message, "UTC") || strings.Contains(n.Message, "{") {
					t.Fatalf("notification %q", n.Message)
				}
				return nil
			}
		}
		return fmt.Errorf("%d notifications, none of the assignment", len(list))
	})
	// The SLA timer is named after the intervention.
	poll.Until(t, "the named SLA timer", func() error {
		iter := env.Temporal.GetWorkflowHistory(ctx, d.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return err
			}
			if ev.GetEventType() == enumspb.EVENT_TYPE_TIMER_STARTED {
				var s string
				if err := dc.FromPayload(ev.GetUserMetadata().GetSummary(), &s); err != nil {
					return err
				}
				if strings.HasPrefix(s, "SLA n°"+apitest.ID(d.ID)+" (échéance ") {
					return nil
				}
			}
		}
		return errors.New("no timer named SLA n°…")
	})
}
