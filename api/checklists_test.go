package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

func TestChecklists(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	presseID := f.equipement(presse)
	var typ string
	if err := f.env.Store.Q().GetContext(t.Context(), &typ, `SELECT type FROM equipements WHERE id = $1`, presseID); err != nil {
		t.Fatal(err)
	}
	items := []map[string]any{
		{"libelle": "Consignation électrique effectuée", "type": "check", "obligatoire": true},
		{"libelle": "Pression du circuit", "type": "mesure", "unite": "bar", "min": 180, "max": 220, "obligatoire": true},
		{"libelle": "État des flexibles", "type": "choix", "choix": []string{"bon", "usé", "à remplacer"}, "obligatoire": true},
		{"libelle": "Observations", "type": "texte"},
		{"libelle": "Photo du manomètre", "type": "photo"},
	}
	// Bad templates name their item; only responsables write them, techniciens read them.
	f.want422(t, "items[0].unite", apitest.Responsable, "POST", "/api/v1/checklists",
		map[string]any{"nom": "X", "type_equipement": typ, "items": []map[string]any{{"libelle": "P", "type": "mesure"}}})
	f.want422(t, "items[0].choix", apitest.Responsable, "POST", "/api/v1/checklists",
		map[string]any{"nom": "X", "type_equipement": typ, "items": []map[string]any{{"libelle": "P", "type": "choix", "choix": []string{"seul"}}}})
	f.want(t, http.StatusForbidden, apitest.Technicien, "POST", "/api/v1/checklists", map[string]any{"nom": "X", "type_equipement": typ, "items": items})
	var m domain.ChecklistModele
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/checklists",
		map[string]any{"nom": "Contrôle presse", "type_equipement": strings.ToUpper(typ), "items": items}).JSON(t, &m)
	if len(m.Items) != 5 || m.Items[1].Ordre != 2 || *m.Items[1].Unite != "bar" {
		t.Fatalf("template %+v", m)
	}
	f.want(t, http.StatusOK, apitest.Technicien, "GET", "/api/v1/checklists/"+apitest.ID(m.ID), nil)

	// An intervention gets its copy when planned.
	var it domain.InterventionDetail
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/interventions", map[string]any{
		"titre": "Révision presse", "description": "Révision trimestrielle de la presse", "type_intervention": "corrective",
		"priorite": "normale", "equipement_id": presseID}).JSON(t, &it)
	base := "/api/v1/interventions/" + apitest.ID(it.ID)
	checklist := func(t *testing.T) []domain.ChecklistItem {
		var out []domain.ChecklistItem
		f.want(t, http.StatusOK, apitest.Technicien, "GET", base+"/checklist", nil).JSON(t, &out)
		return out
	}
	if n := len(checklist(t)); n != 0 {
		t.Fatalf("%d items before planning", n)
	}
	when := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": f.technicien(apitest.Technicien), "date_planifiee": when})
	cl := checklist(t)
	if len(cl) != 5 || cl[0].Libelle != "Consignation électrique effectuée" || cl[2].Choix[2] != "à remplacer" || cl[0].Valeur != nil {
		t.Fatalf("copied checklist %+v", cl)
	}
	// The template changes; the issued copy does not.
	items[0]["libelle"] = "Consignation et cadenas posés"
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", "/api/v1/checklists/"+apitest.ID(m.ID),
		map[string]any{"nom": "Contrôle presse v2", "type_equipement": typ, "items": items})
	if cl := checklist(t); cl[0].Libelle != "Consignation électrique effectuée" || cl[0].ModeleNom != "Contrôle presse" {
		t.Fatalf("issued checklist changed with its template: %+v", cl[0])
	}

	item := func(i int) string { return base + "/checklist/" + apitest.ID(cl[i].ID) }
	f.want(t, http.StatusConflict, apitest.Technicien, "PUT", item(0), map[string]any{"valeur": true})
	f.want(t, http.StatusOK, apitest.Technicien, "POST", base+"/start", map[string]any{})
	f.want(t, http.StatusForbidden, apitest.Technicien2, "PUT", item(0), map[string]any{"valeur": true})
	f.want422(t, "valeur", apitest.Technicien, "PUT", item(0), map[string]any{"valeur": "oui"})
	f.want422(t, "valeur", apitest.Technicien, "PUT", item(2), map[string]any{"valeur": "cassé"})
	f.want422(t, "valeur", apitest.Technicien, "PUT", item(4), map[string]any{"valeur": 987654})
	f.want(t, http.StatusOK, apitest.Technicien, "PUT", item(0), map[string]any{"valeur": true})
	var mesure domain.ChecklistItem
	f.want(t, http.StatusOK, apitest.Technicien, "PUT", item(1), map[string]any{"valeur": 236.5, "creer_corrective": true}).JSON(t, &mesure)
	if !mesure.HorsLimites || mesure.Valeur == nil || *mesure.Valeur != "236.5" || mesure.SuiviInterventionID == nil {
		t.Fatalf("out-of-bounds measurement %+v", mesure)
	}
	var suivi domain.InterventionDetail
	f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/interventions/"+apitest.ID(*mesure.SuiviInterventionID), nil).JSON(t, &suivi)
	if suivi.EquipementID != presseID || suivi.TypeIntervention != domain.TypeCorrective || !strings.Contains(suivi.Description, "236.5 bar") {
		t.Fatalf("follow-up %+v", suivi.Intervention)
	}

	// Completion waits for the required items, and says which.
	res := f.want(t, http.StatusConflict, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Révision faite"})
	if p := res.Problem(t); !strings.Contains(p.Detail, "État des flexibles") || len(p.Errors) != 1 {
		t.Fatalf("refusal %+v", p)
	}
	f.want(t, http.StatusOK, apitest.Technicien, "PUT", item(2), map[string]any{"valeur": "usé"})
	f.want(t, http.StatusOK, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Révision faite"})
	f.want(t, http.StatusConflict, apitest.Technicien, "PUT", item(3), map[string]any{"valeur": "trop tard"})
	// The PDF report carries the results.
	pdf := f.env.Do(t, apitest.Request{Method: "GET", Path: base + "/rapport.pdf", Token: f.tok[apitest.Responsable]})
	if pdf.Status != http.StatusOK {
		t.Fatalf("report: %d", pdf.Status)
	}
	text := strings.Join(strings.Fields(pdfText(t, pdf.Body)), " ")
	for _, want := range []string{"Checklist", "Pression du circuit", "236.5 bar — HORS LIMITES", "État des flexibles usé", "Consignation électrique effectuée oui"} {
		if !strings.Contains(text, want) {
			t.Fatalf("report lacks %q:\n%s", want, text)
		}
	}
	if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1 AND action = 'checklist'`, it.ID); n != 3 {
		t.Fatalf("%d checklist entries in historique", n)
	}
}
