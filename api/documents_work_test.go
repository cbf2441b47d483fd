package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/storage"
)

// TestDocumentsTechnicienWork: a technicien attaches documents only to his work — the
// interventions assigned to him and their equipment — a new version of a document the client
// reads included (it would replace what the client reads); he reads the documents of his work,
// and a sensitive one only when it belongs to one of his interventions; any other is not found.
// The same rule as casbin/policy.csv states.
func TestDocumentsTechnicienWork(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t)
	resp, tech, tech2 := e.Token(apitest.Responsable), e.Token(apitest.Technicien), e.Token(apitest.Technicien2)
	presse, tank := e.equipementOf(t, "Presse hydraulique PH-001"), e.equipementOf(t, "Tank à lait TL-12")
	mine := e.intervention(t, "Presse hydraulique PH-001", apitest.Technicien)
	theirs := e.intervention(t, "Tank à lait TL-12", apitest.Technicien2)
	put := func(token string, fields map[string]string, name string) *apitest.Response {
		t.Helper()
		return e.upload(t, upload{file: pdfBytes(name), name: name, fields: fields, token: token})
	}
	created := func(res *apitest.Response) storage.Document {
		t.Helper()
		if res.Status != http.StatusCreated {
			t.Fatalf("upload: %d %s", res.Status, res.Body)
		}
		var d storage.Document
		res.JSON(t, &d)
		return d
	}
	on := func(key string, id int64, kv ...string) map[string]string {
		m := map[string]string{key: apitest.ID(id), "type_document": "manuel"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tankManual := created(put(resp, on("equipement_id", tank), "manuel-tl12.pdf"))
	presseManual := created(put(resp, on("equipement_id", presse), "manuel-ph001.pdf"))
	presseSecret := created(put(resp, on("equipement_id", presse, "sensitive", "true"), "plan-ph001.pdf"))
	theirSecret := created(put(resp, on("intervention_id", theirs, "sensitive", "true"), "acces-tl12.pdf"))
	mySecret := created(put(resp, on("intervention_id", mine, "sensitive", "true"), "acces-ph001.pdf"))

	// Uploads: not on another technicien's machine, not even as a new version of its manual.
	for name, fields := range map[string]map[string]string{
		"other equipment":             on("equipement_id", tank, "type_document", "photo"),
		"new version of its document": on("equipement_id", tank),
	} {
		res := put(tech, fields, "manuel-tl12.pdf")
		if res.Status != http.StatusForbidden {
			t.Fatalf("technicien upload, %s: %d %s", name, res.Status, res.Body)
		}
	}
	var versions int
	if err := e.Store.Q().GetContext(context.Background(), &versions, `SELECT count(*) FROM documents WHERE equipement_id = $1`, tank); err != nil || versions != 1 {
		t.Fatalf("documents on the other equipment: %d (%v)", versions, err)
	}
	own := created(put(tech, on("equipement_id", presse), "photo-ph001.pdf"))
	created(put(tech2, on("equipement_id", tank), "manuel-tl12.pdf")) // his machine: a version 2

	// Reads.
	visible := func(token string) []int64 {
		t.Helper()
		res := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents?limit=200", Token: token})
		if res.Status != http.StatusOK {
			t.Fatalf("list: %d %s", res.Status, res.Body)
		}
		var docs []storage.Document
		res.JSON(t, &docs)
		var ids []int64
		for _, d := range docs {
			ids = append(ids, d.ID)
		}
		slices.Sort(ids)
		return ids
	}
	want := []int64{presseManual.ID, mySecret.ID, own.ID}
	slices.Sort(want)
	if got := visible(tech); !slices.Equal(got, want) {
		t.Fatalf("technicien sees %v, want %v (tank %d, secret plan %d, other's %d)", got, want, tankManual.ID, presseSecret.ID, theirSecret.ID)
	}
	for _, id := range []int64{tankManual.ID, presseSecret.ID, theirSecret.ID} {
		for _, suffix := range []string{"", "/download", "/versions", "/verify"} {
			res := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(id) + suffix, Token: tech})
			if res.Status != http.StatusNotFound {
				t.Fatalf("technicien GET document %d%s: %d", id, suffix, res.Status)
			}
		}
	}
	if res := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/documents/" + apitest.ID(mySecret.ID) + "/download", Token: tech}); res.Status != http.StatusOK {
		t.Fatalf("technicien downloads the sensitive document of his intervention: %d", res.Status)
	}
	// The other technicien: his machine's manual (both versions listed as one) and his secret.
	if got := visible(tech2); len(got) != 2 || !slices.Contains(got, theirSecret.ID) {
		t.Fatalf("technicien2 sees %v", got)
	}
	// A responsable sees everything.
	if got := visible(resp); len(got) != 6 {
		t.Fatalf("responsable sees %v", got)
	}
}

// TestAuthenticatedAnswersAreNotStored: every answer of an authenticated route carries
// Cache-Control: no-store (its data belongs to one user), errors included; public ones need not.
func TestAuthenticatedAnswersAreNotStored(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin, tech := env.Token(apitest.Admin), env.Token(apitest.Technicien)
	for _, r := range []apitest.Request{
		{Method: http.MethodGet, Path: "/api/v1/auth/me", Token: admin},
		{Method: http.MethodGet, Path: "/api/v1/interventions", Token: admin},
		{Method: http.MethodGet, Path: "/api/v1/equipements", Token: tech},
		{Method: http.MethodGet, Path: "/api/v1/notifications", Token: tech},
		{Method: http.MethodGet, Path: "/api/v1/dashboard/stats", Token: admin},
		{Method: http.MethodGet, Path: "/api/v1/users/999999", Token: admin},         // 404
		{Method: http.MethodGet, Path: "/api/v1/users", Token: tech},                 // 403
		{Method: http.MethodGet, Path: "/api/v1/interventions?limit=0", Token: tech}, // 422
		{Method: http.MethodGet, Path: "/api/v1/users"},                              // 401
	} {
		res := env.Do(t, r)
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s → %d: Cache-Control %q", r.Method, r.Path, res.Status, res.Header.Get("Cache-Control"))
		}
	}
}
