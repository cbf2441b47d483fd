package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

func TestPlanningReadAPI(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	dubois, elAmrani := f.technicien(apitest.Technicien), f.technicien(apitest.Technicien2)
	monday := time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC)
	plan := func(titre string, eq, tech int64, at time.Time, minutes int) int64 {
		i := f.intervention(titre, eq, domain.PrioriteHaute, map[string]any{"technicien_id": tech, "statut": "planifiee"})
		return f.id(`INSERT INTO plannings (intervention_id, technicien_id, date_planifiee, duree_estimee) VALUES ($1, $2, $3, $4) RETURNING id`, i, tech, at, minutes)
	}
	p1 := plan("Réparation fuite hydraulique", f.equipement(presse), dubois, monday.Add(9*time.Hour), 240)
	p2 := plan("Contrôle vérin", f.equipement(broyeur), dubois, monday.AddDate(0, 0, 2).Add(14*time.Hour), 60)
	p3 := plan("Nettoyage tank", f.equipement(tankLait), elAmrani, monday.AddDate(0, 0, 1).Add(8*time.Hour), 90)
	plan("Hors période", f.equipement(presse), dubois, monday.AddDate(0, 0, 10), 30)

	t.Run("a technicien's week in the seed's nested shape", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Technicien, "GET", "/api/v1/planning/technicien/"+apitest.ID(dubois)+"?date_debut=2026-12-14&date_fin=2026-12-20", nil)
		var items []domain.PlanningVue
		res.JSON(t, &items)
		if len(items) != 2 || items[0].ID != p1 || items[1].ID != p2 {
			t.Fatalf("week: %+v", items)
		}
		first := items[0]
		if first.DureeEstimee != 240 || first.Statut != domain.PlanningPlanifiee || first.Intervention.Titre != "Réparation fuite hydraulique" ||
			first.Intervention.Priorite != domain.PrioriteHaute || first.Intervention.Equipement.Nom != "Presse hydraulique PH-001" ||
			first.Intervention.Equipement.Localisation != "Atelier A" || first.Technicien.Nom != "Dubois" {
			t.Fatalf("nested shape: %+v", first)
		}
		f.want(t, http.StatusNotFound, apitest.Responsable, "GET", "/api/v1/planning/technicien/999999", nil)
		f.want422(t, "date_debut", apitest.Responsable, "GET", "/api/v1/planning/technicien/"+apitest.ID(dubois)+"?date_debut=lundi", nil)
		f.want422(t, "date_fin", apitest.Responsable, "GET", "/api/v1/planning/technicien/"+apitest.ID(dubois)+"?date_debut=2026-12-20&date_fin=2026-12-14", nil)
		f.want422(t, "date_fin", apitest.Responsable, "GET", "/api/v1/planning/technicien/"+apitest.ID(dubois)+"?date_debut=2026-01-01&date_fin=2028-01-01", nil)
	})

	t.Run("list by period, filters, detail", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/planning?date_debut=2026-12-14&date_fin=2026-12-20", nil)
		if got := ids(t, res); !slices.Equal(got, []int64{p1, p3, p2}) || total(t, res) != 3 {
			t.Fatalf("period: %v", got)
		}
		if got := ids(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/planning?technicien_id="+apitest.ID(elAmrani), nil)); !slices.Equal(got, []int64{p3}) {
			t.Fatalf("by technicien: %v", got)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/planning?statut=annulee", nil)); n != 0 {
			t.Fatalf("cancelled: %d", n)
		}
		f.want422(t, "statut", apitest.Responsable, "GET", "/api/v1/planning?statut=faite", nil)
		var got domain.PlanningVue
		f.want(t, http.StatusOK, apitest.Technicien2, "GET", "/api/v1/planning/"+apitest.ID(p3), nil).JSON(t, &got)
		if got.Intervention.Titre != "Nettoyage tank" || got.TechnicienID != elAmrani {
			t.Fatalf("detail %+v", got)
		}
		f.want(t, http.StatusNotFound, apitest.Responsable, "GET", "/api/v1/planning/999999", nil)
	})

	t.Run("clients have no planning", func(t *testing.T) {
		f.want(t, http.StatusForbidden, apitest.Client, "GET", "/api/v1/planning", nil)
		f.want(t, http.StatusForbidden, apitest.Client, "GET", "/api/v1/planning/"+apitest.ID(p1), nil)
		f.want(t, http.StatusForbidden, apitest.Client, "GET", "/api/v1/planning/technicien/"+apitest.ID(dubois), nil)
	})
}
