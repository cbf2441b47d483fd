package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// TestJSONTextErrorsNamesFields: NUL (\u0000) and invalid UTF-8 are found in keys and values at
// any depth and named by their path; clean documents and escaped backslashes are left alone.
func TestJSONTextErrorsNamesFields(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string][]string{
		`{"titre":"ok","description":"a\u0000b"}`:               {"description"},
		"{\"titre\":\"a\xffb\",\"n\":1,\"description\":\"ok\"}": {"titre"},
		`{"a":{"b":[{"c":"x"},{"c":"\u0000"}]},"d":"\u0000"}`:   {"a.b[1].c", "d"},
		"{\"creneaux\":[\"ok\",\"\xc3\x28\"],\"x\":[1,2]}":      {"creneaux[1]"},
		`{"k\u0000":1}`: {"k\x00"},
		`"\u0000"`:      {"body"},
		`{"titre":"a\\u0000b","description":"é","n":[true,null,{"z":"\\\\u0000"}]}`: nil,
		`{"titre":"ok"`: nil, // syntax: the decoder's business
	} {
		var got []string
		for _, f := range jsonTextErrors([]byte(doc)) {
			got = append(got, f.Field)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", doc, got, want)
		}
	}
}

// TestFailMapsInvalidTextTo422: a 22021 (or 22P05) that reaches PostgreSQL anyway is invalid
// input, answered 422 without the database's message, never a 500.
func TestFailMapsInvalidTextTo422(t *testing.T) {
	t.Parallel()
	s := newRouteTestServer(t, nil)
	for _, pqErr := range []*pq.Error{
		{Code: "22021", Message: `invalid byte sequence for encoding "UTF8": 0x00`},
		{Code: "22P05", Message: `unsupported Unicode escape sequence 0x00`},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/api/v1/interventions", nil)
		s.fail(w, r, fmt.Errorf("storage: insert: %w", pqErr))
		if w.Code != http.StatusUnprocessableEntity || strings.Contains(w.Body.String(), "0x00") {
			t.Fatalf("%s: %d %s", pqErr.Code, w.Code, w.Body)
		}
	}
}

// TestMethodNotAllowedListsAllow: a 405 names the methods the route table has for the path, in
// the Allow header (RFC 9110) and in the detail.
func TestMethodNotAllowedListsAllow(t *testing.T) {
	t.Parallel()
	h := newRouteTestServer(t, nil).Handler()
	for path, want := range map[string]string{
		"/api/v1/interventions/7":         "GET",
		"/api/v1/equipements/7":           "GET, PUT, DELETE",
		"/api/v1/users":                   "GET, POST",
		"/api/v1/auth/login":              "POST",
		"/api/v1/notifications/read-all/": "PUT",
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPatch, path, nil))
		var p Problem
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != want || p.Code != CodeMethodNotAllowed || !strings.Contains(p.Detail, want) {
			t.Errorf("PATCH %s: %d Allow %q (want %q) %s", path, w.Code, w.Header().Get("Allow"), want, w.Body)
		}
	}
}

// TestRejectInvalidTextInPathAndQuery: the middleware answers 422 naming the parameter before
// any route (a NUL in a path is not a 404: it is invalid input).
func TestRejectInvalidTextInPathAndQuery(t *testing.T) {
	t.Parallel()
	h := newRouteTestServer(t, nil).Handler()
	for target, field := range map[string]string{
		"/api/v1/interventions?statut=%00":     "statut",
		"/api/v1/interventions?search=%FF":     "search",
		"/api/v1/interventions?%FF=1":          "query",
		"/api/v1/interventions/1%00":           "path",
		"/api/v1/health?x=%C3%28":              "x",
		"/api/v1/auth/oidc/callback?state=%00": "state",
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		var p Problem
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != field {
			t.Errorf("%s: %d %s", target, w.Code, w.Body)
		}
	}
	// A form body: checked within the route's body limit, before the handler.
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/api/v1/auth/refresh", strings.NewReader("refresh_token=rt_%00"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"refresh_token"`) {
		t.Errorf("form: %d %s", w.Code, w.Body)
	}
}

// TestDecodeJSONListsEveryFieldError: one 422 names every unknown member and every wrong type
// (a string for an integer, a number for a string, a huge number, a bad date), then the members
// the route's schema requires that are missing, each "obligatoire"; a correct body decodes.
func TestDecodeJSONListsEveryFieldError(t *testing.T) {
	t.Parallel()
	decode := func(body string) (createInterventionRequest, error) {
		var req createInterventionRequest
		var err error
		router := mux.NewRouter()
		router.HandleFunc("/api/v1/interventions", func(w http.ResponseWriter, r *http.Request) { err = decodeJSON(r, &req) }).Methods(http.MethodPost)
		router.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/api/v1/interventions", strings.NewReader(body)))
		return req, err
	}
	_, err := decode(`{"titre": 5, "equipement_id": "12", "priorite": "haute", "date_limite": "demain", "urgence": 1e400, "zzz": 1, "Couleur": "x"}`)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("not a validation error: %v", err)
	}
	got := map[string]string{}
	for _, f := range ve.Fields {
		got[f.Field] = f.Message
	}
	for field, want := range map[string]string{
		"titre": "chaîne", "equipement_id": "entier", "date_limite": "date", "urgence": "booléen",
		"zzz": "champ inconnu", "Couleur": "champ inconnu",
		"description": "obligatoire", "type_intervention": "obligatoire",
	} {
		if !strings.Contains(got[field], want) {
			t.Errorf("%s: %q, want %q (all: %v)", field, got[field], want, got)
		}
	}
	if len(got) != 8 {
		t.Errorf("errors %v", got)
	}
	// A correct body (member names matched like encoding/json does) decodes whole.
	req, err := decode(`{"Titre": "Fuite", "description": "d", "type_intervention": "corrective", "equipement_id": 3, "date_limite": "2031-01-02T10:00:00Z"}`)
	if err != nil || req.Titre != "Fuite" || req.EquipementID != 3 || req.DateLimite == nil || req.TypeIntervention != domain.TypeCorrective {
		t.Fatalf("%+v %v", req, err)
	}
	// Not an object, trailing data, bad syntax: one error on the body.
	for _, body := range []string{`[1]`, `{} {}`, `{"titre": }`, ``} {
		if _, err := decode(body); !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "body" {
			t.Errorf("%q: %v", body, err)
		}
	}
}

// TestDecodeJSONNamesNestedErrors: inside lists of objects too, every wrong member is named by its
// path in the same answer; a correct nested body decodes as encoding/json would.
func TestDecodeJSONNamesNestedErrors(t *testing.T) {
	t.Parallel()
	decode := func(body string) (domain.SiteInput, error) {
		var in domain.SiteInput
		err := decodeJSON(httptest.NewRequest(http.MethodPut, "/api/v1/sites/1", strings.NewReader(body)), &in)
		return in, err
	}
	_, err := decode(`{"nom": 3, "horaires_ouverture": [{"jour": 1, "debut": "08:00", "zz": true}, {"jour": "lundi", "debut": 8, "fin": "17:00"}], "latitude": "nord"}`)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%v", err)
	}
	var got []string
	for _, f := range ve.Fields {
		got = append(got, f.Field)
	}
	want := []string{"horaires_ouverture[0].jour", "horaires_ouverture[0].zz", "horaires_ouverture[1].debut", "latitude", "nom"}
	if !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v (%v)", got, want, err)
	}
	in, err := decode(`{"nom": "Usine", "horaires_ouverture": [{"jour": "lundi", "debut": "08:00", "fin": "17:00"}], "latitude": 33.5, "adresse": null}`)
	if err != nil || *in.Nom != "Usine" || in.HorairesOuverture == nil || len(*in.HorairesOuverture) != 1 || (*in.HorairesOuverture)[0].Fin != "17:00" ||
		*in.Latitude != 33.5 || in.Adresse != nil || in.Longitude != nil {
		t.Fatalf("%+v %v", in, err)
	}
	if in, err := decode(`{"horaires_ouverture": []}`); err != nil || in.HorairesOuverture == nil || len(*in.HorairesOuverture) != 0 {
		t.Fatalf("empty list: %+v %v", in, err)
	}
}
