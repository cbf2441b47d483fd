package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

const techniciensPath = "/api/v1/techniciens"

func TestTechniciensAPI(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	dubois, elAmrani := f.technicien(apitest.Technicien), f.technicien(apitest.Technicien2)
	hydraulique := f.id(`SELECT id FROM competences WHERE nom = 'Hydraulique'`)

	t.Run("list with skills and workload, filters", func(t *testing.T) {
		f.intervention("Fuite", f.equipement(presse), domain.PrioriteHaute, map[string]any{"technicien_id": dubois, "statut": "planifiee"})
		f.intervention("Fuite réparée", f.equipement(presse), domain.PrioriteHaute, map[string]any{"technicien_id": dubois, "statut": "terminee"})
		res := f.want(t, http.StatusOK, apitest.Responsable, "GET", techniciensPath, nil)
		var all []domain.Technicien
		res.JSON(t, &all)
		if total(t, res) != 3 || len(all) != 3 {
			t.Fatalf("%d techniciens", len(all))
		}
		for _, tc := range all {
			if tc.ID == dubois && (tc.ChargeActuelle != 1 || len(tc.Competences) != 3 || tc.Competences[0].Nom != "Hydraulique" || tc.Competences[0].Niveau != 5 || tc.Nom != "Dubois") {
				t.Fatalf("Dubois: %+v", tc)
			}
		}
		cases := map[string]int{
			"?competence=hydraulique":                             1,
			"?competence=Électricité%20industrielle":              2,
			"?competence=Électricité%20industrielle&niveau_min=3": 1,
			"?disponibilite=true":                                 3,
			"?localisation=Agadir":                                1,
			"?q=amrani":                                           1,
		}
		for q, want := range cases {
			if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", techniciensPath+q, nil)); n != want {
				t.Errorf("%s: %d, want %d", q, n, want)
			}
		}
		if got := ids(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", techniciensPath+"?sort=-charge_actuelle&limit=1", nil)); len(got) != 1 || got[0] != dubois {
			t.Errorf("busiest first: %v", got)
		}
		if got := ids(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", techniciensPath+"?sort=nom", nil)); len(got) != 3 || got[0] != dubois || got[1] != elAmrani {
			t.Errorf("by name: %v", got)
		}
		for q, field := range map[string]string{"?competence=hydraulique&niveau_min=6": "niveau_min", "?niveau_min=3": "niveau_min",
			"?disponibilite=oui": "disponibilite", "?sort=salaire": "sort", "?competence=" + strings.Repeat("x", 101): "competence"} {
			f.want422(t, field, apitest.Responsable, "GET", techniciensPath+q, nil)
		}
	})

	t.Run("a technicien sees its own profile only, a client none", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Technicien, "GET", techniciensPath, nil)
		if got := ids(t, res); len(got) != 1 || got[0] != dubois {
			t.Fatalf("technicien sees %v", got)
		}
		f.want(t, http.StatusOK, apitest.Technicien, "GET", techniciensPath+"/"+apitest.ID(dubois), nil)
		f.want(t, http.StatusNotFound, apitest.Technicien, "GET", techniciensPath+"/"+apitest.ID(elAmrani), nil)
		f.want(t, http.StatusNotFound, apitest.Technicien, "GET", techniciensPath+"/"+apitest.ID(elAmrani)+"/competences", nil)
		f.want(t, http.StatusForbidden, apitest.Technicien, "PUT", techniciensPath+"/"+apitest.ID(dubois), map[string]any{"disponibilite": false})
		f.want(t, http.StatusForbidden, apitest.Technicien, "POST", techniciensPath+"/competences", map[string]any{"nom": "Robotique"})
		f.want(t, http.StatusForbidden, apitest.Client, "GET", techniciensPath, nil)
		f.want(t, http.StatusForbidden, apitest.Client, "GET", techniciensPath+"/"+apitest.ID(dubois), nil)
	})

	t.Run("update availability and hours", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Responsable, "PUT", techniciensPath+"/"+apitest.ID(elAmrani)+"/",
			map[string]any{"disponibilite": false, "heure_debut": "07:30", "heure_fin": "16:00", "specialite": " Électricité HT "})
		var got domain.Technicien
		res.JSON(t, &got)
		if got.Disponibilite || got.HeureDebut != "07:30" || got.HeureFin != "16:00" || got.Specialite != "Électricité HT" {
			t.Fatalf("updated %+v", got)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", techniciensPath+"?disponibilite=false", nil)); n != 1 {
			t.Fatalf("unavailable: %d", n)
		}
		if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'technicien' AND entite_id = $1 AND action = 'modification'`, elAmrani); n != 1 {
			t.Fatalf("historique %d", n)
		}
		f.want422(t, "heure_fin", apitest.Responsable, "PUT", techniciensPath+"/"+apitest.ID(elAmrani), map[string]any{"heure_debut": "18:00", "heure_fin": "08:00"})
		f.want422(t, "niveau_experience", apitest.Responsable, "PUT", techniciensPath+"/"+apitest.ID(elAmrani), map[string]any{"niveau_experience": "gourou"})
		f.want422(t, "user_id", apitest.Responsable, "PUT", techniciensPath+"/"+apitest.ID(elAmrani), map[string]any{"user_id": 1})
		f.want(t, http.StatusNotFound, apitest.Responsable, "PUT", techniciensPath+"/999999", map[string]any{"disponibilite": true})
	})

	t.Run("skills catalogue and levels", func(t *testing.T) {
		res := f.want(t, http.StatusCreated, apitest.Responsable, "POST", techniciensPath+"/competences", map[string]any{"nom": "Robotique", "categorie": "Électrique"})
		var c domain.Competence
		res.JSON(t, &c)
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", techniciensPath+"/competences", map[string]any{"nom": "robotique"})
		f.want422(t, "nom", apitest.Responsable, "POST", techniciensPath+"/competences", map[string]any{"nom": " "})
		if n := total(t, f.want(t, http.StatusOK, apitest.Technicien, "GET", techniciensPath+"/competences", nil)); n != 7 {
			t.Fatalf("catalogue: %d", n)
		}
		res = f.want(t, http.StatusOK, apitest.Responsable, "POST", techniciensPath+"/"+apitest.ID(elAmrani)+"/competences", map[string]any{"competence_id": c.ID, "niveau": 2})
		var got domain.Technicien
		res.JSON(t, &got)
		if len(got.Competences) != 3 {
			t.Fatalf("skills %+v", got.Competences)
		}
		f.want(t, http.StatusOK, apitest.Responsable, "POST", techniciensPath+"/"+apitest.ID(elAmrani)+"/competences", map[string]any{"competence_id": c.ID, "niveau": 5})
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", techniciensPath+"?competence=Robotique&niveau_min=5", nil)); n != 1 {
			t.Fatalf("level not raised: %d", n)
		}
		f.want422(t, "niveau", apitest.Responsable, "POST", techniciensPath+"/"+apitest.ID(elAmrani)+"/competences", map[string]any{"competence_id": c.ID, "niveau": 9})
		f.want422(t, "competence_id", apitest.Responsable, "POST", techniciensPath+"/"+apitest.ID(elAmrani)+"/competences", map[string]any{"competence_id": 99999, "niveau": 2})
		f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", techniciensPath+"/"+apitest.ID(dubois)+"/competences/"+apitest.ID(hydraulique), nil)
		f.want(t, http.StatusNotFound, apitest.Responsable, "DELETE", techniciensPath+"/"+apitest.ID(dubois)+"/competences/"+apitest.ID(hydraulique), nil)
		res = f.want(t, http.StatusOK, apitest.Technicien, "GET", techniciensPath+"/"+apitest.ID(dubois)+"/competences", nil)
		if total(t, res) != 2 {
			t.Fatalf("Dubois keeps %d skills", total(t, res))
		}
	})

	t.Run("create and delete a profile", func(t *testing.T) {
		userID := f.id(`INSERT INTO users (email, nom, prenom, role) VALUES ('nouveau.tech@mif.ma', 'Naciri', 'Amine', 'technicien') RETURNING id`)
		clientUser := f.env.User(apitest.Client).ID
		f.want422(t, "user_id", apitest.Responsable, "POST", techniciensPath, map[string]any{"user_id": clientUser})
		f.want422(t, "user_id", apitest.Responsable, "POST", techniciensPath, map[string]any{"specialite": "X"})
		res := f.want(t, http.StatusCreated, apitest.Responsable, "POST", techniciensPath, map[string]any{"user_id": userID, "specialite": "Soudure", "niveau_experience": "expert"})
		var got domain.Technicien
		res.JSON(t, &got)
		if got.UserID != userID || got.Nom != "Naciri" || got.NiveauExperience != "expert" || !got.Disponibilite || got.HeureDebut != "08:00" {
			t.Fatalf("created %+v", got)
		}
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", techniciensPath, map[string]any{"user_id": userID})
		f.want(t, http.StatusConflict, apitest.Responsable, "DELETE", techniciensPath+"/"+apitest.ID(dubois), nil)
		f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", techniciensPath+"/"+apitest.ID(got.ID), nil)
		f.want(t, http.StatusNotFound, apitest.Responsable, "GET", techniciensPath+"/"+apitest.ID(got.ID), nil)
	})
}
