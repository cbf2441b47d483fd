package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

func TestHistoriqueAPI(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	resp := f.env.User(apitest.Responsable)
	var eq domain.EquipementVue
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/equipements", map[string]any{"nom": "Four F-1", "type": "Four", "numero_serie": "F1-001"}).JSON(t, &eq)
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", "/api/v1/equipements/"+apitest.ID(eq.ID), map[string]any{"localisation": "Hall 2"})

	t.Run("admin filters the audit trail", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Admin, "GET", "/api/v1/historique?entite=equipement&entite_id="+apitest.ID(eq.ID), nil)
		var h []domain.Historique
		res.JSON(t, &h)
		if total(t, res) != 2 || len(h) != 2 || h[0].Action != "modification" || h[1].Action != "creation" || h[0].ActeurID == nil || *h[0].ActeurID != resp.ID {
			t.Fatalf("historique %+v", h)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Admin, "GET", "/api/v1/historique?acteur_id="+apitest.ID(resp.ID), nil)); n != 2 {
			t.Fatalf("by actor: %d", n)
		}
		today := day(time.Now())
		if n := total(t, f.want(t, http.StatusOK, apitest.Admin, "GET", "/api/v1/historique?entite=equipement&date_debut="+today+"&date_fin="+today, nil)); n != 2 {
			t.Fatalf("today: %d", n)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Admin, "GET", "/api/v1/historique?date_fin=2020-01-01", nil)); n != 0 {
			t.Fatalf("before 2020: %d", n)
		}
		// The demo data set's accounts were recorded too.
		if n := total(t, f.want(t, http.StatusOK, apitest.Admin, "GET", "/api/v1/historique?entite=user&limit=1", nil)); n < 7 {
			t.Fatalf("user events: %d", n)
		}
		f.want422(t, "entite_id", apitest.Admin, "GET", "/api/v1/historique?entite_id=-3", nil)
		f.want422(t, "date_debut", apitest.Admin, "GET", "/api/v1/historique?date_debut=31/12/2026", nil)
	})

	t.Run("only admins read it", func(t *testing.T) {
		for _, who := range []string{apitest.Responsable, apitest.Technicien, apitest.Client} {
			f.want(t, http.StatusForbidden, who, "GET", "/api/v1/historique", nil)
		}
	})
}
