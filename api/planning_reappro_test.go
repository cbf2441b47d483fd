package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/planner"
	"github.com/mifmaroc/mif/planner/weekly"
)

// TestOptimizeRestocksAtAWarehouse: Marie's van holds one seal, two jobs of her day need one
// each (one reserved in her van, one waiting at a warehouse): the planned route passes by the
// warehouse between them, and the answer shows the stop. The van stock and the warehouse's come
// from the inventory tables.
func TestOptimizeRestocksAtAWarehouse(t *testing.T) {
	t.Parallel()
	f := newFixtures(t, apitest.WithEnv("MIF_PLANNING_TIME_BUDGET", "3s"))
	env := f.env
	loc, _ := time.LoadLocation(env.Config.Workflows.Timezone)
	r := routeEnv{env: env, loc: loc}
	monday := planner.WeekStart(time.Now().In(loc).AddDate(0, 0, 7), loc)
	marie := f.technicien(apitest.Technicien)
	piece, entrepot, van := partsSetup(t, f, "JT-77", 15, 10)
	// The warehouse stands a kilometre from the press's site.
	depot := f.id(`INSERT INTO sites (client_id, nom, ville, latitude, longitude)
		SELECT s.client_id, 'Dépôt de pièces (test)', s.ville, s.latitude + 0.01, s.longitude + 0.005
		FROM sites s JOIN equipements e ON e.site_id = s.id WHERE e.numero_serie = $1 RETURNING id`, presse)
	var l domain.Emplacement
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", "/api/v1/emplacements/"+apitest.ID(entrepot), map[string]any{"site_id": depot}).JSON(t, &l)
	if l.SiteID == nil || *l.SiteID != depot || l.SiteNom == nil {
		t.Fatalf("warehouse %+v", l)
	}
	f.want422(t, "site_id", apitest.Responsable, "PUT", "/api/v1/emplacements/"+apitest.ID(van), map[string]any{"site_id": depot})
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/transferts",
		map[string]any{"piece_id": piece, "de_emplacement_id": entrepot, "vers_emplacement_id": van, "quantite": 1})
	first := r.open(t, "Presse : joint de vérin", presse)
	second := r.open(t, "Presse : joint de pompe", presse)
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/interventions/"+apitest.ID(first)+"/reservations",
		map[string]any{"piece_id": piece, "emplacement_id": van, "quantite": 1})
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/interventions/"+apitest.ID(second)+"/reservations",
		map[string]any{"piece_id": piece, "emplacement_id": entrepot, "quantite": 1})

	// What the planner is fed comes from the stocks and reservations.
	sla := env.Config.SLA
	techs, its, err := env.Store.LoadRoutingInput(context.Background(), monday, monday.AddDate(0, 0, 1), &marie, env.Config.Workflows.DefaultDuree,
		map[domain.Priorite]time.Duration{domain.PrioriteCritique: sla.Critique, domain.PrioriteHaute: sla.Haute, domain.PrioriteNormale: sla.Normale, domain.PrioriteBasse: sla.Basse})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(techs, func(x weekly.Technicien) bool { return x.ID == marie }); i < 0 || len(techs[i].Stock) != 1 || techs[i].Stock["jt-77"] != 1 {
		t.Fatalf("Marie's van as the planner sees it: %+v", techs)
	}
	for _, it := range its {
		switch it.ID {
		case first:
			if it.Pieces["jt-77"] != 1 || len(it.PiecesEntrepot) != 0 {
				t.Fatalf("first job's parts %v %v", it.Pieces, it.PiecesEntrepot)
			}
		case second:
			if len(it.Pieces) != 0 || it.PiecesEntrepot["jt-77"] != 1 {
				t.Fatalf("second job's parts %v %v", it.Pieces, it.PiecesEntrepot)
			}
		}
	}
	ents, err := env.Store.LoadEntrepots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(ents, func(e weekly.Entrepot) bool { return e.ID == entrepot }); i < 0 || ents[i].Site == nil ||
		ents[i].Site.ID != depot || ents[i].Stock["jt-77"] != 9 {
		t.Fatalf("warehouses %+v", ents)
	}

	var opt optimisation
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/optimize", Token: env.Token(apitest.Responsable),
		Body: map[string]any{"technicien_id": marie, "date": monday.Format(time.DateOnly)}})
	switch res.Status {
	case http.StatusOK, http.StatusAccepted:
		res.JSON(t, &opt)
	default:
		t.Fatalf("optimize: %d %s", res.Status, res.Body)
	}
	waitFor(t, func() bool {
		if opt.Statut == "terminee" {
			return true
		}
		st := env.Do(t, apitest.Request{Method: "GET", Path: opt.Lien, Token: env.Token(apitest.Responsable)})
		opt = optimisation{}
		st.JSON(t, &opt)
		return st.Status == http.StatusOK && opt.Statut == "terminee"
	}, "the optimisation to end")
	got := opt.Resultat
	order := map[int64]domain.AffectationTournee{}
	for _, a := range got.Affectations {
		if a.InterventionID == first || a.InterventionID == second {
			order[a.InterventionID] = a
		}
	}
	if len(order) != 2 || order[first].TechnicienID != marie || order[second].TechnicienID != marie {
		t.Fatalf("the two jobs are not both Marie's: %+v, undone %+v", got.Affectations, got.NonPlanifiees)
	}
	if len(got.Reapprovisionnements) != 1 {
		t.Fatalf("restocking stops %+v", got.Reapprovisionnements)
	}
	stop := got.Reapprovisionnements[0]
	before, after := order[first], order[second]
	if after.Ordre < before.Ordre {
		before, after = after, before
	}
	// Between the two (other open work of the demo data may be planned around them).
	if stop.EmplacementID != entrepot || stop.SiteID != depot || stop.TechnicienID != marie || stop.AvantInterventionID == 0 ||
		stop.Pieces["jt-77"] < 1 || stop.Ordre <= before.Ordre || stop.Ordre >= after.Ordre ||
		!stop.Date.After(before.DatePlanifiee) || !stop.Date.Before(after.DatePlanifiee) {
		t.Fatalf("restocking stop %+v between %+v and %+v", stop, before, after)
	}
}
