package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/workflows"
)

// TestUsagePreventivePlan sets a usage plan on an equipment through the API: invalid plans are
// refused field by field, the plan's forecast follows the meter's rate (in the API and in the
// cycle's Query), and a burst of concurrent readings crossing the threshold opens exactly one
// preventive intervention, recorded once as a usage occurrence, which the compliance KPI counts
// under its trigger type.
func TestUsagePreventivePlan(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	env := f.env
	ctx := context.Background()
	var eq domain.Equipement
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/equipements", map[string]any{
		"nom": "Compresseur C-7", "type": "Compresseur", "numero_serie": "C7-2026-001", "localisation": "Atelier B"}).JSON(t, &eq)
	var m, other domain.Compteur
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/compteurs",
		map[string]any{"equipement_id": eq.ID, "nom": "Heures de marche", "unite": "h"}).JSON(t, &m)
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/compteurs",
		map[string]any{"equipement_id": f.equipement(presse), "nom": "Heures de marche", "unite": "h"}).JSON(t, &other)
	path := "/api/v1/equipements/" + apitest.ID(eq.ID) + "/plan-preventif"

	// Validation: each field in fault named.
	f.want422(t, "declencheur", apitest.Responsable, "PUT", path, map[string]any{"declencheur": "hebdomadaire"})
	f.want422(t, "compteur_id", apitest.Responsable, "PUT", path, map[string]any{"declencheur": "usage"})
	f.want422(t, "intervalle_usage", apitest.Responsable, "PUT", path, map[string]any{"declencheur": "usage", "compteur_id": m.ID})
	f.want422(t, "intervalle_usage", apitest.Responsable, "PUT", path, map[string]any{"declencheur": "usage", "compteur_id": m.ID, "intervalle_usage": -5})
	f.want422(t, "frequence_jours", apitest.Responsable, "PUT", path, map[string]any{"declencheur": "premier_atteint", "compteur_id": m.ID, "intervalle_usage": 100})
	f.want422(t, "compteur_id", apitest.Responsable, "PUT", path, map[string]any{"declencheur": "calendrier", "frequence_jours": 30, "compteur_id": m.ID})
	f.want422(t, "compteur_id", apitest.Responsable, "PUT", path, map[string]any{"declencheur": "usage", "compteur_id": 987654, "intervalle_usage": 100})
	res := f.want(t, http.StatusUnprocessableEntity, apitest.Responsable, "PUT", path, map[string]any{"declencheur": "usage", "compteur_id": other.ID, "intervalle_usage": 100})
	if p := res.Problem(t); p.Code != "validation_failed" || !strings.Contains(p.Detail, "propre équipement") {
		t.Fatalf("meter of another equipment: %+v", p)
	}
	f.want(t, http.StatusForbidden, apitest.Technicien, "PUT", path, map[string]any{"declencheur": "usage", "compteur_id": m.ID, "intervalle_usage": 100})
	f.want(t, http.StatusNotFound, apitest.Client2, "GET", path, nil)

	// Readings: origin 10 days ago, +40 h 5 days later: 8 h a day.
	t0 := time.Now().Add(-10 * 24 * time.Hour).UTC().Truncate(time.Second)
	releves := "/api/v1/compteurs/" + apitest.ID(m.ID) + "/releves"
	f.want(t, http.StatusCreated, apitest.Technicien, "POST", releves, map[string]any{"releve_id": "o", "valeur": 1000, "date_releve": t0})
	var plan domain.PlanPreventif
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", path, map[string]any{"declencheur": "usage", "compteur_id": m.ID, "intervalle_usage": 100}).JSON(t, &plan)
	if !plan.Actif || plan.SeuilUsage == nil || *plan.SeuilUsage != 100 || plan.FrequenceJours != nil {
		t.Fatalf("plan %+v", plan)
	}
	t5 := t0.Add(5 * 24 * time.Hour)
	f.want(t, http.StatusCreated, apitest.Technicien, "POST", releves, map[string]any{"releve_id": "a", "valeur": 1040, "date_releve": t5})
	f.want(t, http.StatusNotFound, apitest.Client, "GET", path, nil) // under no client's contract
	f.want(t, http.StatusOK, apitest.Technicien, "GET", path, nil).JSON(t, &plan)
	want := t5.Add(60 / 8.0 * 24 * time.Hour)
	if plan.UsageJour == nil || *plan.UsageJour != 8 || plan.PrevisionUsage == nil || !plan.PrevisionUsage.Equal(want) || !plan.Prochaine.Equal(want) {
		t.Fatalf("forecast %+v, want %v", plan, want)
	}
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND entite_id = $1 AND action = 'plan_preventif'`, eq.ID); n != 1 {
		t.Fatalf("%d historique rows of the plan", n)
	}
	// The readings started the cycle, which forecasts the same date.
	wid := workflows.PreventiveWorkflowID(env.Config.Temporal.TaskQueue, eq.ID)
	var st workflows.PreventiveState
	waitFor(t, func() bool {
		v, err := env.Temporal.QueryWorkflow(ctx, wid, "", workflows.QueryPreventiveState)
		return err == nil && v.Get(&st) == nil && st.Etape == "attente" && st.UsageCumule != nil && *st.UsageCumule == 40
	}, "the usage cycle")
	if st.PrevisionUsage == nil || !st.PrevisionUsage.Equal(want) || st.Declencheur != "usage" || st.CompteurID != m.ID {
		t.Fatalf("cycle state %+v", st)
	}

	// A burst: 16 readings posted at once, one by one and in lots, all past the threshold.
	var wg sync.WaitGroup
	statuses := make([]int, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := t5.Add(time.Duration(i+1) * time.Hour)
			body := map[string]any{"releve_id": "b" + apitest.ID(int64(i)), "valeur": 1100 + i, "date_releve": at}
			p := releves
			if i%4 == 0 {
				p, body = releves+"/lot", map[string]any{"releves": []any{body}}
			}
			statuses[i] = env.Do(t, apitest.Request{Method: "POST", Path: p, Token: f.tok[apitest.Technicien], Body: body}).Status
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusCreated && s != http.StatusOK && s != http.StatusUnprocessableEntity { // 422: came after a later one
			t.Fatalf("reading %d: %d", i, s)
		}
	}
	childID := workflows.PreventiveUsageInterventionWorkflowID(env.Config.Temporal.TaskQueue, eq.ID, m.ID, 100)
	waitFor(t, func() bool {
		return countRows(t, env, `SELECT count(*) FROM interventions WHERE workflow_id = $1`, childID) == 1
	}, "the usage occurrence")
	waitFor(t, func() bool {
		v, err := env.Temporal.QueryWorkflow(ctx, wid, "", workflows.QueryPreventiveState)
		return err == nil && v.Get(&st) == nil && st.Etape == "intervention"
	}, "the cycle waiting for its occurrence")
	// More readings while it is open change nothing.
	f.want(t, http.StatusOK, apitest.Technicien, "POST", releves+"/lot", map[string]any{"releves": []any{
		map[string]any{"releve_id": "c1", "valeur": 1300, "date_releve": t5.Add(30 * time.Hour)},
		map[string]any{"releve_id": "c2", "valeur": 1400, "date_releve": t5.Add(31 * time.Hour)}}})
	if n := countRows(t, env, `SELECT count(*) FROM interventions WHERE equipement_id = $1 AND type_intervention = 'preventive'`, eq.ID); n != 1 {
		t.Fatalf("%d preventive interventions, want 1", n)
	}
	if n := countRows(t, env, `SELECT count(*) FROM occurrences_preventives WHERE equipement_id = $1 AND cle = 'usage/`+apitest.ID(m.ID)+`/100' AND cause = 'usage'`, eq.ID); n != 1 {
		t.Fatalf("%d occurrences", n)
	}
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND entite_id = $1 AND action = 'occurrence_preventive'`, eq.ID); n != 1 {
		t.Fatalf("%d occurrence historique rows", n)
	}
	f.want(t, http.StatusOK, apitest.Responsable, "GET", path, nil).JSON(t, &plan)
	if plan.UsageBase < 100 || *plan.SeuilUsage != plan.UsageBase+100 || plan.DateReference == nil {
		t.Fatalf("the count restarts from the occurrence: %+v", plan)
	}

	// KPI: the occurrence counts under usage; done on time, 100 %.
	var conf []domain.ConformiteDeclencheur
	f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/kpis/conformite-preventive?date_debut="+time.Now().Format(time.DateOnly)+
		"&date_fin="+time.Now().AddDate(0, 0, 10).Format(time.DateOnly), nil).JSON(t, &conf)
	if len(conf) != 3 || conf[0].Declencheur != "calendrier" || conf[1].Declencheur != "usage" || conf[2].Declencheur != "premier_atteint" {
		t.Fatalf("compliance rows %+v", conf)
	}
	if conf[1].Prevues != 1 || conf[1].RealiseesATemps != 0 || conf[1].TauxConformite == nil || *conf[1].TauxConformite != 0 || conf[2].Prevues != 0 {
		t.Fatalf("usage compliance before the work %+v", conf)
	}
	// The work done (written directly: the lifecycle is tested elsewhere).
	if _, err := env.Store.DB().ExecContext(ctx, `UPDATE interventions SET statut = 'terminee', date_debut = now(), date_fin = now() WHERE workflow_id = $1`, childID); err != nil {
		t.Fatal(err)
	}
	f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/kpis/conformite-preventive?date_debut="+time.Now().Format(time.DateOnly)+
		"&date_fin="+time.Now().AddDate(0, 0, 10).Format(time.DateOnly), nil).JSON(t, &conf)
	if conf[1].Prevues != 1 || conf[1].RealiseesATemps != 1 || *conf[1].TauxConformite != 100 {
		t.Fatalf("usage compliance after the work %+v", conf[1])
	}
}
