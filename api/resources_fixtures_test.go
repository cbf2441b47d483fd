package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/storage"
)

// fixtures gives the resource tests the demo data set's identifiers and ways to add rows
// directly (lifecycle changes are the workflows' business; these tests only read them).
type fixtures struct {
	t   *testing.T
	env *apitest.Env
	tok map[string]string
}

func newFixtures(t *testing.T, opts ...apitest.Option) *fixtures {
	env := apitest.New(t, opts...)
	f := &fixtures{t: t, env: env, tok: map[string]string{}}
	for _, who := range []string{apitest.Admin, apitest.Responsable, apitest.Technicien, apitest.Technicien2, apitest.Client, apitest.Client2} {
		f.tok[who] = env.Token(who)
	}
	return f
}

// id runs a query that returns one id.
func (f *fixtures) id(query string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.env.Store.Q().GetContext(context.Background(), &id, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return id
}

func (f *fixtures) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.env.Store.Q().ExecContext(context.Background(), query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

// equipement returns the id of a demo equipment by serial number.
func (f *fixtures) equipement(serie string) int64 {
	return f.id(`SELECT id FROM equipements WHERE numero_serie = $1`, serie)
}

// Demo equipment: the first three are Cimenterie Atlas's (client@cimatlas.ma), the last two
// Laiterie du Souss's (client@laiteriesouss.ma).
const (
	presse     = "PH001-2023-001"
	broyeur    = "BB07-2019-114"
	tankLait   = "TL12-2020-010"
	pasteurisa = "PS2-2022-201"
)

// technicien returns the technicien id of a demo account.
func (f *fixtures) technicien(email string) int64 {
	return f.id(`SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = $1`, email)
}

// intervention inserts an intervention as its workflow's activity would, then applies the
// column values in set (statut, technicien_id, dates…).
func (f *fixtures) intervention(titre string, equipementID int64, prio domain.Priorite, set map[string]any) int64 {
	f.t.Helper()
	in, _, err := f.env.Store.InsertIntervention(context.Background(), "test/"+uuid.NewString(), domain.NewIntervention{
		Titre: titre, Description: "Intervention créée par le test " + titre, TypeIntervention: domain.TypeCorrective,
		Priorite: prio, EquipementID: equipementID,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	for col, v := range set {
		// col comes from the test code, never from input.
		f.exec(`UPDATE interventions SET `+col+` = $2 WHERE id = $1`, in.ID, v)
	}
	return in.ID
}

// want checks a status and returns the response.
func (f *fixtures) want(t *testing.T, status int, who, method, path string, body any) *apitest.Response {
	t.Helper()
	res := f.env.Do(t, apitest.Request{Method: method, Path: path, Token: f.tok[who], Body: body})
	if res.Status != status {
		t.Fatalf("%s %s %s: status %d, want %d: %s", who, method, path, res.Status, status, res.Body)
	}
	return res
}

// want422 checks a 422 that names field.
func (f *fixtures) want422(t *testing.T, field, who, method, path string, body any) {
	t.Helper()
	res := f.want(t, http.StatusUnprocessableEntity, who, method, path, body)
	p := res.Problem(t)
	for _, e := range p.Errors {
		if e.Field == field {
			return
		}
	}
	t.Fatalf("%s %s: 422 without an error on %q: %s", method, path, field, res.Body)
}

// total reads X-Total-Count.
func total(t *testing.T, res *apitest.Response) int {
	t.Helper()
	n, err := strconv.Atoi(res.Header.Get("X-Total-Count"))
	if err != nil {
		t.Fatalf("X-Total-Count = %q", res.Header.Get("X-Total-Count"))
	}
	return n
}

// ids lists the "id" of each element of a JSON array.
func ids(t *testing.T, res *apitest.Response) []int64 {
	t.Helper()
	var items []struct {
		ID int64 `json:"id"`
	}
	res.JSON(t, &items)
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func day(d time.Time) string { return d.UTC().Format(time.DateOnly) }

func storagePage() storage.Page { return storage.Page{Limit: 50} }
