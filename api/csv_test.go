package api_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/internal/apitest"
)

// readExport checks the file's shape (BOM, separator) and returns its records.
func readExport(t *testing.T, res *apitest.Response, comma rune) [][]string {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	body, ok := bytes.CutPrefix(res.Body, []byte{0xEF, 0xBB, 0xBF})
	if !ok {
		t.Fatal("no UTF-8 BOM")
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.Comma = comma
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return recs
}

func column(t *testing.T, recs [][]string, name string) []string {
	t.Helper()
	i := -1
	for j, h := range recs[0] {
		if h == name {
			i = j
		}
	}
	if i < 0 {
		t.Fatalf("no column %s in %v", name, recs[0])
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[i])
	}
	return out
}

func TestCSVExport(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	presseID := f.equipement(presse)
	tank := f.equipement(tankLait)
	f.intervention("Export ouverte", presseID, "haute", nil)
	f.intervention("Export laiterie", tank, "normale", map[string]any{"statut": "en_cours"})

	all := readExport(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/equipements/export", nil), ';')
	mine := readExport(t, f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/equipements/export", nil), ';')
	if len(all) < 6 || len(mine) != 4 || strings.Join(mine[0][:3], ",") != "id,nom,type" {
		t.Fatalf("equipment: %d rows for the responsable, %d for the cement works: %v", len(all), len(mine), mine)
	}
	for _, s := range column(t, mine, "numero_serie") {
		if s == tankLait || s == pasteurisa {
			t.Fatal("a client exports another client's equipment")
		}
	}
	comma := readExport(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/equipements/export?separateur=virgule&q="+broyeur, nil), ',')
	if len(comma) != 2 || column(t, comma, "numero_serie")[0] != broyeur {
		t.Fatalf("filtered export %v", comma)
	}

	its := readExport(t, f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/interventions/export", nil), ';')
	for _, titre := range column(t, its, "titre") {
		if titre == "Export laiterie" {
			t.Fatal("a client exports another client's intervention")
		}
	}
	enCours := readExport(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/interventions/export?statut=en_cours", nil), ';')
	for _, st := range column(t, enCours, "statut") {
		if st != "en_cours" {
			t.Fatalf("statut filter let %s through", st)
		}
	}
	if !strings.Contains(strings.Join(column(t, enCours, "titre"), "|"), "Export laiterie") {
		t.Fatal("filtered export lacks the intervention en cours")
	}
	dates := column(t, enCours, "date_creation")
	if len(dates) == 0 || len(dates[0]) != len("02/01/2006 15:04") || dates[0][2] != '/' {
		t.Fatalf("dates %v, want French dates", dates)
	}

	techs := readExport(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/techniciens/export", nil), ';')
	if comps := strings.Join(column(t, techs, "competences"), "|"); !strings.Contains(comps, ":") {
		t.Fatalf("competences %q", comps)
	}
	if own := readExport(t, f.want(t, http.StatusOK, apitest.Technicien, "GET", "/api/v1/techniciens/export", nil), ';'); len(own) != 2 {
		t.Fatalf("a technicien exports %d profiles", len(own)-1)
	}
	sites := readExport(t, f.want(t, http.StatusOK, apitest.Client2, "GET", "/api/v1/sites/export", nil), ';')
	if len(sites) != 2 || !strings.Contains(column(t, sites, "latitude")[0], ",") {
		t.Fatalf("the dairy's sites %v (decimal comma expected)", sites)
	}
	if clients := readExport(t, f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/clients/export", nil), ';'); len(clients) != 2 {
		t.Fatalf("a client exports %d companies", len(clients)-1)
	}
}

func TestCSVImport(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	post := func(t *testing.T, who, path, body string) *apitest.Response {
		t.Helper()
		return f.env.Do(t, apitest.Request{Method: "POST", Path: path, Token: f.tok[who], Body: []byte(body),
			Header: map[string]string{"Content-Type": "text/csv"}})
	}
	type rapport struct {
		Lignes, Valides, Ecrites int
		Separateur               string
		Erreurs                  []struct {
			Ligne            int
			Colonne, Message string
		}
	}
	report := func(t *testing.T, res *apitest.Response) rapport {
		t.Helper()
		if res.Status != http.StatusOK {
			t.Fatalf("import: %d %s", res.Status, res.Body)
		}
		var r rapport
		res.JSON(t, &r)
		return r
	}
	clients := func() int { return countRows(t, f.env, `SELECT count(*) FROM clients WHERE nom LIKE 'Import %'`) }

	// UTF-8 with BOM, ';', a bad line: all or nothing writes nothing and names line and column.
	bad := "\xEF\xBB\xBFnom;email;ville;is_active\nImport Sucrerie;contact@sucrerie.ma;Kénitra;oui\nImport Huilerie;pas-un-email;Meknès;non\nImport Minoterie;;Fès;peut-être\n"
	r := report(t, post(t, apitest.Responsable, "/api/v1/clients/import", bad))
	if r.Lignes != 3 || r.Valides != 1 || r.Ecrites != 0 || r.Separateur != ";" || len(r.Erreurs) != 2 ||
		r.Erreurs[0].Ligne != 3 || r.Erreurs[0].Colonne != "email" || r.Erreurs[1].Ligne != 4 || r.Erreurs[1].Colonne != "is_active" {
		t.Fatalf("report %+v", r)
	}
	if n := clients(); n != 0 {
		t.Fatalf("%d clients written by a refused import", n)
	}
	// The valid ones when asked.
	r = report(t, post(t, apitest.Responsable, "/api/v1/clients/import?mode=valides", bad))
	if r.Ecrites != 1 || clients() != 1 {
		t.Fatalf("valid-only import %+v, %d clients", r, clients())
	}
	// Dry run: validated, nothing written; ',' without BOM.
	r = report(t, post(t, apitest.Responsable, "/api/v1/clients/import?dry_run=true", "nom,ville\nImport Conserverie,Agadir\nImport Tannerie,Fès\n"))
	if r.Valides != 2 || r.Ecrites != 0 || r.Separateur != "," || clients() != 1 {
		t.Fatalf("dry run %+v, %d clients", r, clients())
	}

	// Sites with French decimals; equipment with French dates, a duplicate serial number (a
	// conflict caught under its savepoint) and a bad date.
	atlas := f.id(`SELECT id FROM clients WHERE nom = 'Cimenterie Atlas'`)
	r = report(t, post(t, apitest.Responsable, "/api/v1/sites/import",
		"client_id;nom;ville;latitude;longitude\n"+apitest.ID(atlas)+";Import carrière;Benslimane;33,6167;-7,1167\n"))
	if r.Ecrites != 1 || countRows(t, f.env, `SELECT count(*) FROM sites WHERE nom = 'Import carrière' AND latitude = 33.6167`) != 1 {
		t.Fatalf("sites %+v", r)
	}
	r = report(t, post(t, apitest.Responsable, "/api/v1/equipements/import?mode=valides",
		"nom;type;numero_serie;date_installation;frequence_entretien\n"+
			"Import compresseur;compresseur;IMP-001;02/01/2024;30\n"+
			"Import doublon;presse;"+presse+";;\n"+
			"Import pompe;pompe;IMP-002;31/02/2024;\n"))
	if r.Lignes != 3 || r.Ecrites != 1 || len(r.Erreurs) != 2 || r.Erreurs[0].Ligne != 3 || r.Erreurs[1].Colonne != "date_installation" {
		t.Fatalf("equipment %+v", r)
	}
	if n := countRows(t, f.env, `SELECT count(*) FROM equipements WHERE numero_serie = 'IMP-001' AND date_installation::date = '2024-01-02'`); n != 1 {
		t.Fatal("imported equipment or its French date missing")
	}
	if n := countRows(t, f.env, `SELECT count(*) FROM historique h JOIN equipements e ON e.id = h.entite_id
		WHERE h.entite = 'equipement' AND h.action = 'creation' AND e.numero_serie = 'IMP-001'`); n != 1 {
		t.Fatal("no historique for the imported equipment")
	}

	// Techniciens with their skills, for existing accounts; round trip through the export's form.
	f.exec(`INSERT INTO users (email, nom, prenom, role) VALUES ('import.tech@mif.ma', 'Import', 'Nadia', 'technicien'),
		('import.tech2@mif.ma', 'Import', 'Omar', 'technicien')`)
	r = report(t, post(t, apitest.Responsable, "/api/v1/techniciens/import?mode=valides",
		"email;specialite;niveau_experience;localisation_base;base_latitude;base_longitude;competences\n"+
			"import.tech@mif.ma;Hydraulique;confirme;Rabat;34,02;-6,83;hydraulique:4|Soudure:2\n"+
			"import.tech2@mif.ma;Froid;junior;Fès;;;Cryogénie:3\n"+
			"inconnu@mif.ma;Froid;junior;Fès;;;\n"))
	if r.Ecrites != 1 || len(r.Erreurs) != 2 || r.Erreurs[0].Colonne != "competences" || r.Erreurs[1].Colonne != "email" {
		t.Fatalf("techniciens %+v", r)
	}
	techs := readExport(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/techniciens/export?q=Nadia", nil), ';')
	if len(techs) != 2 || column(t, techs, "competences")[0] != "Hydraulique:4|Soudure:2" || column(t, techs, "base_latitude")[0] != "34,02" {
		t.Fatalf("imported technicien exported as %v", techs)
	}

	// Refusals.
	if res := post(t, apitest.Responsable, "/api/v1/clients/import", "nom;couleur\nImport X;bleu\n"); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown column: %d", res.Status)
	}
	if res := post(t, apitest.Responsable, "/api/v1/sites/import", "nom;ville\nImport Y;Rabat\n"); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("missing required columns: %d", res.Status)
	}
	if res := post(t, apitest.Technicien, "/api/v1/equipements/import", "nom\nx\n"); res.Status != http.StatusForbidden {
		t.Fatalf("technicien import: %d", res.Status)
	}
	if res := post(t, apitest.Client, "/api/v1/clients/import", "nom\nx\n"); res.Status != http.StatusForbidden {
		t.Fatalf("client import: %d", res.Status)
	}
}
