package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

func TestSitesAPI(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	atlas := f.id(`SELECT id FROM clients WHERE nom = 'Cimenterie Atlas'`)
	souss := f.id(`SELECT id FROM clients WHERE nom = 'Laiterie du Souss'`)
	soussSite := f.id(`SELECT id FROM sites WHERE client_id = $1 ORDER BY id LIMIT 1`, souss)
	var site domain.Site

	t.Run("CRUD with its historique", func(t *testing.T) {
		body := map[string]any{"client_id": atlas, "nom": " Carrière de Benslimane ", "ville": "Benslimane", "latitude": 33.6167, "longitude": -7.1167,
			"horaires_ouverture": []map[string]string{{"jour": "lundi", "debut": "07:00", "fin": "12:00"}, {"jour": "Lundi", "debut": "13:00", "fin": "16:00"}}}
		res := f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/sites", body)
		res.JSON(t, &site)
		if site.Nom != "Carrière de Benslimane" || site.ClientNom != "Cimenterie Atlas" || len(site.HorairesOuverture) != 2 ||
			site.HorairesOuverture[1].Jour != "lundi" || res.Header.Get("Location") != "/api/v1/sites/"+apitest.ID(site.ID) {
			t.Fatalf("created %+v", site)
		}
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/sites", body)
		res = f.want(t, http.StatusOK, apitest.Admin, "PUT", "/api/v1/sites/"+apitest.ID(site.ID), map[string]any{"longitude": -7.12, "horaires_ouverture": []any{}})
		var upd domain.Site
		res.JSON(t, &upd)
		if upd.Longitude != -7.12 || upd.Latitude != site.Latitude || len(upd.HorairesOuverture) != 0 {
			t.Fatalf("updated %+v", upd)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/sites?client_id="+apitest.ID(atlas), nil)); n != 7 {
			t.Fatalf("Atlas has %d sites, want the 6 of the demo and this one", n)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/sites?ville=rabat", nil)); n != 1 {
			t.Fatalf("sites in Rabat: %d", n)
		}
		f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", "/api/v1/sites/"+apitest.ID(site.ID), nil)
		f.want(t, http.StatusNotFound, apitest.Responsable, "GET", "/api/v1/sites/"+apitest.ID(site.ID), nil)
		var actions []string
		rows, err := f.env.Store.ListHistorique(t.Context(), "site", site.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range rows {
			actions = append(actions, h.Action)
		}
		if !slices.Equal(actions, []string{"creation", "modification", "suppression"}) {
			t.Fatalf("historique %v", actions)
		}
	})

	t.Run("bad input names its field, writes nothing", func(t *testing.T) {
		base := func(kv ...any) map[string]any {
			m := map[string]any{"client_id": atlas, "nom": "Nouveau site", "latitude": 33.6, "longitude": -7.5}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}
		f.want422(t, "latitude", apitest.Responsable, "POST", "/api/v1/sites", base("latitude", 91))
		f.want422(t, "latitude", apitest.Responsable, "POST", "/api/v1/sites", base("latitude", -90.5))
		f.want422(t, "longitude", apitest.Responsable, "POST", "/api/v1/sites", base("longitude", 180.01))
		f.want422(t, "latitude", apitest.Responsable, "POST", "/api/v1/sites", base("latitude", "33.6"))
		f.want422(t, "client_id", apitest.Responsable, "POST", "/api/v1/sites", base("client_id", 987654))
		f.want422(t, "nom", apitest.Responsable, "POST", "/api/v1/sites", map[string]any{"client_id": atlas, "latitude": 33.6, "longitude": -7.5})
		f.want422(t, "horaires_ouverture[1].fin", apitest.Responsable, "POST", "/api/v1/sites", base("horaires_ouverture", []map[string]string{
			{"jour": "mardi", "debut": "08:00", "fin": "12:00"}, {"jour": "mardi", "debut": "14:00", "fin": "13:00"}}))
		f.want422(t, "horaires_ouverture[0].jour", apitest.Responsable, "POST", "/api/v1/sites", base("horaires_ouverture", []map[string]string{
			{"jour": "funday", "debut": "08:00", "fin": "12:00"}}))
		f.want422(t, "horaires_ouverture[1]", apitest.Responsable, "POST", "/api/v1/sites", base("horaires_ouverture", []map[string]string{
			{"jour": "jeudi", "debut": "08:00", "fin": "12:00"}, {"jour": "jeudi", "debut": "11:00", "fin": "15:00"}}))
		f.want422(t, "latitude", apitest.Responsable, "PUT", "/api/v1/sites/"+apitest.ID(soussSite), map[string]any{"latitude": 100})
		if n := countRows(t, f.env, `SELECT count(*) FROM sites WHERE nom = 'Nouveau site'`); n != 0 {
			t.Fatalf("%d sites written by refused requests", n)
		}
	})

	t.Run("who sees and changes what", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Client2, "GET", "/api/v1/sites", nil)
		if got := ids(t, res); len(got) != 1 || got[0] != soussSite {
			t.Fatalf("the dairy sees %v", got)
		}
		f.want(t, http.StatusOK, apitest.Client2, "GET", "/api/v1/sites/"+apitest.ID(soussSite), nil)
		f.want(t, http.StatusNotFound, apitest.Client, "GET", "/api/v1/sites/"+apitest.ID(soussSite), nil)
		if n := total(t, f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/sites?client_id="+apitest.ID(souss), nil)); n != 0 {
			t.Fatalf("a client filtering on another client sees %d sites", n)
		}
		f.want(t, http.StatusForbidden, apitest.Client2, "PUT", "/api/v1/sites/"+apitest.ID(soussSite), map[string]any{"nom": "Chez nous"})
		f.want(t, http.StatusOK, apitest.Technicien, "GET", "/api/v1/sites/"+apitest.ID(soussSite), nil)
		f.want(t, http.StatusForbidden, apitest.Technicien, "POST", "/api/v1/sites", map[string]any{"client_id": souss, "nom": "X", "latitude": 30, "longitude": -9})
		f.want(t, http.StatusForbidden, apitest.Technicien, "DELETE", "/api/v1/sites/"+apitest.ID(soussSite), nil)
		// Equipment stands there: the site stays.
		f.want(t, http.StatusConflict, apitest.Admin, "DELETE", "/api/v1/sites/"+apitest.ID(soussSite), nil)
	})

	t.Run("equipment carries its site", func(t *testing.T) {
		tank := f.equipement(tankLait)
		var e domain.EquipementVue
		f.want(t, http.StatusOK, apitest.Client2, "GET", "/api/v1/equipements/"+apitest.ID(tank), nil).JSON(t, &e)
		if e.SiteID == nil || *e.SiteID != soussSite || e.Site == nil || e.Site.Ville != "Agadir" || e.Site.Latitude < 30 || e.Site.Latitude > 31 {
			t.Fatalf("tank %+v %+v", e, e.Site)
		}
		f.want422(t, "site_id", apitest.Responsable, "PUT", "/api/v1/equipements/"+apitest.ID(tank), map[string]any{"site_id": 987654})
		f.want422(t, "site_id", apitest.Responsable, "PUT", "/api/v1/equipements/"+apitest.ID(tank), map[string]any{"site_id": "Agadir"})
		f.want(t, http.StatusOK, apitest.Responsable, "PUT", "/api/v1/equipements/"+apitest.ID(tank), map[string]any{"site_id": nil}).JSON(t, &e)
		if e.SiteID != nil {
			t.Fatalf("site kept: %+v", e)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/equipements?site_id="+apitest.ID(soussSite), nil)); n != 1 {
			t.Fatalf("equipment at the dairy's site: %d", n)
		}
		f.want(t, http.StatusOK, apitest.Responsable, "PUT", "/api/v1/equipements/"+apitest.ID(tank), map[string]any{"site_id": soussSite})
	})

	t.Run("technicien home base, hours and tools", func(t *testing.T) {
		marie := f.technicien(apitest.Technicien)
		path := "/api/v1/techniciens/" + apitest.ID(marie)
		var tech domain.Technicien
		f.want(t, http.StatusOK, apitest.Technicien, "GET", path, nil).JSON(t, &tech)
		if tech.BaseLatitude == nil || !tech.HorairesDefaut || len(tech.Horaires) != 5 || len(tech.Outils) != 2 {
			t.Fatalf("demo technicien %+v", tech)
		}
		body := map[string]any{"base_latitude": 34.0209, "base_longitude": -6.8416, "outils": []string{"Nacelle"},
			"horaires": []map[string]string{{"jour": "mardi", "debut": "07:30", "fin": "16:30"}, {"jour": "samedi", "debut": "08:00", "fin": "12:00"}}}
		f.want(t, http.StatusOK, apitest.Responsable, "PUT", path, body).JSON(t, &tech)
		if *tech.BaseLatitude != 34.0209 || tech.HorairesDefaut || len(tech.Horaires) != 2 || tech.Horaires[1].Jour != "samedi" ||
			!slices.Equal([]string(tech.Outils), []string{"Nacelle"}) {
			t.Fatalf("updated %+v", tech)
		}
		f.want422(t, "base_latitude", apitest.Responsable, "PUT", path, map[string]any{"base_latitude": 95})
		f.want422(t, "base_longitude", apitest.Responsable, "PUT", path, map[string]any{"base_longitude": -181})
		f.want422(t, "horaires[1]", apitest.Responsable, "PUT", path, map[string]any{"horaires": []map[string]string{
			{"jour": "mardi", "debut": "08:00", "fin": "12:00"}, {"jour": "mardi", "debut": "09:00", "fin": "10:00"}}})
		f.want422(t, "outils[1]", apitest.Responsable, "PUT", path, map[string]any{"outils": []string{"Nacelle", "nacelle"}})
		// Back to Monday–Friday from heure_debut to heure_fin.
		f.want(t, http.StatusOK, apitest.Responsable, "PUT", path, map[string]any{"horaires": []any{}}).JSON(t, &tech)
		if !tech.HorairesDefaut || len(tech.Horaires) != 5 {
			t.Fatalf("default hours: %+v", tech.Horaires)
		}
		if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'technicien' AND entite_id = $1
			AND changements ? 'horaires'`, marie); n != 2 {
			t.Fatalf("%d historique rows record the hours", n)
		}
	})
}
