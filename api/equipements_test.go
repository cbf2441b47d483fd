package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

const equipementsPath = "/api/v1/equipements"

func TestEquipementsAPI(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	presseID, broyeurID, tankID := f.equipement(presse), f.equipement(broyeur), f.equipement(tankLait)
	// Maintained yesterday every 30 days: not due soon, so no preventive cycle fires during the test.
	lastMaintenance := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	newEq := map[string]any{
		"nom": "  Convoyeur à bande CB-4  ", "type": "Convoyeur", "modele": "CBX", "numero_serie": "CB4-2024-001",
		"localisation": "Atelier C", "date_installation": "2024-01-10T00:00:00Z",
		"derniere_maintenance": lastMaintenance.Format(time.RFC3339), "frequence_entretien": "30",
	}
	var created domain.EquipementVue

	t.Run("responsable creates, numeric string frequency, computed next maintenance", func(t *testing.T) {
		res := f.want(t, http.StatusCreated, apitest.Responsable, "POST", equipementsPath+"/", newEq)
		res.JSON(t, &created)
		if created.Nom != "Convoyeur à bande CB-4" || created.FrequenceEntretien == nil || *created.FrequenceEntretien != 30 {
			t.Fatalf("created %+v", created)
		}
		want := lastMaintenance.AddDate(0, 0, 30)
		if created.ProchaineMaintenance == nil || !created.ProchaineMaintenance.Equal(want) || created.InterventionsCount != 0 {
			t.Fatalf("prochaine_maintenance %v (want %v), interventions_count %d", created.ProchaineMaintenance, want, created.InterventionsCount)
		}
		if res.Header.Get("Location") != equipementsPath+"/"+apitest.ID(created.ID) {
			t.Fatalf("Location %q", res.Header.Get("Location"))
		}
		if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND entite_id = $1 AND action = 'creation'`, created.ID); n != 1 {
			t.Fatalf("historique rows %d", n)
		}
	})

	t.Run("invalid bodies are 422 per field, duplicates 409", func(t *testing.T) {
		f.want422(t, "nom", apitest.Responsable, "POST", equipementsPath, map[string]any{"type": "X", "numero_serie": "Z-1"})
		f.want422(t, "couleur", apitest.Responsable, "POST", equipementsPath, map[string]any{"nom": "A", "type": "X", "numero_serie": "Z-1", "couleur": "rouge"})
		f.want422(t, "frequence_entretien", apitest.Responsable, "POST", equipementsPath, map[string]any{"nom": "A", "type": "X", "numero_serie": "Z-1", "frequence_entretien": "souvent"})
		f.want422(t, "frequence_entretien", apitest.Responsable, "POST", equipementsPath, map[string]any{"nom": "A", "type": "X", "numero_serie": "Z-1", "frequence_entretien": 0})
		f.want422(t, "numero_serie", apitest.Responsable, "POST", equipementsPath, map[string]any{"nom": "A", "type": "X", "numero_serie": "   "})
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", equipementsPath, newEq)
	})

	t.Run("technicien and client may read but not write", func(t *testing.T) {
		for _, who := range []string{apitest.Technicien, apitest.Client} {
			f.want(t, http.StatusForbidden, who, "POST", equipementsPath, newEq)
			f.want(t, http.StatusForbidden, who, "PUT", equipementsPath+"/"+apitest.ID(presseID), map[string]any{"localisation": "X"})
			f.want(t, http.StatusForbidden, who, "PATCH", equipementsPath+"/"+apitest.ID(presseID)+"/statut", map[string]any{"statut": "en_panne"})
			f.want(t, http.StatusForbidden, who, "DELETE", equipementsPath+"/"+apitest.ID(presseID), nil)
		}
		res := f.want(t, http.StatusOK, apitest.Technicien, "GET", equipementsPath, nil)
		if total(t, res) != 6 {
			t.Fatalf("technicien sees %d equipment, want all 6", total(t, res))
		}
	})

	t.Run("a client sees only the equipment under its contracts", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Client, "GET", equipementsPath, nil)
		got := ids(t, res)
		if total(t, res) != 3 || len(got) != 3 || !slices.Contains(got, presseID) || slices.Contains(got, tankID) {
			t.Fatalf("client list %v (total %d)", got, total(t, res))
		}
		f.want(t, http.StatusOK, apitest.Client, "GET", equipementsPath+"/"+apitest.ID(presseID), nil)
		f.want(t, http.StatusNotFound, apitest.Client, "GET", equipementsPath+"/"+apitest.ID(tankID), nil)
		f.want(t, http.StatusNotFound, apitest.Client2, "GET", equipementsPath+"/"+apitest.ID(presseID), nil)
		f.want(t, http.StatusNotFound, apitest.Client2, "GET", equipementsPath+"/"+apitest.ID(presseID)+"/historique-maintenance", nil)
		// Asking for the other client's equipment gives nothing, not a leak.
		other := f.id(`SELECT id FROM clients WHERE nom = 'Laiterie du Souss'`)
		if n := total(t, f.want(t, http.StatusOK, apitest.Client, "GET", equipementsPath+"?client_id="+apitest.ID(other), nil)); n != 0 {
			t.Fatalf("client sees %d of another client's equipment", n)
		}
	})

	t.Run("filters, search, sort and paging", func(t *testing.T) {
		atlas := f.id(`SELECT id FROM clients WHERE nom = 'Cimenterie Atlas'`)
		cases := map[string]int{
			"?localisation=Atelier%20A":       1,
			"?type=Convoyeur":                 1,
			"?statut=operationnel":            6,
			"?statut=en_panne":                0,
			"?q=ph001":                        1,
			"?q=HPX":                          1,
			"?client_id=" + apitest.ID(atlas): 3,
			"?maintenance_due=true":           5, // demo: last maintenance frequence-5 days ago
			"?maintenance_due=false":          1,
		}
		for q, want := range cases {
			if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath+q, nil)); n != want {
				t.Errorf("%s: %d, want %d", q, n, want)
			}
		}
		res := f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath+"?sort=-nom&limit=2&offset=1", nil)
		var page []domain.EquipementVue
		res.JSON(t, &page)
		if total(t, res) != 6 || len(page) != 2 || page[0].Nom != "Presse hydraulique PH-001" || page[1].Nom != "Pasteurisateur PS-2" {
			t.Fatalf("sorted page: %+v", page)
		}
		for q, field := range map[string]string{"?statut=casse": "statut", "?limit=0": "limit", "?limit=201": "limit",
			"?offset=-1": "offset", "?sort=prix": "sort", "?maintenance_due=peut-etre": "maintenance_due", "?client_id=abc": "client_id"} {
			f.want422(t, field, apitest.Responsable, "GET", equipementsPath+q, nil)
		}
	})

	t.Run("update records the change and keeps absent fields", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Responsable, "PUT", equipementsPath+"/"+apitest.ID(created.ID), map[string]any{"localisation": "Atelier D", "frequence_entretien": 60})
		var got domain.EquipementVue
		res.JSON(t, &got)
		if got.Localisation != "Atelier D" || got.Nom != created.Nom || *got.FrequenceEntretien != 60 {
			t.Fatalf("updated %+v", got)
		}
		res = f.want(t, http.StatusOK, apitest.Responsable, "PUT", equipementsPath+"/"+apitest.ID(created.ID), map[string]any{"frequence_entretien": nil})
		res.JSON(t, &got)
		if got.FrequenceEntretien != nil || got.ProchaineMaintenance != nil {
			t.Fatalf("frequency not cleared: %+v", got)
		}
		if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND entite_id = $1 AND action = 'modification'
			AND changements -> 'localisation' ->> 'nouveau' = 'Atelier D'`, created.ID); n != 1 {
			t.Fatalf("historique of the update: %d rows", n)
		}
		f.want(t, http.StatusNotFound, apitest.Responsable, "PUT", equipementsPath+"/999999", map[string]any{"localisation": "X"})
		f.want422(t, "nom", apitest.Responsable, "PUT", equipementsPath+"/"+apitest.ID(created.ID), map[string]any{"nom": ""})
	})

	t.Run("en_panne alerts the responsables", func(t *testing.T) {
		resp := f.env.User(apitest.Responsable)
		before := countRows(t, f.env, `SELECT count(*) FROM notifications WHERE destinataire_id = $1`, resp.ID)
		res := f.want(t, http.StatusOK, apitest.Admin, "PATCH", equipementsPath+"/"+apitest.ID(presseID)+"/statut", map[string]any{"statut": "en_panne"})
		var got domain.EquipementVue
		res.JSON(t, &got)
		if got.Statut != domain.EquipementEnPanne {
			t.Fatalf("statut %s", got.Statut)
		}
		ns, _, err := f.env.Store.ListNotifications(context.Background(), resp.ID, nil, storagePage())
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != before+1 || ns[0].Type != domain.NotificationError || ns[0].Titre != "Équipement en panne" {
			t.Fatalf("notifications of the responsable: %+v", ns)
		}
		// Setting en_panne again is not a new breakdown.
		f.want(t, http.StatusOK, apitest.Admin, "PATCH", equipementsPath+"/"+apitest.ID(presseID)+"/statut", map[string]any{"statut": "en_panne"})
		if n := countRows(t, f.env, `SELECT count(*) FROM notifications WHERE destinataire_id = $1`, resp.ID); n != before+1 {
			t.Fatalf("%d notifications after a repeated en_panne, want %d", n, before+1)
		}
		f.want422(t, "statut", apitest.Responsable, "PATCH", equipementsPath+"/"+apitest.ID(presseID)+"/statut", map[string]any{"statut": "cassé"})
	})

	// The broyeur's preventive cycle is never started by this test, so its interventions are ours.
	t.Run("interventions count and maintenance history", func(t *testing.T) {
		a := f.intervention("Fuite vérin", broyeurID, domain.PrioriteHaute, nil)
		b := f.intervention("Graissage", broyeurID, domain.PrioriteBasse, nil)
		res := f.want(t, http.StatusOK, apitest.Client, "GET", equipementsPath+"/"+apitest.ID(broyeurID), nil)
		var got domain.EquipementVue
		res.JSON(t, &got)
		if got.InterventionsCount != 2 {
			t.Fatalf("interventions_count %d", got.InterventionsCount)
		}
		res = f.want(t, http.StatusOK, apitest.Client, "GET", equipementsPath+"/"+apitest.ID(broyeurID)+"/historique-maintenance", nil)
		if h := ids(t, res); total(t, res) != 2 || !slices.Equal(h, []int64{b, a}) {
			t.Fatalf("history %v", h)
		}
	})

	t.Run("delete refuses equipment with interventions, retire ends its life", func(t *testing.T) {
		f.intervention("Diagnostic", presseID, domain.PrioriteNormale, nil)
		f.want(t, http.StatusConflict, apitest.Responsable, "DELETE", equipementsPath+"/"+apitest.ID(presseID), nil)
		// Its open work must be decided (issue 14): kept here.
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", equipementsPath+"/"+apitest.ID(presseID)+"/retirer", nil)
		res := f.want(t, http.StatusOK, apitest.Responsable, "POST", equipementsPath+"/"+apitest.ID(presseID)+"/retirer", map[string]any{"interventions": "conserver"})
		var got domain.EquipementVue
		res.JSON(t, &got)
		if got.Statut != domain.EquipementRetire || got.FrequenceEntretien == nil || got.ProchaineMaintenance != nil {
			t.Fatalf("retired: statut %s, frequence %v, prochaine_maintenance %v", got.Statut, got.FrequenceEntretien, got.ProchaineMaintenance)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath+"?maintenance_due=true&q="+presse, nil)); n != 0 {
			t.Fatalf("a retired equipment is still due for maintenance")
		}
		f.want(t, http.StatusConflict, apitest.Responsable, "PATCH", equipementsPath+"/"+apitest.ID(presseID)+"/statut", map[string]any{"statut": "operationnel"})
		var spare domain.EquipementVue
		f.want(t, http.StatusCreated, apitest.Admin, "POST", equipementsPath, map[string]any{"nom": "Pompe de secours", "type": "Pompe", "numero_serie": "PS-0001"}).JSON(t, &spare)
		f.want(t, http.StatusNoContent, apitest.Admin, "DELETE", equipementsPath+"/"+apitest.ID(spare.ID)+"/", nil)
		f.want(t, http.StatusNotFound, apitest.Admin, "GET", equipementsPath+"/"+apitest.ID(spare.ID), nil)
		f.want(t, http.StatusNotFound, apitest.Admin, "DELETE", equipementsPath+"/"+apitest.ID(spare.ID), nil)
		if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND entite_id = $1 AND action = 'suppression'`, spare.ID); n != 1 {
			t.Fatalf("historique of the delete: %d", n)
		}
	})
}
