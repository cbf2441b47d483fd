package api_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/storage"
)

// docEnv is a platform whose API and worker share one document directory and key set.
type docEnv struct {
	*apitest.Env
	dir   string
	keys  []string
	vault *documents.Vault
}

func newFernetKey(t *testing.T) string {
	t.Helper()
	k, err := documents.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newDocEnv(t *testing.T, opts ...apitest.Option) *docEnv {
	t.Helper()
	dir := t.TempDir()
	keys := []string{newFernetKey(t)}
	vault, err := documents.Open(dir, keys)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]apitest.Option{
		apitest.WithEnv("MIF_DOCUMENTS_DIR", dir),
		apitest.WithEnv("FERNET_KEYS", keys[0]),
		apitest.WithEnv("MIF_DOCUMENT_MAX_BYTES", "65536"),
		apitest.WithActivities(func(a *activities.Activities) { a.Documents = vault }),
	}, opts...)
	return &docEnv{Env: apitest.New(t, opts...), dir: dir, keys: keys, vault: vault}
}

// equipementOf returns the id of a demo equipment by name.
func (e *docEnv) equipementOf(t *testing.T, nom string) int64 {
	t.Helper()
	var id int64
	if err := e.Store.Q().GetContext(context.Background(), &id, `SELECT id FROM equipements WHERE nom = $1`, nom); err != nil {
		t.Fatal(err)
	}
	return id
}

// intervention inserts an intervention on the named equipment, assigned to the technicien with
// that e-mail ("" for none).
func (e *docEnv) intervention(t *testing.T, equipement, technicien string) int64 {
	t.Helper()
	ctx := context.Background()
	creator := e.User(apitest.Responsable).ID
	in, _, err := e.Store.InsertIntervention(ctx, "test/"+uuid.NewString(), domain.NewIntervention{
		Titre: "Réparation fuite hydraulique", Description: "Fuite détectée au niveau du circuit principal",
		TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteHaute, EquipementID: e.equipementOf(t, equipement), CreateurID: &creator,
	})
	if err != nil {
		t.Fatal(err)
	}
	if technicien != "" {
		if _, err := e.Store.Q().ExecContext(ctx, `UPDATE interventions SET technicien_id = (SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = $2), statut = 'en_cours' WHERE id = $1`, in.ID, technicien); err != nil {
			t.Fatal(err)
		}
	}
	return in.ID
}

type upload struct {
	file     []byte
	name     string
	fields   map[string]string
	noFile   bool
	token    string
	endpoint string
}

func (e *docEnv) upload(t *testing.T, u upload) *apitest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range u.fields {
		_ = mw.WriteField(k, v)
	}
	if !u.noFile {
		fw, err := mw.CreateFormFile("file", u.name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(u.file)
	}
	_ = mw.Close()
	path := u.endpoint
	if path == "" {
		path = "/api/v1/documents/upload"
	}
	return e.Do(t, apitest.Request{Method: http.MethodPost, Path: path, Token: u.token, Body: body.Bytes(),
		Header: map[string]string{"Content-Type": mw.FormDataContentType()}})
}

func pdfBytes(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + text + "\n%%EOF\n")
}

func TestDocumentsUploadDownloadVersionsDelete(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t)
	resp := e.Token(apitest.Responsable)
	iv := e.intervention(t, "Presse hydraulique PH-001", "technicien@mif.ma")

	// A sensitive PDF: stored encrypted, never in clear on disk.
	secret := pdfBytes("schéma confidentiel du circuit")
	r := e.upload(t, upload{file: secret, name: "../../Schéma circuit.pdf", token: resp,
		fields: map[string]string{"intervention_id": apitest.ID(iv), "type_document": "schema", "sensitive": "true"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var d1 storage.Document
	r.JSON(t, &d1)
	if d1.Nom != "Schéma_circuit.pdf" || d1.MimeType != documents.MimePDF || !d1.IsEncrypted || d1.Version != 1 ||
		d1.Taille != int64(len(secret)) || d1.Checksum != documents.Checksum(secret) || d1.InterventionID == nil || *d1.InterventionID != iv {
		t.Fatalf("document = %+v", d1)
	}
	if strings.Contains(string(r.Body), "chemin_fichier") {
		t.Fatal("the storage key must not be exposed")
	}
	files, _ := filepath.Glob(filepath.Join(e.dir, "*", "*"))
	if len(files) != 1 {
		t.Fatalf("files on disk: %v", files)
	}
	onDisk, _ := os.ReadFile(files[0])
	if bytes.Contains(onDisk, []byte("confidentiel")) || bytes.Contains(onDisk, []byte("%PDF")) || strings.Contains(files[0], "Sch") {
		t.Fatal("the file on disk must be encrypted and named by an opaque key")
	}

	dl := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(d1.ID) + "/download", Token: resp})
	if dl.Status != http.StatusOK || !bytes.Equal(dl.Body, secret) || dl.Header.Get("Content-Type") != documents.MimePDF ||
		!strings.Contains(dl.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q %v", dl.Status, dl.Body, dl.Header)
	}

	// Same type and name on the same intervention: version 2; version 1 stays readable.
	secret2 := pdfBytes("schéma révisé")
	r = e.upload(t, upload{file: secret2, name: "Schéma circuit.pdf", token: resp, endpoint: "/api/v1/documents",
		fields: map[string]string{"intervention_id": apitest.ID(iv), "type_document": "schema"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("upload v2: %d %s", r.Status, r.Body)
	}
	var d2 storage.Document
	r.JSON(t, &d2)
	if d2.Version != 2 || d2.IsEncrypted {
		t.Fatalf("v2 = %+v", d2)
	}
	// A text note: another document.
	r = e.upload(t, upload{file: []byte("Pression relevée: 180 bar\n"), name: "note.txt", token: resp,
		fields: map[string]string{"intervention_id": apitest.ID(iv), "type_document": "note"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("note: %d %s", r.Status, r.Body)
	}

	var list []storage.Document
	lr := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents?intervention_id=" + apitest.ID(iv), Token: resp})
	lr.JSON(t, &list)
	if lr.Header.Get("X-Total-Count") != "2" || len(list) != 2 {
		t.Fatalf("latest versions: %s", lr.Body)
	}
	lr = e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents?intervention_id=" + apitest.ID(iv) + "&toutes_versions=true&type_document=schema", Token: resp})
	lr.JSON(t, &list)
	if len(list) != 2 || list[0].Version+list[1].Version != 3 {
		t.Fatalf("all versions of schema: %s", lr.Body)
	}
	vr := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(d2.ID) + "/versions", Token: resp})
	vr.JSON(t, &list)
	if len(list) != 2 || list[0].Version != 2 || list[1].ID != d1.ID {
		t.Fatalf("versions: %s", vr.Body)
	}
	if q := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents?limit=0&intervention_id=x", Token: resp}); q.Status != http.StatusUnprocessableEntity || len(q.Problem(t).Errors) != 2 {
		t.Fatalf("bad query: %d %s", q.Status, q.Body)
	}
	dl = e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(d1.ID) + "/download", Token: resp})
	if !bytes.Equal(dl.Body, secret) {
		t.Fatal("version 1 must stay readable")
	}
	var ver struct {
		Valide bool `json:"valide"`
	}
	e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(d1.ID) + "/verify", Token: resp}).JSON(t, &ver)
	if !ver.Valide {
		t.Fatal("verify: want valide")
	}

	// A technicien reads documents but may not delete them.
	if r := e.Do(t, apitest.Request{Method: http.MethodDelete, Path: "/api/v1/documents/" + apitest.ID(d2.ID), Token: e.Token(apitest.Technicien)}); r.Status != http.StatusForbidden {
		t.Fatalf("technicien delete: %d", r.Status)
	}
	if r := e.Do(t, apitest.Request{Method: http.MethodDelete, Path: "/api/v1/documents/" + apitest.ID(d2.ID), Token: resp}); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(d2.ID), Token: resp}); r.Status != http.StatusNotFound {
		t.Fatalf("deleted document: %d", r.Status)
	}
	// Version 1 is the latest live one again.
	lr = e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents?intervention_id=" + apitest.ID(iv) + "&type_document=schema", Token: resp})
	lr.JSON(t, &list)
	if len(list) != 1 || list[0].ID != d1.ID {
		t.Fatalf("after delete: %s", lr.Body)
	}
	hist, err := e.Store.ListHistorique(context.Background(), "document", d2.ID)
	if err != nil || len(hist) != 2 || hist[1].Action != "suppression" || hist[1].ActeurID == nil || *hist[1].ActeurID != e.User(apitest.Responsable).ID {
		t.Fatalf("historique = %+v, %v", hist, err)
	}
}

func TestDocumentsUploadRefusals(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t)
	resp := e.Token(apitest.Responsable)
	mine := e.intervention(t, "Presse hydraulique PH-001", "technicien@mif.ma")
	fields := func(kv ...string) map[string]string {
		m := map[string]string{"intervention_id": apitest.ID(mine), "type_document": "photo"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name   string
		up     upload
		status int
		detail string
	}{
		{"too big", upload{file: bytes.Repeat([]byte("a"), 65537), name: "big.txt", fields: fields()}, http.StatusRequestEntityTooLarge, "65536"},
		{"html", upload{file: []byte("<html><script>alert(1)</script></html>"), name: "x.pdf", fields: fields()}, http.StatusUnsupportedMediaType, "text/html"},
		{"executable", upload{file: []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"), name: "x.png", fields: fields()}, http.StatusUnsupportedMediaType, "type de fichier refusé"},
		{"unknown intervention", upload{file: pdfBytes("x"), name: "a.pdf", fields: fields("intervention_id", "999999")}, http.StatusUnprocessableEntity, "intervention introuvable"},
		{"bad id", upload{file: pdfBytes("x"), name: "a.pdf", fields: fields("intervention_id", "abc")}, http.StatusUnprocessableEntity, "identifiant"},
		{"no owner", upload{file: pdfBytes("x"), name: "a.pdf", fields: map[string]string{"type_document": "photo"}}, http.StatusUnprocessableEntity, "intervention_id"},
		{"no file", upload{noFile: true, fields: fields()}, http.StatusUnprocessableEntity, "file"},
		{"empty file", upload{file: []byte{}, name: "a.txt", fields: fields()}, http.StatusUnprocessableEntity, "vide"},
		{"unknown field", upload{file: pdfBytes("x"), name: "a.pdf", fields: fields("chemin_fichier", "/etc/passwd")}, http.StatusUnprocessableEntity, "champ inconnu"},
		{"wrong equipment", upload{file: pdfBytes("x"), name: "a.pdf", fields: fields("equipement_id", apitest.ID(e.equipementOf(t, "Tank à lait TL-12")))}, http.StatusUnprocessableEntity, "équipement"},
		// Someone else's intervention: technicien2 is not assigned to it.
		{"other technicien's intervention", upload{file: pdfBytes("x"), name: "a.pdf", fields: fields(), token: e.Token(apitest.Technicien2)}, http.StatusForbidden, "technicien assigné"},
		// Clients do not upload at all (seed matrix).
		{"client", upload{file: pdfBytes("x"), name: "a.pdf", fields: fields(), token: e.Token(apitest.Client)}, http.StatusForbidden, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.up.token == "" {
				c.up.token = resp
			}
			r := e.upload(t, c.up)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if p := r.Problem(t); !strings.Contains(p.Detail+fmt.Sprint(p.Errors), c.detail) {
				t.Fatalf("detail %q (errors %v) lacks %q", p.Detail, p.Errors, c.detail)
			}
		})
	}
	// Nothing was stored by any refused upload.
	var n int
	if err := e.Store.Q().GetContext(context.Background(), &n, `SELECT count(*) FROM documents`); err != nil || n != 0 {
		t.Fatalf("documents = %d, %v", n, err)
	}
	if files, _ := filepath.Glob(filepath.Join(e.dir, "*", "*")); len(files) != 0 {
		t.Fatalf("files left on disk: %v", files)
	}
	// The assigned technicien may upload; a request over the whole-body limit is 413 as well.
	r := e.upload(t, upload{file: pdfBytes("x"), name: "a.pdf", fields: fields(), token: e.Token(apitest.Technicien)})
	if r.Status != http.StatusCreated {
		t.Fatalf("assigned technicien: %d %s", r.Status, r.Body)
	}
	r = e.upload(t, upload{file: bytes.Repeat([]byte("a"), 200<<10), name: "big.txt", fields: fields(), token: resp})
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("body over the route limit: %d", r.Status)
	}
}

func TestDocumentsTamperedFileIsNeverServed(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t)
	resp := e.Token(apitest.Responsable)
	iv := e.intervention(t, "Presse hydraulique PH-001", "")
	var docs []storage.Document
	for _, sensitive := range []string{"true", "false"} {
		r := e.upload(t, upload{file: []byte("Relevé " + sensitive + "\n"), name: "releve-" + sensitive + ".txt", token: resp,
			fields: map[string]string{"intervention_id": apitest.ID(iv), "type_document": "releve", "sensitive": sensitive}})
		var d storage.Document
		r.JSON(t, &d)
		docs = append(docs, d)
	}
	for _, d := range docs {
		var key string
		if err := e.Store.Q().GetContext(context.Background(), &key, `SELECT chemin_fichier FROM documents WHERE id = $1`, d.ID); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(e.dir, filepath.FromSlash(key))
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 0x01
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		dl := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(d.ID) + "/download", Token: resp})
		if dl.Status != http.StatusInternalServerError || !strings.Contains(dl.Problem(t).Detail, "intégrité") || bytes.Contains(dl.Body, []byte("Relev")) {
			t.Fatalf("tampered download (encrypted=%v): %d %s", d.IsEncrypted, dl.Status, dl.Body)
		}
		var ver struct {
			Valide bool   `json:"valide"`
			Detail string `json:"detail"`
		}
		e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(d.ID) + "/verify", Token: resp}).JSON(t, &ver)
		if ver.Valide || !strings.Contains(ver.Detail, "altéré") {
			t.Fatalf("verify (encrypted=%v) = %+v", d.IsEncrypted, ver)
		}
	}
}

func TestDocumentsClientOwnership(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t)
	resp := e.Token(apitest.Responsable)
	atlas := e.intervention(t, "Presse hydraulique PH-001", "")
	r := e.upload(t, upload{file: pdfBytes("bon de travail"), name: "bon.pdf", token: resp,
		fields: map[string]string{"intervention_id": apitest.ID(atlas), "type_document": "bon"}})
	var d storage.Document
	r.JSON(t, &d)
	r = e.upload(t, upload{file: pdfBytes("notice"), name: "notice.pdf", token: resp,
		fields: map[string]string{"equipement_id": apitest.ID(e.equipementOf(t, "Presse hydraulique PH-001")), "type_document": "notice"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("equipment document: %d %s", r.Status, r.Body)
	}

	owner, other := e.Token(apitest.Client), e.Token(apitest.Client2)
	if r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(d.ID) + "/download", Token: owner}); r.Status != http.StatusOK {
		t.Fatalf("owner download: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"", "/download", "/verify", "/versions"} {
		if r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(d.ID) + path, Token: other}); r.Status != http.StatusNotFound {
			t.Fatalf("other client %s: %d", path, r.Status)
		}
	}
	var list []storage.Document
	e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents", Token: owner}).JSON(t, &list)
	if len(list) != 2 {
		t.Fatalf("owner list: %+v", list)
	}
	// By equipment: the notice attached to the press and the work order of its intervention.
	lr := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents?equipement_id=" + apitest.ID(e.equipementOf(t, "Presse hydraulique PH-001")), Token: owner})
	lr.JSON(t, &list)
	if len(list) != 2 || lr.Header.Get("X-Total-Count") != "2" {
		t.Fatalf("documents of the press: %s", lr.Body)
	}
	e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents?type_document=notice&equipement_id=" + apitest.ID(e.equipementOf(t, "Presse hydraulique PH-001")), Token: owner}).JSON(t, &list)
	if len(list) != 1 || list[0].TypeDocument != "notice" {
		t.Fatalf("notices of the press: %+v", list)
	}
	e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents?equipement_id=" + apitest.ID(e.equipementOf(t, "Tank à lait TL-12")), Token: e.Token(apitest.Responsable)}).JSON(t, &list)
	if len(list) != 0 {
		t.Fatalf("documents of another equipment: %+v", list)
	}
	lr = e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents", Token: other})
	lr.JSON(t, &list)
	if len(list) != 0 || lr.Header.Get("X-Total-Count") != "0" {
		t.Fatalf("other client list: %s", lr.Body)
	}
}

// renderPDF rasterises a PDF with pdftoppm and returns the number of pages rendered.
func renderPDF(t *testing.T, pdf []byte) int {
	t.Helper()
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Fatal("pdftoppm is required (Debian: apt-get install -y poppler-utils): ", err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-png", "-r", "30", in, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	for _, p := range pages {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		_ = f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !inked(img) {
			t.Fatalf("%s: blank page", p)
		}
	}
	return len(pages)
}

func TestInterventionReport(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t)
	ctx := context.Background()
	iv := e.intervention(t, "Presse hydraulique PH-001", "technicien@mif.ma")
	if _, err := e.Store.Q().ExecContext(ctx, `UPDATE interventions SET statut = 'terminee', rapport = 'Joint du vérin remplacé.', temps_passe = 95, date_debut = now() - interval '2 hours', date_fin = now() WHERE id = $1`, iv); err != nil {
		t.Fatal(err)
	}
	tech := e.User(apitest.Technicien).ID
	if err := e.Store.RecordHistorique(ctx, storage.HistoriqueEntry{Entite: "intervention", EntiteID: iv, Action: "cloture", ActeurID: &tech,
		Changements: map[string]any{"statut": map[string]any{"ancien": "en_cours", "nouveau": "terminee"}, "temps_passe": 95, "technicien_id": 7}}); err != nil {
		t.Fatal(err)
	}
	r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/interventions/" + apitest.ID(iv) + "/rapport.pdf", Token: e.Token(apitest.Client)})
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("rapport.pdf: %d %s", r.Status, r.Header)
	}
	if n := renderPDF(t, r.Body); n < 1 {
		t.Fatal("no page rendered")
	}
	txt := pdfText(t, r.Body)
	for _, want := range []string{
		"Joint du vérin remplacé.", "Cimenterie Atlas", "Presse hydraulique PH-001", "Marie Dubois", "95 min", "Signatures", "Le technicien", "Le client",
		// The timeline comes from historique, in words: the creation by the responsable, the
		// closure by the technicien with what changed.
		"Chronologie", "Création — Salma Bennani", "priorité : Haute", "Clôture — Marie Dubois", "statut : Terminée (avant : En cours)", "temps passé (min) : 95",
		// French labels and the planning's time zone, named (issue 12).
		"Terminée", "Corrective", "heure de Casablanca",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(txt, `{"`) || strings.Contains(txt, "technicien id") {
		t.Errorf("the timeline must not show raw JSON or row ids:\n%s", txt)
	}
	if r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/interventions/" + apitest.ID(iv) + "/rapport.pdf", Token: e.Token(apitest.Client2)}); r.Status != http.StatusNotFound {
		t.Fatalf("other client: %d", r.Status)
	}
	// The press was once under a contract of the Laiterie, long expired: the report names the
	// client whose contract was in force, and a client never reads another client's name.
	if _, err := e.Store.Q().ExecContext(ctx, `WITH c AS (INSERT INTO contrats (numero, client_id, date_debut, date_fin)
		SELECT 'ANCIEN-PH-001', id, current_date - 1000, current_date - 900 FROM clients WHERE nom = 'Laiterie du Souss' RETURNING id)
		INSERT INTO contrat_equipements (contrat_id, equipement_id) SELECT c.id, $1 FROM c`, e.equipementOf(t, "Presse hydraulique PH-001")); err != nil {
		t.Fatal(err)
	}
	for who, want := range map[string]string{apitest.Responsable: "Cimenterie Atlas", apitest.Client: "Cimenterie Atlas", apitest.Client2: "Laiterie du Souss"} {
		r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/interventions/" + apitest.ID(iv) + "/rapport.pdf", Token: e.Token(who)})
		txt := pdfText(t, r.Body)
		other := map[bool]string{true: "Laiterie du Souss", false: "Cimenterie Atlas"}[want == "Cimenterie Atlas"]
		if r.Status != http.StatusOK || !strings.Contains(txt, want) || strings.Contains(txt, other) {
			t.Errorf("report for %s: %d, client line should name %q only", who, r.Status, want)
		}
	}

	// The activity stores it encrypted, once per report key.
	acts := &activities.Activities{Store: e.Store, Log: e.Log, Documents: e.vault}
	first, err := acts.GenerateInterventionReport(ctx, activities.GenerateInterventionReportInput{InterventionID: iv})
	if err != nil || !first.Created || first.Version != 1 {
		t.Fatalf("first report: %+v %v", first, err)
	}
	again, err := acts.GenerateInterventionReport(ctx, activities.GenerateInterventionReportInput{InterventionID: iv})
	if err != nil || again.Created || again.DocumentID != first.DocumentID {
		t.Fatalf("retried report: %+v %v", again, err)
	}
	second, err := acts.GenerateInterventionReport(ctx, activities.GenerateInterventionReportInput{InterventionID: iv, Key: "reopened-and-completed-again"})
	if err != nil || !second.Created || second.Version != 2 {
		t.Fatalf("second report: %+v %v", second, err)
	}
	var d storage.Document
	e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(first.DocumentID), Token: e.Token(apitest.Responsable)}).JSON(t, &d)
	if !d.IsEncrypted || d.TypeDocument != activities.ReportDocumentType || d.MimeType != documents.MimePDF {
		t.Fatalf("report document = %+v", d)
	}
	dl := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(first.DocumentID) + "/download", Token: e.Token(apitest.Client)})
	if dl.Status != http.StatusOK || renderPDF(t, dl.Body) < 1 {
		t.Fatalf("stored report download: %d", dl.Status)
	}
	if _, err := acts.GenerateInterventionReport(ctx, activities.GenerateInterventionReportInput{InterventionID: 999999}); err == nil {
		t.Fatal("unknown intervention: want an error")
	}
	if _, err := (&activities.Activities{Store: e.Store, Log: e.Log}).GenerateInterventionReport(ctx, activities.GenerateInterventionReportInput{InterventionID: iv}); err == nil ||
		!strings.Contains(err.Error(), "non configuré") {
		t.Fatalf("without a vault: %v", err)
	}
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// inked reports whether a rendered page has text on it (enough dark pixels).
func inked(img image.Image) bool {
	dark := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
				dark++
			}
		}
	}
	return dark > 200
}
