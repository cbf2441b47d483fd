package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// Fuzz targets of every decoder of client input (issue 13). `go test` runs their seed corpora;
// `go test -fuzz FuzzX -run '^$' ./api/` explores further. Each asserts no panic and that what
// a decoder accepts is what the database can store.

// storable walks v and reports the first string that holds NUL or invalid UTF-8.
func storable(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), textOK(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return storable(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if s, ok := storable(v.Field(i)); !ok {
					return s, false
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if s, ok := storable(v.Index(i)); !ok {
				return s, false
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if s, ok := storable(k); !ok {
				return s, false
			}
			if s, ok := storable(v.MapIndex(k)); !ok {
				return s, false
			}
		}
	}
	return "", true
}

// checkValidation fails unless err is a validation error naming at least one field, each with a
// message.
func checkValidation(t *testing.T, err error) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) == 0 {
		t.Fatalf("not a validation error: %v", err)
	}
	for _, f := range ve.Fields {
		if f.Field == "" || f.Message == "" {
			t.Fatalf("unnamed error %+v", f)
		}
	}
}

// FuzzDecodeJSON: any body gives either a decoded value whose every string is storable, or a
// validation error naming its fields; never a panic. Two shapes: a flat create request (with a
// date and the route's required members) and a nested one (sites: a list of objects).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"titre":"Fuite","description":"d","type_intervention":"corrective","equipement_id":3}`,
		`{"titre":5,"equipement_id":"12","date_limite":"demain","urgence":1e400,"zzz":1}`,
		`{"titre":"a\u0000b"}`, "{\"titre\":\"a\xffb\"}", `{"TITRE":"x","Titre":"y"}`, `{"titre":"x","titre":null}`,
		`{"nom":"Usine","horaires_ouverture":[{"jour":"lundi","debut":"08:00","fin":"17:00"},{"jour":1}]}`,
		`{"horaires_ouverture":[{"jour":"lundi","x\u0000":2}]}`, `[1,2]`, `null`, `"x"`, `{} {}`, `{"a":`, ``,
		`{"latitude":1e999,"longitude":-0}`, `{"equipement_id":99999999999999999999}`, `{"\ud800":"\udfff"}`,
	} {
		f.Add([]byte(s))
	}
	router := mux.NewRouter()
	var err error
	var interv createInterventionRequest
	var site domain.SiteInput
	router.HandleFunc("/api/v1/interventions", func(w http.ResponseWriter, r *http.Request) { err = decodeJSON(r, &interv) }).Methods(http.MethodPost)
	router.HandleFunc("/api/v1/sites", func(w http.ResponseWriter, r *http.Request) { err = decodeJSON(r, &site) }).Methods(http.MethodPost)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/api/v1/interventions", "/api/v1/sites"} {
			interv, site, err = createInterventionRequest{}, domain.SiteInput{}, nil
			router.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
			if err != nil {
				checkValidation(t, err)
				continue
			}
			if len(jsonTextErrors(body)) > 0 {
				t.Fatalf("%s accepted %q despite its text", path, body)
			}
			for _, v := range []any{interv, site} {
				if s, ok := storable(reflect.ValueOf(v)); !ok {
					t.Fatalf("%s decoded %q from %q", path, s, body)
				}
			}
		}
	})
}

// FuzzJSONTextErrors: the scan never panics, names a field for each finding, and finds something
// exactly when the document holds NUL or invalid UTF-8 in a string (of a well-formed document).
func FuzzJSONTextErrors(f *testing.F) {
	for _, s := range []string{`{"a":"\u0000"}`, "{\"a\":[\"\xff\"]}", `{"a\\u0000":"\\u0000"}`, `{"a":{"b":{"c":[1,"x",null]}}}`, `"\u0000"`, `{`, "\xff", ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		fields := jsonTextErrors(doc)
		for _, fe := range fields {
			if fe.Field == "" || fe.Message != invalidTextMessage {
				t.Fatalf("%q: %+v", doc, fe)
			}
		}
		var v any
		if err := json.Unmarshal(doc, &v); err == nil && len(fields) == 0 { // a whole, well-formed document
			if s, ok := storable(reflect.ValueOf(v)); !ok || !bytes.Equal(bytes.ToValidUTF8(doc, nil), doc) {
				t.Fatalf("%q: missed %q", doc, s)
			}
		}
	})
}

// FuzzQueryParameters: any query string either is refused whole (422: NUL or invalid UTF-8) or is
// read by the query parser, which never panics and hands handlers only storable text, ordered
// periods and bounded pages.
func FuzzQueryParameters(f *testing.F) {
	for _, s := range []string{"limit=50&offset=0", "limit=0", "limit=201&offset=-1", "statut=ouverte&sort=-date_creation",
		"search=%00", "search=%FF", "%FF=1", "date_debut=2026-01-02&date_fin=2026-01-01", "date_debut=2026-01-02T10:00:00%2B01:00",
		"technicien_id=99999999999999999999", "urgence=TRUE&urgence=x", "sort=-", "x=1&_=2", "search=" + strings.Repeat("é", 120), ";;&&==", "a=%zz"} {
		f.Add(s)
	}
	var ran bool
	handler := rejectInvalidText(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran = true
		q := newQuery(r)
		p := q.page()
		_ = q.id("technicien_id")
		_ = q.intRange("mois", 1, 12)
		_ = q.boolean("urgence")
		text := q.text("search", maxSearchLen)
		st := enum(q, "statut", domain.StatutsIntervention)
		from, to := q.period("date_debut", "date_fin")
		srt := q.sort([]string{"date_creation", "priorite"}, storage.Sort{Field: "date_creation", Desc: true})
		err := q.err()
		if p.Limit < 1 || p.Limit > maxLimit || p.Offset < 0 {
			panic("page out of bounds")
		}
		if err != nil {
			return
		}
		if !textOK(text) || st != nil && !textOK(string(*st)) || !textOK(srt.Field) {
			panic("unstorable text accepted: " + text)
		}
		if from != nil && to != nil && !to.After(*from) {
			panic("period not ordered")
		}
	}))
	f.Fuzz(func(t *testing.T, rawQuery string) {
		ran = false
		r := httptest.NewRequest(http.MethodGet, "/api/v1/interventions", nil)
		r.URL.RawQuery = rawQuery
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if !ran && w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%q: neither read nor refused (%d)", rawQuery, w.Code)
		}
	})
}

// FuzzUploadForm: any multipart body gives either an upload form that can be stored (a file within
// the limit, storable names and type, an owner) or a validation error / the too-large error.
func FuzzUploadForm(f *testing.F) {
	build := func(fields map[string]string, fileName string, content []byte) []byte {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.SetBoundary("BOUNDARY")
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		if fileName != "" {
			fw, _ := mw.CreateFormFile("file", fileName)
			_, _ = fw.Write(content)
		}
		_ = mw.Close()
		return buf.Bytes()
	}
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	f.Add(build(map[string]string{"intervention_id": "1", "type_document": "photo"}, "a.pdf", pdf))
	f.Add(build(map[string]string{"equipement_id": "2", "type_document": "manuel", "sensitive": "on"}, "b.pdf", pdf))
	f.Add(build(map[string]string{"intervention_id": "-1", "type_document": "a\x00b", "zzz": "1"}, "c\xff.pdf", pdf))
	f.Add(build(map[string]string{"is_sensitive": "peut-être", "type_document": strings.Repeat("x", 2000)}, "", nil))
	f.Add(build(map[string]string{"intervention_id": "1", "type_document": "photo"}, "big.txt", bytes.Repeat([]byte("a"), 5000)))
	f.Add([]byte("--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%00.pdf\r\n\r\n%PDF\r\n--BOUNDARY--\r\n"))
	f.Add([]byte("--BOUNDARY\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nx\r\n--BOUNDARY--\r\n"))
	f.Add([]byte("--BOUNDARY\r\n\r\n--BOUNDARY"))
	f.Add([]byte{})
	const max = 4096
	s := &Server{cfg: &config.Config{Documents: config.Documents{MaxBytes: max}}}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/documents", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=BOUNDARY")
		form, err := s.readUploadForm(r, false)
		if errors.Is(err, errTooLarge) {
			return
		}
		if err != nil {
			checkValidation(t, err)
			return
		}
		if len(form.content) == 0 || len(form.content) > max || !textOK(form.fileName) || !textOK(form.typeDocument) || form.typeDocument == "" ||
			form.interventionID == nil && form.equipementID == nil {
			t.Fatalf("accepted %+v", form)
		}
	})
}

// FuzzFormBody: an urlencoded body is refused (422) when a name or value holds NUL or invalid
// UTF-8; what reaches the handler is storable.
func FuzzFormBody(f *testing.F) {
	for _, s := range []string{"username=admin%40mif.ma&password=x", "username=a%00b", "password=%FF", "%00=1", "a=%zz", "refresh_token=rt_x&&&", ""} {
		f.Add(s)
	}
	var reached bool
	h := rejectInvalidForm(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		if s, ok := storable(reflect.ValueOf(map[string][]string(r.PostForm))); !ok {
			panic("unstorable form value reached the handler: " + s)
		}
	}))
	f.Fuzz(func(t *testing.T, body string) {
		reached = false
		r := httptest.NewRequest(http.MethodPost, "/api/v1/auth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !reached && w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%q: %d", body, w.Code)
		}
	})
}

// FuzzClientAddress: X-Forwarded-For is parsed without panicking, and the client address is the
// peer or a well-formed address of the chain.
func FuzzClientAddress(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "203.0.113.7, 10.0.0.2", "::ffff:10.0.0.1", "", ",,,", "unknown, 10.0.0.2", "2001:db8::1%eth0", "1.2.3.4:80"} {
		f.Add("10.0.0.2:443", s)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		ip := resolveClientIP(remote, []string{xff}, trusted)
		if ip != peerIP(remote) {
			if _, err := netip.ParseAddr(ip); err != nil || !strings.Contains(xff, ip) && !strings.Contains(xff, "::ffff:"+ip) && !strings.Contains(strings.ToLower(xff), ip) {
				t.Fatalf("client %q from peer %q and chain %q", ip, remote, xff)
			}
		}
	})
}

// FuzzIdempotencyKey: a client's key is refused (422) or becomes a UUID; never a panic.
func FuzzIdempotencyKey(f *testing.F) {
	for _, s := range []string{"", "cle-1", "a\x00b", "\xff", strings.Repeat("k", 300), "é", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/interventions", nil)
		r.Header["Idempotency-Key"] = []string{key}
		k, err := idempotencyKey(r, domain.Principal{UserID: 1}, "create")
		if err != nil {
			checkValidation(t, err)
			return
		}
		if len(k) != 36 || !textOK(k) {
			t.Fatalf("%q → %q", key, k)
		}
	})
}
