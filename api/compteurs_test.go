package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// TestMetersAndReadings posts readings one by one and in bulk: a reading posted again is
// recorded once, a lower value needs a declared reset, an outlier and a reading out of order are
// refused with their reason, and the meter's usage rate follows.
func TestMetersAndReadings(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	presseID := f.equipement(presse)
	var c domain.Compteur
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/compteurs",
		map[string]any{"equipement_id": presseID, "nom": "Heures de marche", "unite": "h", "variation_max_jour": 24}).JSON(t, &c)
	f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/compteurs", map[string]any{"equipement_id": presseID, "nom": "heures de marche", "unite": "h"})
	f.want422(t, "equipement_id", apitest.Responsable, "POST", "/api/v1/compteurs", map[string]any{"equipement_id": 987654, "nom": "Cycles", "unite": "cycles"})
	f.want(t, http.StatusForbidden, apitest.Technicien, "POST", "/api/v1/compteurs", map[string]any{"equipement_id": presseID, "nom": "Cycles", "unite": "cycles"})
	path := "/api/v1/compteurs/" + apitest.ID(c.ID)
	f.want(t, http.StatusNotFound, apitest.Client2, "GET", path, nil)
	f.want(t, http.StatusOK, apitest.Client, "GET", path, nil)

	t0 := time.Now().Add(-10 * 24 * time.Hour).UTC().Truncate(time.Second)
	at := func(h float64) string { return t0.Add(time.Duration(h * float64(time.Hour))).Format(time.RFC3339) }
	post := func(who string, want int, id string, v float64, h float64, reset bool) domain.ResultatReleve {
		t.Helper()
		var r domain.ResultatReleve
		res := f.want(t, want, who, "POST", path+"/releves", map[string]any{"releve_id": id, "valeur": v, "date_releve": at(h), "remise_a_zero": reset})
		if want < 300 {
			res.JSON(t, &r)
		} else {
			r.Raison = res.Problem(t).Detail
		}
		return r
	}
	if r := post(apitest.Technicien, http.StatusCreated, "r1", 1000, 0, false); r.Statut != "enregistre" || r.Releve.Increment != 0 {
		t.Fatalf("first %+v", r)
	}
	post(apitest.Technicien, http.StatusCreated, "r2", 1016, 24, false)
	if r := post(apitest.Technicien, http.StatusOK, "r2", 1016, 24, false); r.Statut != "deja_enregistre" {
		t.Fatalf("again %+v", r)
	}
	if r := post(apitest.Technicien, http.StatusUnprocessableEntity, "r2", 1017, 25, false); !strings.Contains(r.Raison, "déjà utilisé") {
		t.Fatalf("same id, other reading: %s", r.Raison)
	}
	if r := post(apitest.Technicien, http.StatusUnprocessableEntity, "r3", 1010, 30, false); !strings.Contains(r.Raison, "remise à zéro") {
		t.Fatalf("lower: %s", r.Raison)
	}
	if r := post(apitest.Technicien, http.StatusUnprocessableEntity, "r3", 1500, 34, false); !strings.Contains(r.Raison, "aberrante") {
		t.Fatalf("outlier: %s", r.Raison)
	}
	if r := post(apitest.Technicien, http.StatusUnprocessableEntity, "r3", 1020, 12, false); !strings.Contains(r.Raison, "antérieur") {
		t.Fatalf("out of order: %s", r.Raison)
	}
	f.want422(t, "valeur", apitest.Technicien, "POST", path+"/releves", map[string]any{"releve_id": "r9", "date_releve": at(40)})
	f.want(t, http.StatusForbidden, apitest.Client, "POST", path+"/releves", map[string]any{"releve_id": "r9", "valeur": 1, "date_releve": at(40)})

	// In bulk, unordered, with a duplicate of r2, a reset and an outlier.
	var lot struct {
		Resultats []domain.ResultatReleve `json:"resultats"`
	}
	f.want(t, http.StatusOK, apitest.Technicien, "POST", path+"/releves/lot", map[string]any{"releves": []map[string]any{
		{"releve_id": "r5", "valeur": 1048, "date_releve": at(72)},
		{"releve_id": "r4", "valeur": 1032, "date_releve": at(48)},
		{"releve_id": "r2", "valeur": 1016, "date_releve": at(24)},
		{"releve_id": "r6", "valeur": 4, "date_releve": at(96), "remise_a_zero": true},
		{"releve_id": "r7", "valeur": 400, "date_releve": at(100)},
	}}).JSON(t, &lot)
	want := []string{"enregistre", "enregistre", "deja_enregistre", "enregistre", "refuse"}
	for i, r := range lot.Resultats {
		if r.Statut != want[i] {
			t.Fatalf("bulk result %d: %+v (all: %+v)", i, r, lot.Resultats)
		}
	}
	if lot.Resultats[3].Releve.Increment != 4 || lot.Resultats[4].Raison == "" {
		t.Fatalf("reset and outlier: %+v", lot.Resultats)
	}
	f.want(t, http.StatusOK, apitest.Client, "GET", path, nil).JSON(t, &c)
	if c.Valeur == nil || *c.Valeur != 4 || c.UsageJour == nil || *c.UsageJour != 13 { // 16 + 16 + 16 + 4 (after the reset) in 4 days
		t.Fatalf("meter %+v usage %v", c, *c.UsageJour)
	}
	if n := total(t, f.want(t, http.StatusOK, apitest.Client, "GET", path+"/releves", nil)); n != 5 {
		t.Fatalf("%d readings", n)
	}
	f.want422(t, "releves[1].releve_id", apitest.Technicien, "POST", path+"/releves/lot", map[string]any{"releves": []map[string]any{
		{"releve_id": "x", "valeur": 1, "date_releve": at(200)}, {"valeur": 1, "date_releve": at(201)}}})
	if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'compteur' AND entite_id = $1 AND action = 'releves'`, c.ID); n != 3 {
		t.Fatalf("%d historique rows for readings, want one per request that recorded some", n)
	}
	f.want(t, http.StatusConflict, apitest.Responsable, "DELETE", path, nil)
}
