package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/internal/apitest"
)

// The audit's malformed-input passes (issue 13): every route of the route table, every operation
// of the OpenAPI document, driven by the document itself (its parameters and request schemas), so
// that a new route or field is covered without touching the tests.

// operation is one route of the table with its documentation.
type operation struct {
	method, path string // path as registered (mux variables with their patterns)
	op           *openapi3.Operation
	params       openapi3.Parameters // the path item's and the operation's
}

// documentedRoutes pairs every registered route with its OpenAPI operation.
func documentedRoutes(t *testing.T, env *apitest.Env) []operation {
	t.Helper()
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			params := append(openapi3.Parameters{}, item.Parameters...)
			byKey[routeKey(method, path)] = operation{op: op, params: append(params, op.Parameters...)}
		}
	}
	var ops []operation
	for _, rt := range env.Server.Routes() {
		o, ok := byKey[routeKey(rt.Method, rt.Path)]
		if !ok {
			t.Fatalf("route %s %s is not documented (TestContractRoutesMatchOpenAPI)", rt.Method, rt.Path)
		}
		o.method, o.path = rt.Method, rt.Path
		ops = append(ops, o)
	}
	if len(ops) < 40 {
		t.Fatalf("only %d routes", len(ops))
	}
	return ops
}

var muxVar = regexp.MustCompile(`\{([a-z_]+)(:[^{}]+)?\}`)

// concretePath fills the path variables: ids with id, other variables (uuids) with a fixed one.
func concretePath(path, id string) string {
	return muxVar.ReplaceAllStringFunc(path, func(v string) string {
		if strings.Contains(v, "[0-9]+") {
			return id
		}
		return "6f1c2a5e-8d1b-4c7a-9e2f-3b4d5c6e7f80"
	})
}

// schemaOf returns the schema of a media type of the request body, if documented.
func schemaOf(op *openapi3.Operation, mediaType string) *openapi3.Schema {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	mt := op.RequestBody.Value.Content.Get(mediaType)
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// flatten merges allOf and picks the first alternative of oneOf/anyOf.
func flatten(s *openapi3.Schema) *openapi3.Schema {
	if s == nil {
		return nil
	}
	switch {
	case len(s.OneOf) > 0:
		return flatten(s.OneOf[0].Value)
	case len(s.AnyOf) > 0:
		return flatten(s.AnyOf[0].Value)
	case len(s.AllOf) > 0:
		m := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{}}
		for _, a := range s.AllOf {
			if v := flatten(a.Value); v != nil {
				for k, p := range v.Properties {
					m.Properties[k] = p
				}
			}
		}
		for k, p := range s.Properties {
			m.Properties[k] = p
		}
		return m
	}
	return s
}

// sampleBody builds a value of schema s whose string leaves come from str(path) (nil: a plausible
// value); paths collects the path of every string leaf ("a", "a.b", "list[0].c").
func sampleBody(s *openapi3.Schema, path string, depth int, str func(path string, s *openapi3.Schema) any, paths *[]string) any {
	s = flatten(s)
	if s == nil || depth > 5 {
		return nil
	}
	switch {
	case s.Type.Is("object") || len(s.Properties) > 0:
		m := map[string]any{}
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			p := s.Properties[name].Value
			if p == nil || p.ReadOnly {
				continue
			}
			at := name
			if path != "" {
				at = path + "." + name
			}
			m[name] = sampleBody(p, at, depth+1, str, paths)
		}
		return m
	case s.Type.Is("array"):
		if s.Items == nil {
			return []any{}
		}
		return []any{sampleBody(s.Items.Value, path+"[0]", depth+1, str, paths)}
	case s.Type.Is("integer"):
		return 1
	case s.Type.Is("number"):
		return 1.5
	case s.Type.Is("boolean"):
		return true
	}
	*paths = append(*paths, path)
	if str != nil {
		return str(path, s)
	}
	return plausibleString(s)
}

func plausibleString(s *openapi3.Schema) string {
	switch {
	case len(s.Enum) > 0:
		return fmt.Sprint(s.Enum[0])
	case s.Format == "date-time":
		return "2031-03-12T10:00:00Z"
	case s.Format == "date":
		return "2031-03-12"
	case s.Format == "email":
		return "audit@example.ma"
	case s.Format == "uuid":
		return "6f1c2a5e-8d1b-4c7a-9e2f-3b4d5c6e7f80"
	}
	return "texte"
}

// badText is how a test marks a string to be replaced by invalid UTF-8 after marshalling
// (encoding/json would turn invalid bytes into U+FFFD).
const badText = "@@INVALID-UTF8@@"

// formBody encodes a flat sample as application/x-www-form-urlencoded.
func formBody(v any) []byte {
	m, _ := v.(map[string]any)
	vals := url.Values{}
	for k, x := range m {
		vals.Set(k, fmt.Sprint(x))
	}
	return []byte(strings.ReplaceAll(vals.Encode(), url.QueryEscape(badText), "a%FFb"))
}

// multipartBody encodes a flat sample as multipart/form-data; a binary field becomes a small PDF
// whose file name is fileName.
func multipartBody(t *testing.T, s *openapi3.Schema, v any, fileName string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	m, _ := v.(map[string]any)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if p := s.Properties[k]; p != nil && p.Value != nil && p.Value.Format == "binary" {
			fw, err := mw.CreateFormFile(k, fileName)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = fw.Write([]byte("%PDF-1.4\n%audit\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
			continue
		}
		if err := mw.WriteField(k, strings.ReplaceAll(fmt.Sprint(m[k]), badText, "a\xffb")); err != nil {
			t.Fatal(err)
		}
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// send issues a request outside the contract check (malformed requests may meet answers the
// document leaves implicit) and fails the test on any 5xx.
func send(t *testing.T, env *apitest.Env, token, method, path string, body []byte, contentType string) *apitest.Response {
	t.Helper()
	req := apitest.Request{Method: method, Path: path, Token: token, NoCheck: true}
	if body != nil {
		req.Body = body
		req.Header = map[string]string{"Content-Type": contentType}
	}
	res := env.Do(t, req)
	if res.Status >= 500 {
		t.Errorf("%s %s (%s) → %d: %s", method, path, contentType, res.Status, res.Body)
	}
	return res
}

// wantFields checks a 422 that names each of fields (every one when all, at least one otherwise).
func wantFields(t *testing.T, what string, res *apitest.Response, fields []string, all bool) {
	t.Helper()
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("%s: want 422, got %d: %s", what, res.Status, res.Body)
		return
	}
	var p api.Problem
	if err := json.Unmarshal(res.Body, &p); err != nil {
		t.Errorf("%s: %v: %s", what, err, res.Body)
		return
	}
	named := map[string]bool{}
	for _, e := range p.Errors {
		named[e.Field] = true
	}
	var missing []string
	for _, f := range fields {
		if !named[f] {
			missing = append(missing, f)
		}
	}
	if all && len(missing) > 0 || !all && len(missing) == len(fields) {
		t.Errorf("%s: 422 does not name %v: %s", what, missing, res.Body)
	}
}

// TestEveryRouteRefusesNULAndInvalidUTF8 walks every route of the route table and puts NUL or
// invalid UTF-8 in each text input it documents: the path, each query parameter, each string of
// a JSON body (nested ones included), each field and file name of a form. Every answer is a 422
// naming the input (the text never reaches PostgreSQL, which refuses it with 22021), never a 5xx.
func TestEveryRouteRefusesNULAndInvalidUTF8(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Token(apitest.Admin)
	for _, o := range documentedRoutes(t, env) {
		what := o.method + " " + o.path
		token := admin
		path := concretePath(o.path, "1")
		// The path itself.
		wantFields(t, what+" path NUL", send(t, env, token, o.method, path+"%00", nil, ""), []string{"path"}, true)
		wantFields(t, what+" path UTF-8", send(t, env, token, o.method, path+"%C3%28", nil, ""), []string{"path"}, true)
		// Each documented query parameter, and one the route does not know.
		for _, pr := range o.params {
			if p := pr.Value; p != nil && p.In == "query" {
				for _, v := range []string{"a%00b", "%FF%FE"} {
					wantFields(t, what+" query "+p.Name, send(t, env, token, o.method, path+"?"+url.QueryEscape(p.Name)+"="+v, nil, ""), []string{p.Name}, true)
				}
			}
		}
		wantFields(t, what+" query name", send(t, env, token, o.method, path+"?x%00y=1", nil, ""), []string{"query"}, true)
		// Every string of a JSON body at once: one 422 names them all.
		if s := schemaOf(o.op, "application/json"); s != nil {
			for _, bad := range []string{"a\x00b", badText} {
				var fields []string
				v := sampleBody(s, "", 0, func(string, *openapi3.Schema) any { return bad }, &fields)
				if len(fields) == 0 {
					continue
				}
				raw, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				raw = bytes.ReplaceAll(raw, []byte(badText), []byte("a\xffb"))
				wantFields(t, what+" JSON "+fmt.Sprintf("%q", bad), send(t, env, token, o.method, path, raw, "application/json"), fields, true)
			}
		}
		if s := flatten(schemaOf(o.op, "application/x-www-form-urlencoded")); s != nil {
			var fields []string
			v := sampleBody(s, "", 0, func(string, *openapi3.Schema) any { return badText }, &fields)
			wantFields(t, what+" form", send(t, env, token, o.method, path, formBody(v), "application/x-www-form-urlencoded"), fields, false)
			v = sampleBody(s, "", 0, func(string, *openapi3.Schema) any { return "a\x00b" }, new([]string))
			wantFields(t, what+" form NUL", send(t, env, token, o.method, path, formBody(v), "application/x-www-form-urlencoded"), fields, false)
		}
		if s := flatten(schemaOf(o.op, "multipart/form-data")); s != nil {
			var fields []string
			v := sampleBody(s, "", 0, func(p string, ps *openapi3.Schema) any {
				if ps.Format == "binary" || len(ps.Enum) > 0 {
					return plausibleString(ps)
				}
				return badText
			}, &fields)
			body, ct := multipartBody(t, s, v, "rapport\xff.pdf")
			res := send(t, env, token, o.method, path, body, ct)
			var named []string
			for _, f := range fields {
				if p := s.Properties[f]; p != nil && p.Value != nil && len(p.Value.Enum) == 0 {
					named = append(named, f) // the file by its name, the others by their value
				}
			}
			wantFields(t, what+" multipart", res, named, true)
			// NUL in a part's header is refused by the multipart reader itself; in the RFC 2231
			// form (filename*=) it decodes to a NUL, refused by name.
			body, ct = multipartBody(t, s, sampleBody(s, "", 0, nil, new([]string)), "rapport\x00.pdf")
			wantFields(t, what+" multipart NUL file name", send(t, env, token, o.method, path, body, ct), []string{"body", "file"}, false)
			body = bytes.Replace(body, []byte(`filename="rapport`+"\x00"+`.pdf"`), []byte(`filename*=UTF-8''rapport%00.pdf`), 1)
			wantFields(t, what+" multipart filename*", send(t, env, token, o.method, path, body, ct), []string{"file"}, true)
		}
	}
	// The real-time stream's query (the token may travel there).
	wantFields(t, "stream query", send(t, env, "", http.MethodGet, "/api/v1/notifications/stream?access_token=%00", nil, ""), []string{"access_token"}, true)
}

// wrongValue is a value of the wrong kind for schema s (a string for a number, a number for a
// string, an object for a list...), or an impossible one of the right kind.
func wrongValues(s *openapi3.Schema) []any {
	s = flatten(s)
	switch {
	case s == nil:
		return []any{[]any{}}
	case s.Type.Is("integer"):
		return []any{"abc", 1.5, json.Number("99999999999999999999999"), json.Number("1e999"), -1, true}
	case s.Type.Is("number"):
		return []any{"abc", json.Number("1e999"), false}
	case s.Type.Is("boolean"):
		return []any{"oui", 2}
	case s.Type.Is("array"):
		return []any{map[string]any{}, "x", []any{[]any{[]any{}}}}
	case s.Type.Is("object") || len(s.Properties) > 0:
		return []any{[]any{1}, "x"}
	case s.Format == "date-time" || s.Format == "date":
		return []any{"2026-02-30T25:61:00Z", "demain", 20260101}
	case s.Format == "uuid":
		return []any{"pas-un-uuid", 7}
	}
	return []any{42, strings.Repeat("é", 5000), []any{"x"}}
}

// malformedQuery lists bad values for a query parameter of schema s.
func malformedQuery(s *openapi3.Schema) []string {
	bad := []string{"%00", "%FF", url.QueryEscape(strings.Repeat("z", 3000))}
	if s == nil {
		return bad
	}
	switch {
	case s.Type.Is("integer"), s.Type.Is("number"):
		return append(bad, "abc", "99999999999999999999999", "-5", "1e3", "0x10", "NaN")
	case s.Type.Is("boolean"):
		return append(bad, "peut-etre", "2")
	case s.Format == "date-time" || s.Format == "date":
		return append(bad, "2026-13-45", "demain", "2026-02-30T25:00:00Z", "99999-01-01")
	case s.Format == "uuid":
		return append(bad, "pas-un-uuid")
	}
	return append(bad, "inconnu", "-", "%27%3B--")
}

// skippedOperations change the caller's session or start global work whatever the input; they
// have their own tests.
var skippedOperations = map[string]bool{
	"POST /api/v1/auth/logout":                 true, // would end the admin's sessions
	"POST /api/v1/admin/documents/rotate-keys": true, // starts the one key rotation (no input)
	"GET /api/v1/notifications/stream":         true, // an open stream; its query is in the NUL walk
}

// TestOpenAPIMalformedInputsNever5xx sends every operation of the OpenAPI document malformed
// path variables, query parameters and bodies — wrong types, huge numbers, impossible dates and
// UUIDs, NUL, bad and oversized JSON — as an admin (who reaches every decoder) and as a
// technicien (a restricted role): no answer is ever a 5xx, and every refusal is a problem
// document. Nothing is written: mutating operations get an id that does not exist, and bodies
// that cannot decode.
func TestOpenAPIMalformedInputsNever5xx(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ops := documentedRoutes(t, env)
	for _, role := range []string{apitest.Admin, apitest.Technicien} {
		token := env.Token(role)
		requests := 0
		check := func(what string, res *apitest.Response) {
			t.Helper()
			requests++
			if res.Status >= 400 && res.Status < 500 && res.Status != http.StatusMethodNotAllowed && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s %s → %d without a problem document: %s", role, what, res.Status, res.Body)
			}
		}
		for _, o := range ops {
			if skippedOperations[o.method+" "+o.path] {
				continue
			}
			what := o.method + " " + o.path
			id := "999999999" // nothing to change behind a mutating route
			if o.method == http.MethodGet {
				id = "1"
			}
			path := concretePath(o.path, id)
			// Path variables.
			if strings.Contains(o.path, "{") {
				for _, bad := range []string{"abc", "-1", "0", "99999999999999999999999", "1.5", "%00", "%FF", "pas-un-uuid", url.PathEscape(strings.Repeat("9", 400))} {
					p := muxVar.ReplaceAllString(o.path, bad)
					check(what+" path "+bad, send(t, env, token, o.method, p, nil, ""))
				}
			}
			// Query parameters, one at a time.
			for _, pr := range o.params {
				if p := pr.Value; p != nil && p.In == "query" {
					var s *openapi3.Schema
					if p.Schema != nil {
						s = p.Schema.Value
					}
					for _, bad := range malformedQuery(s) {
						check(what+" ?"+p.Name+"="+bad, send(t, env, token, o.method, path+"?"+url.QueryEscape(p.Name)+"="+bad, nil, ""))
					}
				}
			}
			if o.op.RequestBody == nil {
				continue
			}
			// Bodies that are not what the operation reads.
			for _, raw := range []string{`{`, `[]`, `null`, `"x"`, `{"a":1} {"b":2}`, `{"a":1e999999}`, "\xff\xfe", `{"\u0000":1}`,
				strings.Repeat("[", 20000) + strings.Repeat("]", 20000), `{"x":"` + strings.Repeat("a", 2<<20) + `"}`} {
				check(what+" body "+fmt.Sprintf("%.20q", raw), send(t, env, token, o.method, path, []byte(raw), "application/json"))
			}
			check(what+" body as text", send(t, env, token, o.method, path, []byte("titre=x"), "text/plain"))
			if schemaOf(o.op, "multipart/form-data") != nil {
				part := func(name, value string) string {
					return "--B\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n"
				}
				file := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4\n%%EOF\r\n"
				for name, raw := range map[string]string{
					"no boundary":   "x",
					"garbage":       "\x00\x01 pas du multipart",
					"truncated":     file[:40],
					"no end":        part("type_document", "photo") + file,
					"wrong types":   part("intervention_id", "abc") + part("equipement_id", "99999999999999999999999") + part("sensitive", "peut-être") + file + "--B--\r\n",
					"two files":     part("intervention_id", "1") + part("type_document", "photo") + file + file + "--B--\r\n",
					"long field":    part("type_document", strings.Repeat("x", 5000)) + file + "--B--\r\n",
					"nameless part": "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n" + file + "--B--\r\n",
				} {
					ct := "multipart/form-data; boundary=B"
					if name == "no boundary" {
						ct = "multipart/form-data"
					}
					check(what+" multipart "+name, send(t, env, token, o.method, path, []byte(raw), ct))
				}
			}
			if schemaOf(o.op, "application/x-www-form-urlencoded") != nil {
				for _, raw := range []string{"a=%zz&&=", "username=" + strings.Repeat("a", 100<<10), "%00", "username&password"} {
					check(what+" form "+fmt.Sprintf("%.20q", raw), send(t, env, token, o.method, path, []byte(raw), "application/x-www-form-urlencoded"))
				}
			}
			// Each member of the documented schema with a wrong value, all at once and one by one.
			s := flatten(schemaOf(o.op, "application/json"))
			if s == nil || len(s.Properties) == 0 {
				continue
			}
			valid, _ := sampleBody(s, "", 0, nil, new([]string)).(map[string]any)
			allWrong := map[string]any{}
			for name, p := range s.Properties {
				for i, w := range wrongValues(p.Value) {
					body := map[string]any{}
					for k, v := range valid {
						body[k] = v
					}
					body[name] = w
					if i == 0 {
						allWrong[name] = w
					}
					raw, err := json.Marshal(body)
					if err != nil {
						t.Fatal(err)
					}
					check(what+" "+name+"="+fmt.Sprintf("%.30v", w), send(t, env, token, o.method, path, raw, "application/json"))
				}
			}
			raw, _ := json.Marshal(allWrong)
			res := send(t, env, token, o.method, path, raw, "application/json")
			check(what+" every member wrong", res)
		}
		t.Logf("%s: %d malformed requests", role, requests)
	}
}
