package api_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
)

// TestResourcePartialUpdatesCheckedAgainstStoredValues: a partial update that gives one half of a
// pair (hours, contract dates, SLA delays) is checked against the stored other half, and the 422
// names the field the caller sent.
func TestResourcePartialUpdatesCheckedAgainstStoredValues(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	dubois := f.technicien(apitest.Technicien) // 08:00–17:00
	atlas := f.id(`SELECT id FROM contrats WHERE numero = 'CT-2026-001'`)
	tp := techniciensPath + "/" + apitest.ID(dubois)
	cp := "/api/v1/contrats/" + apitest.ID(atlas)

	f.want422(t, "heure_debut", apitest.Responsable, "PUT", tp, map[string]any{"heure_debut": "18:00"})
	f.want422(t, "heure_fin", apitest.Responsable, "PUT", tp, map[string]any{"heure_fin": "07:00"})
	var tech domain.Technicien
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", tp, map[string]any{"heure_debut": "07:00"}).JSON(t, &tech)
	if tech.HeureDebut != "07:00" || tech.HeureFin != "17:00" {
		t.Fatalf("hours %s–%s", tech.HeureDebut, tech.HeureFin)
	}

	// The demo contract runs from 1 January this year for two years, SLA 4 h / 24 h.
	f.want422(t, "date_fin", apitest.Responsable, "PUT", cp, map[string]any{"date_fin": "2000-01-01"})
	f.want422(t, "date_debut", apitest.Responsable, "PUT", cp, map[string]any{"date_debut": "2999-01-01"})
	f.want422(t, "sla_resolution_heures", apitest.Responsable, "PUT", cp, map[string]any{"sla_resolution_heures": 2})
	f.want422(t, "sla_reponse_heures", apitest.Responsable, "PUT", cp, map[string]any{"sla_reponse_heures": 48})
	var k domain.Contrat
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", cp, map[string]any{"sla_resolution_heures": 4}).JSON(t, &k)
	if *k.SLAReponseHeures != 4 || *k.SLAResolutionHeures != 4 {
		t.Fatalf("SLA %d/%d", *k.SLAReponseHeures, *k.SLAResolutionHeures)
	}
	// Refused updates wrote nothing: one modification each for the two accepted ones.
	for entite, id := range map[string]int64{"technicien": dubois, "contrat": atlas} {
		if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = $1 AND entite_id = $2 AND action = 'modification'`, entite, id); n != 1 {
			t.Errorf("%s: %d modifications recorded, want 1", entite, n)
		}
	}
}

// TestResourceSmallListsArePaged: the lists under a resource (skills catalogue, equipment of a
// contract, events of an intervention) take limit and offset like every list, answer the total in
// X-Total-Count, and refuse a bad page with 422.
func TestResourceSmallListsArePaged(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	atlas := f.id(`SELECT id FROM contrats WHERE numero = 'CT-2026-001'`)
	i := f.intervention("Fuite vérin", f.equipement(presse), domain.PrioriteHaute, nil)
	f.exec(`INSERT INTO historique (entite, entite_id, action) VALUES ('intervention', $1, 'affectation'), ('intervention', $1, 'demarrage')`, i)
	cases := []struct {
		who, path string
		total     int
	}{
		{apitest.Technicien, techniciensPath + "/competences", 6},
		{apitest.Technicien, techniciensPath + "/" + apitest.ID(f.technicien(apitest.Technicien)) + "/competences", 3},
		{apitest.Client, "/api/v1/contrats/" + apitest.ID(atlas) + "/equipements", 3},
		{apitest.Client, interventionsPath + "/" + apitest.ID(i) + "/historique", 3},
	}
	for _, c := range cases {
		all := f.want(t, http.StatusOK, c.who, "GET", c.path, nil)
		page := f.want(t, http.StatusOK, c.who, "GET", c.path+"?limit=1&offset=1", nil)
		if total(t, all) != c.total || len(ids(t, all)) != c.total || total(t, page) != c.total {
			t.Errorf("%s: %d items, X-Total-Count %d / %d, want %d", c.path, len(ids(t, all)), total(t, all), total(t, page), c.total)
		}
		if got := ids(t, page); len(got) != 1 || got[0] != ids(t, all)[1] {
			t.Errorf("%s?limit=1&offset=1: %v, want the second of %v", c.path, got, ids(t, all))
		}
		if n := len(ids(t, f.want(t, http.StatusOK, c.who, "GET", c.path+"?offset=9223372036854775807", nil))); n != 0 {
			t.Errorf("%s: %d items past the end", c.path, n)
		}
		f.want422(t, "limit", c.who, "GET", c.path+"?limit=0", nil)
		f.want422(t, "offset", c.who, "GET", c.path+"?offset=-1", nil)
	}
}

// TestResourceWritesRecordHistorique walks every write of the resource API and checks that each
// one records exactly one audit row naming the entity, the action and the actor, and that a
// refused write records none.
func TestResourceWritesRecordHistorique(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	resp := f.env.User(apitest.Responsable).ID
	admin := f.env.User(apitest.Admin).ID
	last := func() int64 { return f.id(`SELECT COALESCE(max(id), 0) FROM historique`) }
	type event struct {
		entite string
		id     int64
		action string
		acteur int64
	}
	since := last()
	check := func(t *testing.T, want event) {
		t.Helper()
		var rows []struct {
			Entite   string `db:"entite"`
			EntiteID int64  `db:"entite_id"`
			Action   string `db:"action"`
			ActeurID *int64 `db:"acteur_id"`
		}
		if err := f.env.Store.Q().SelectContext(context.Background(), &rows,
			`SELECT entite, entite_id, action, acteur_id FROM historique WHERE id > $1 ORDER BY id`, since); err != nil {
			t.Fatal(err)
		}
		since = last()
		if len(rows) != 1 || rows[0].Entite != want.entite || rows[0].EntiteID != want.id || rows[0].Action != want.action ||
			rows[0].ActeurID == nil || *rows[0].ActeurID != want.acteur {
			t.Fatalf("recorded %+v, want exactly %+v", rows, want)
		}
	}
	nothing := func(t *testing.T) {
		t.Helper()
		if n := last(); n != since {
			t.Fatalf("a refused write recorded %d audit rows", n-since)
		}
	}

	var eq domain.EquipementVue
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", equipementsPath, map[string]any{"nom": "Four F-2", "type": "Four", "numero_serie": "F2-001"}).JSON(t, &eq)
	check(t, event{"equipement", eq.ID, "creation", resp})
	e := equipementsPath + "/" + apitest.ID(eq.ID)
	f.want(t, http.StatusOK, apitest.Admin, "PUT", e, map[string]any{"localisation": "Hall 3"})
	check(t, event{"equipement", eq.ID, "modification", admin})
	f.want(t, http.StatusOK, apitest.Responsable, "PATCH", e+"/statut", map[string]any{"statut": "en_maintenance"})
	check(t, event{"equipement", eq.ID, "changement_statut", resp})
	f.want(t, http.StatusUnprocessableEntity, apitest.Responsable, "PUT", e, map[string]any{"nom": ""})
	f.want(t, http.StatusConflict, apitest.Responsable, "PUT", e, map[string]any{"numero_serie": presse})
	nothing(t)

	var c domain.Client
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/clients", map[string]any{"nom": "Papeterie du Rif"}).JSON(t, &c)
	check(t, event{"client", c.ID, "creation", resp})
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", "/api/v1/clients/"+apitest.ID(c.ID), map[string]any{"ville": "Tétouan"})
	check(t, event{"client", c.ID, "modification", resp})

	var k domain.Contrat
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/contrats", map[string]any{"numero": "CT-RIF-1", "client_id": c.ID,
		"date_debut": "2026-01-01", "date_fin": "2026-12-31"}).JSON(t, &k)
	check(t, event{"contrat", k.ID, "creation", resp})
	kp := "/api/v1/contrats/" + apitest.ID(k.ID)
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", kp, map[string]any{"sla_reponse_heures": 6})
	check(t, event{"contrat", k.ID, "modification", resp})
	f.want(t, http.StatusOK, apitest.Responsable, "POST", kp+"/equipements", map[string]any{"equipement_id": eq.ID})
	check(t, event{"contrat", k.ID, "equipement_ajoute", resp})
	f.want(t, http.StatusUnprocessableEntity, apitest.Responsable, "POST", kp+"/equipements", map[string]any{"equipement_id": 999999})
	nothing(t)
	f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", kp+"/equipements/"+apitest.ID(eq.ID), nil)
	check(t, event{"contrat", k.ID, "equipement_retire", resp})
	f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", kp, nil)
	check(t, event{"contrat", k.ID, "suppression", resp})
	f.want(t, http.StatusNoContent, apitest.Admin, "DELETE", "/api/v1/clients/"+apitest.ID(c.ID), nil)
	check(t, event{"client", c.ID, "suppression", admin})

	var comp domain.Competence
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", techniciensPath+"/competences", map[string]any{"nom": "Pneumatique avancée"}).JSON(t, &comp)
	check(t, event{"competence", comp.ID, "creation", resp})
	userID := f.id(`INSERT INTO users (email, nom, prenom, role) VALUES ('soudeur@mif.ma', 'Bennani', 'Youssef', 'technicien') RETURNING id`)
	since = last()
	var tech domain.Technicien
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", techniciensPath, map[string]any{"user_id": userID}).JSON(t, &tech)
	check(t, event{"technicien", tech.ID, "creation", resp})
	tp := techniciensPath + "/" + apitest.ID(tech.ID)
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", tp, map[string]any{"disponibilite": false})
	check(t, event{"technicien", tech.ID, "modification", resp})
	f.want(t, http.StatusOK, apitest.Responsable, "POST", tp+"/competences", map[string]any{"competence_id": comp.ID, "niveau": 3})
	check(t, event{"technicien", tech.ID, "competence", resp})
	f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", tp+"/competences/"+apitest.ID(comp.ID), nil)
	check(t, event{"technicien", tech.ID, "competence_retiree", resp})
	f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", tp, nil)
	check(t, event{"technicien", tech.ID, "suppression", resp})

	f.want(t, http.StatusOK, apitest.Responsable, "POST", e+"/retirer", nil)
	check(t, event{"equipement", eq.ID, "retrait", resp})
	f.want(t, http.StatusConflict, apitest.Responsable, "PATCH", e+"/statut", map[string]any{"statut": "operationnel"})
	nothing(t)
	f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", e, nil)
	check(t, event{"equipement", eq.ID, "suppression", resp})
}

// TestDashboardStatsExactSeedShape pins the keys of /dashboard/stats to the seed's, for every
// role (the OpenAPI schema refuses extra keys too).
func TestDashboardStatsExactSeedShape(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	want := map[string][]string{
		"interventions": {"critiques", "en_cours", "ouvertes", "terminees_semaine", "total"},
		"equipements":   {"en_panne", "maintenance_due", "operationnels", "total"},
		"techniciens":   {"charge_moyenne", "disponibles", "en_intervention", "total"},
		"kpi":           {"satisfaction_client", "taux_respect_delais", "temps_moyen_resolution"},
	}
	f.intervention("Terminée", f.equipement(presse), domain.PrioriteHaute, map[string]any{"statut": "terminee",
		"date_debut": "2026-01-01T08:00:00Z", "date_fin": "2026-01-01T12:00:00Z", "date_creation": "2026-01-01T07:00:00Z"})
	for _, who := range []string{apitest.Admin, apitest.Responsable, apitest.Technicien, apitest.Client} {
		var got map[string]map[string]any
		f.want(t, http.StatusOK, who, "GET", "/api/v1/dashboard/stats", nil).JSON(t, &got)
		if len(got) != len(want) {
			t.Errorf("%s: sections %v", who, got)
		}
		for section, keys := range want {
			var have []string
			for k := range got[section] {
				have = append(have, k)
			}
			slices.Sort(have)
			if !slices.Equal(have, keys) {
				t.Errorf("%s: %s has %v, want %v", who, section, have, keys)
			}
		}
	}
	var st domain.DashboardStats
	f.want(t, http.StatusOK, apitest.Admin, "GET", "/api/v1/dashboard/stats", nil).JSON(t, &st)
	if st.KPI.TempsMoyenResolution == nil || *st.KPI.TempsMoyenResolution != "5.0 heures" {
		t.Errorf("temps_moyen_resolution %v, want the seed's \"5.0 heures\" form", st.KPI.TempsMoyenResolution)
	}
}

// TestHistoriqueEntityFilterIsChecked: the audit filter's entity is one of the kinds recorded,
// and every kind the code records is filterable.
func TestHistoriqueEntityFilterIsChecked(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	f.want422(t, "entite", apitest.Admin, "GET", "/api/v1/historique?entite=equipment", nil)
	if n := total(t, f.want(t, http.StatusOK, apitest.Admin, "GET", "/api/v1/historique?entite=user", nil)); n == 0 {
		t.Fatal("no user event in the demo data set")
	}
	// Every Entite written in the code (storage.HistoriqueEntry literals) must be a filter value.
	lit := regexp.MustCompile(`Entite:\s*"([a-z_]+)"`)
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".data" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(domain.EntitesHistorique, m[1]) {
				t.Errorf("%s records entite %q, missing from domain.EntitesHistorique", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeleteTechnicienWaitsForAnAssignmentInFlight: a profile deleted while an assignment to it
// is being committed is refused (409) once that assignment lands, rather than deleted with the
// assignment silently dropped by ON DELETE SET NULL.
func TestDeleteTechnicienWaitsForAnAssignmentInFlight(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	ctx := context.Background()
	userID := f.id(`INSERT INTO users (email, nom, prenom, role) VALUES ('nouveau@mif.ma', 'Tazi', 'Omar', 'technicien') RETURNING id`)
	techID := f.id(`INSERT INTO techniciens (user_id) VALUES ($1) RETURNING id`, userID)
	i := f.intervention("Fuite vérin", f.equipement(presse), domain.PrioriteHaute, nil)

	tx, err := f.env.Store.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `UPDATE interventions SET technicien_id = $1, statut = 'planifiee' WHERE id = $2`, techID, i); err != nil {
		t.Fatal(err)
	}
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodDelete, f.env.URL+techniciensPath+"/"+apitest.ID(techID), nil)
		req.Header.Set("Authorization", "Bearer "+f.tok[apitest.Responsable])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		_ = res.Body.Close()
		status <- res.StatusCode
	}()
	// Wait until the delete is blocked on the assignment's lock, then commit it.
	poll.Until(t, "the delete waiting for the assignment in flight", func() error {
		var waiting int
		if err := f.env.Store.Q().GetContext(ctx, &waiting, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		if waiting == 0 {
			return errors.New("no session waits for a lock")
		}
		return nil
	})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if st := <-status; st != http.StatusConflict {
		t.Fatalf("delete during an assignment: %d, want 409", st)
	}
	if got := f.id(`SELECT COALESCE(technicien_id, 0) FROM interventions WHERE id = $1`, i); got != techID {
		t.Fatalf("the assignment was lost: technicien_id %d", got)
	}
}
