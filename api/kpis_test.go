package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// TestKPIsOfPartsAndAssets consumes parts on two clients' equipment and reads the parts cost per
// intervention, equipment and client, the reliability per asset class and the preventive
// compliance, as a responsable and as each client.
func TestKPIsOfPartsAndAssets(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	piece, entrepot, _ := partsSetup(t, f, "KP-1", 10, 100)
	marie := f.technicien(apitest.Technicien)
	presseID, tankID := f.equipement(presse), f.equipement(tankLait)
	complete := func(eq int64, qty float64) int64 {
		t.Helper()
		id := f.intervention(fmt.Sprintf("Réparation %v", qty), eq, domain.PrioriteNormale,
			map[string]any{"statut": "en_cours", "technicien_id": marie, "date_debut": time.Now().Add(-2 * time.Hour)})
		if _, _, err := f.env.Store.ApplyTransition(context.Background(), domain.TransitionWrite{
			InterventionID: id, De: domain.StatutEnCours, Vers: domain.StatutTerminee, Action: "cloture", Date: time.Now(),
			EventKey: fmt.Sprintf("kpi/%d/complete", id), Pieces: []domain.LignePiece{{PieceID: piece, EmplacementID: &entrepot, Quantite: qty}},
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	complete(presseID, 3)
	complete(tankID, 5)
	complete(presseID, 1)

	var rows []domain.CoutPieces
	f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/kpis/couts-pieces?groupe=equipement", nil).JSON(t, &rows)
	if len(rows) != 2 || rows[0].ID != tankID || rows[0].CoutTotal != 50 || rows[1].ID != presseID || rows[1].CoutTotal != 40 || rows[1].Interventions != 2 {
		t.Fatalf("per equipment %+v", rows)
	}
	f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/kpis/couts-pieces?groupe=client", nil).JSON(t, &rows)
	if len(rows) != 2 || rows[0].Libelle != "Laiterie du Souss" || rows[1].Libelle != "Cimenterie Atlas" || rows[1].CoutTotal != 40 {
		t.Fatalf("per client %+v", rows)
	}
	res := f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/kpis/couts-pieces", nil)
	if n := total(t, res); n != 3 {
		t.Fatalf("%d interventions with parts", n)
	}
	f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/kpis/couts-pieces?groupe=client", nil).JSON(t, &rows)
	if len(rows) != 1 || rows[0].Libelle != "Cimenterie Atlas" || rows[0].CoutTotal != 40 {
		t.Fatalf("Atlas sees %+v", rows)
	}
	f.want422(t, "groupe", apitest.Responsable, "GET", "/api/v1/kpis/couts-pieces?groupe=technicien", nil)
	f.want422(t, "date_fin", apitest.Responsable, "GET", "/api/v1/kpis/fiabilite?date_debut=2026-01-10&date_fin=2026-01-01", nil)

	var classes []domain.FiabiliteClasse
	f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/kpis/fiabilite", nil).JSON(t, &classes)
	presseType := ""
	if err := f.env.Store.Q().GetContext(context.Background(), &presseType, `SELECT type FROM equipements WHERE id = $1`, presseID); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range classes {
		if c.Classe == presseType {
			found = true
			if c.Pannes != 2 || c.MTTRHeures == nil || *c.MTTRHeures < 1.9 || *c.MTTRHeures > 2.1 || c.MTBFHeures == nil {
				t.Fatalf("class %+v", c)
			}
		}
	}
	if !found {
		t.Fatalf("no class %q in %+v", presseType, classes)
	}
	f.want(t, http.StatusOK, apitest.Client2, "GET", "/api/v1/kpis/fiabilite", nil).JSON(t, &classes)
	seen := 0
	for _, c := range classes {
		seen += c.Equipements
	}
	if n := total(t, f.want(t, http.StatusOK, apitest.Client2, "GET", "/api/v1/equipements", nil)); seen != n {
		t.Fatalf("the dairy's classes count %d equipment, it sees %d", seen, n)
	}
	var conf []domain.ConformiteDeclencheur
	f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/kpis/conformite-preventive", nil).JSON(t, &conf)
	if len(conf) != 3 || conf[0].Declencheur != "calendrier" || conf[1].Declencheur != "usage" || conf[2].Declencheur != "premier_atteint" {
		t.Fatalf("compliance %+v", conf)
	}
}
