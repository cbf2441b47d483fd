package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

const interventionsPath = "/api/v1/interventions"

func TestInterventionListAPI(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	presseID, broyeurID, tankID := f.equipement(presse), f.equipement(broyeur), f.equipement(tankLait)
	dubois, elAmrani := f.technicien(apitest.Technicien), f.technicien(apitest.Technicien2)
	now := time.Now().UTC()
	// Atlas's equipment: a, b, c; Souss's: d.
	a := f.intervention("Fuite hydraulique vérin", presseID, domain.PrioriteCritique, map[string]any{
		"urgence": true, "technicien_id": dubois, "statut": "en_cours", "date_limite": now.Add(-2 * time.Hour), "date_creation": now.Add(-48 * time.Hour)})
	b := f.intervention("Remplacement roulement", broyeurID, domain.PrioriteNormale, map[string]any{
		"technicien_id": elAmrani, "statut": "planifiee", "date_limite": now.Add(72 * time.Hour), "date_creation": now.Add(-24 * time.Hour)})
	c := f.intervention("Graissage mensuel", presseID, domain.PrioriteBasse, map[string]any{
		"statut": "terminee", "date_limite": now.Add(-240 * time.Hour), "date_creation": now.Add(-300 * time.Hour), "en_retard": true})
	d := f.intervention("Contrôle température", tankID, domain.PrioriteHaute, map[string]any{
		"date_creation": now.Add(-1 * time.Hour)})

	t.Run("list newest first with embedded equipment, technicien and planning", func(t *testing.T) {
		f.exec(`INSERT INTO plannings (intervention_id, technicien_id, date_planifiee, duree_estimee) VALUES ($1, $2, now() + interval '1 day', 240)`, b, elAmrani)
		res := f.want(t, http.StatusOK, apitest.Responsable, "GET", interventionsPath+"/", nil)
		var items []domain.InterventionDetail
		res.JSON(t, &items)
		if total(t, res) != 4 || len(items) != 4 {
			t.Fatalf("%d interventions", len(items))
		}
		if got := ids(t, res); !slices.Equal(got, []int64{d, b, a, c}) {
			t.Fatalf("order %v", got)
		}
		if items[1].Technicien == nil || items[1].Technicien.Nom != "El Amrani" || items[1].Planning == nil || items[1].Planning.DureeEstimee != 240 ||
			items[1].Equipement.Nom != "Broyeur à boulets BB-07" {
			t.Fatalf("embedded: %+v", items[1])
		}
	})

	t.Run("filters", func(t *testing.T) {
		cases := map[string][]int64{
			"?statut=en_cours":                       {a},
			"?priorite=critique":                     {a},
			"?type_intervention=corrective":          {d, b, a, c},
			"?equipement_id=" + apitest.ID(presseID): {a, c},
			"?technicien_id=" + apitest.ID(dubois):   {a},
			"?urgence=true":                          {a},
			"?en_retard=true":                        {c},
			"?q=ROULEMENT":                           {b},
			"?q=100%25":                              {},
			"?date_creation_debut=" + now.Add(-30*time.Hour).Format(time.RFC3339):                              {d, b},
			"?date_creation_fin=" + day(now.Add(-72*time.Hour)):                                                {c},
			"?date_limite_debut=" + now.Format(time.RFC3339) + "&date_limite_fin=" + day(now.AddDate(0, 0, 5)): {b},
			"?statut=planifiee&priorite=normale&limit=1":                                                       {b},
		}
		for q, want := range cases {
			res := f.want(t, http.StatusOK, apitest.Admin, "GET", interventionsPath+q, nil)
			if got := ids(t, res); !slices.Equal(got, want) || total(t, res) != len(want) {
				t.Errorf("%s: %v (total %d), want %v", q, got, total(t, res), want)
			}
		}
	})

	t.Run("sort through the allow-list", func(t *testing.T) {
		cases := map[string][]int64{
			"?sort=-priorite":    {a, d, b, c},
			"?sort=date_limite":  {c, a, b, d},
			"?sort=id":           {a, b, c, d},
			"?sort=-id&offset=1": {c, b, a},
		}
		for q, want := range cases {
			if got := ids(t, f.want(t, http.StatusOK, apitest.Admin, "GET", interventionsPath+q, nil)); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", q, got, want)
			}
		}
	})

	t.Run("invalid query parameters are 422 per parameter", func(t *testing.T) {
		for q, field := range map[string]string{
			"?statut=fermee": "statut", "?priorite=urgente": "priorite", "?type_intervention=curative": "type_intervention",
			"?equipement_id=0": "equipement_id", "?urgence=2": "urgence", "?sort=description": "sort", "?sort=titre%3B%20DROP%20TABLE%20x": "sort",
			"?date_creation_debut=hier": "date_creation_debut", "?limit=abc": "limit",
			"?date_limite_debut=2026-05-02&date_limite_fin=2026-05-01": "date_limite_fin",
		} {
			f.want422(t, field, apitest.Responsable, "GET", interventionsPath+q, nil)
		}
		res := f.want(t, http.StatusUnprocessableEntity, apitest.Responsable, "GET", interventionsPath+"?statut=x&priorite=y&limit=0", nil)
		if p := res.Problem(t); len(p.Errors) != 3 {
			t.Fatalf("want all three errors at once: %+v", p.Errors)
		}
	})

	t.Run("clients see interventions on their equipment only", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Client, "GET", interventionsPath, nil)
		if got := ids(t, res); !slices.Equal(got, []int64{b, a, c}) {
			t.Fatalf("client sees %v", got)
		}
		res = f.want(t, http.StatusOK, apitest.Client2, "GET", interventionsPath, nil)
		if got := ids(t, res); !slices.Equal(got, []int64{d}) {
			t.Fatalf("client2 sees %v", got)
		}
		if got := ids(t, f.want(t, http.StatusOK, apitest.Client2, "GET", interventionsPath+"?equipement_id="+apitest.ID(presseID), nil)); len(got) != 0 {
			t.Fatalf("client2 filtering on another's equipment sees %v", got)
		}
		f.want(t, http.StatusNotFound, apitest.Client2, "GET", interventionsPath+"/"+apitest.ID(a), nil)
		f.want(t, http.StatusNotFound, apitest.Client2, "GET", interventionsPath+"/"+apitest.ID(a)+"/historique", nil)
		// Techniciens read every intervention (seed: interventions:read).
		if n := total(t, f.want(t, http.StatusOK, apitest.Technicien, "GET", interventionsPath, nil)); n != 4 {
			t.Fatalf("technicien sees %d", n)
		}
	})

	t.Run("overdue", func(t *testing.T) {
		// a: past its deadline and not finished; c was late but is finished; b and d are on time.
		e := f.intervention("Marquée en retard", presseID, domain.PrioriteHaute, map[string]any{"en_retard": true, "statut": "en_attente"})
		if got := ids(t, f.want(t, http.StatusOK, apitest.Technicien, "GET", interventionsPath+"/overdue", nil)); !slices.Equal(got, []int64{a, e}) {
			t.Fatalf("overdue %v", got)
		}
		if got := ids(t, f.want(t, http.StatusOK, apitest.Client2, "GET", interventionsPath+"/overdue", nil)); len(got) != 0 {
			t.Fatalf("client2 overdue %v", got)
		}
		f.want422(t, "priorite", apitest.Technicien, "GET", interventionsPath+"/overdue?priorite=x", nil)
	})

	t.Run("mine", func(t *testing.T) {
		if got := ids(t, f.want(t, http.StatusOK, apitest.Technicien, "GET", interventionsPath+"/mine", nil)); !slices.Equal(got, []int64{a}) {
			t.Fatalf("technicien's %v", got)
		}
		if got := ids(t, f.want(t, http.StatusOK, apitest.Technicien2, "GET", interventionsPath+"/mine?statut=planifiee", nil)); !slices.Equal(got, []int64{b}) {
			t.Fatalf("technicien2's %v", got)
		}
		if got := ids(t, f.want(t, http.StatusOK, apitest.Client2, "GET", interventionsPath+"/mine", nil)); !slices.Equal(got, []int64{d}) {
			t.Fatalf("client2's %v", got)
		}
		// Managers get the interventions they opened: the fixtures have no creator.
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", interventionsPath+"/mine", nil)); n != 0 {
			t.Fatalf("responsable's %d", n)
		}
	})

	t.Run("historique of an intervention", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Client, "GET", interventionsPath+"/"+apitest.ID(a)+"/historique", nil)
		var h []domain.Historique
		res.JSON(t, &h)
		if len(h) != 1 || h[0].Action != "creation" || h[0].EntiteID != a {
			t.Fatalf("historique %+v", h)
		}
		f.want(t, http.StatusNotFound, apitest.Admin, "GET", interventionsPath+"/999999/historique", nil)
	})
}
