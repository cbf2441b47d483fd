package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"

	"github.com/mifmaroc/mif/domain"
)

// decodeJSON reads a JSON body into dst: unknown fields, trailing data, wrong types, oversized
// bodies and text PostgreSQL cannot store (NUL, invalid UTF-8) are refused with a
// *domain.ValidationError that names the field. The members of an object are decoded one by one
// (and the elements of lists, at any depth: decodeValue), so that one 422 lists every unknown
// member and every wrong type at once, and then the members
// the route's OpenAPI schema requires that are missing ("obligatoire"); a body that decodes is
// left to the handler's own validation, which says the same of missing fields.
func decodeJSON(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "body", Message: "Content-Type application/json attendu"}}}
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	if fields := jsonTextErrors(raw); len(fields) > 0 {
		return &domain.ValidationError{Fields: fields}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var top json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return bodyError(err)
	}
	if dec.More() {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "body", Message: "un seul objet JSON attendu"}}}
	}
	target := reflect.ValueOf(dst)
	if target.Kind() != reflect.Pointer || target.IsNil() {
		return decodeStrict(top, dst, "")
	}
	var v domain.Validator
	decodeValue(top, target.Elem(), "", &v)
	if v.Err() == nil {
		return nil
	}
	if members, isObject := objectMembers(top); isObject {
		given := map[string]bool{}
		for _, m := range members {
			given[m.name] = true
		}
		for _, name := range requiredMembers(r) {
			if !given[name] {
				v.Add(name, "obligatoire")
			}
		}
	}
	return v.Err()
}

// decodeStrict decodes raw into dst, refusing unknown fields; errors name their field below
// prefix.
func decodeStrict(raw []byte, dst any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil || prefix == "" {
		if err != nil {
			return bodyError(err)
		}
		return nil
	}
	ve := bodyError(err).(*domain.ValidationError)
	for i, f := range ve.Fields {
		if f.Field == "body" {
			ve.Fields[i].Field = prefix
		} else {
			ve.Fields[i].Field = prefix + "." + f.Field
		}
	}
	return ve
}

type member struct {
	name  string
	value json.RawMessage
}

// jsonFields maps the JSON names of a struct's members (embedded structs' promoted) to their
// field index, as encoding/json does.
type jsonFields map[string][]int

// lookup finds a member by its exact name, else case-insensitively (encoding/json's rule).
func (f jsonFields) lookup(name string) ([]int, bool) {
	if i, ok := f[name]; ok {
		return i, true
	}
	for n, i := range f {
		if strings.EqualFold(n, name) {
			return i, true
		}
	}
	return nil, false
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// decodeValue decodes raw into target (addressable), recording every error in v under its path:
// an object into a struct member by member, a list into a slice element by element, so that one
// answer names every wrong member ("horaires_ouverture[2].debut"); anything else (scalars, maps,
// types with their own UnmarshalJSON such as dates) is decoded whole, unknown fields refused.
func decodeValue(raw json.RawMessage, target reflect.Value, path string, v *domain.Validator) {
	t := target.Type()
	custom := t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)
	trimmed := bytes.TrimSpace(raw)
	switch {
	case custom || len(trimmed) == 0:
	case t.Kind() == reflect.Pointer && !bytes.Equal(trimmed, []byte("null")):
		if target.IsNil() {
			target.Set(reflect.New(t.Elem()))
		}
		decodeValue(raw, target.Elem(), path, v)
		return
	case t.Kind() == reflect.Struct && trimmed[0] == '{':
		fields, ok := structFields(t)
		members, isObject := objectMembers(raw)
		if ok && isObject {
			for _, m := range members {
				at := m.name
				if at == "" {
					at = `""` // a member with an empty name is still named
				}
				if path != "" {
					at = path + "." + at
				}
				index, known := fields.lookup(m.name)
				if !known {
					v.Add(at, "champ inconnu")
					continue
				}
				decodeValue(m.value, target.FieldByIndex(index), at, v)
			}
			return
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 && trimmed[0] == '[':
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) == nil {
			list := reflect.MakeSlice(t, len(elems), len(elems))
			for i, e := range elems {
				decodeValue(e, list.Index(i), fmt.Sprintf("%s[%d]", path, i), v)
			}
			target.Set(list)
			return
		}
	}
	if err := decodeStrict(raw, target.Addr().Interface(), path); err != nil {
		for _, f := range err.(*domain.ValidationError).Fields {
			v.Add(f.Field, "%s", f.Message)
		}
	}
}

// structFields maps the JSON members of struct type t; false when t uses what member-by-member
// decoding does not reproduce.
func structFields(t reflect.Type) (jsonFields, bool) {
	fields := jsonFields{}
	return fields, collectFields(t, nil, fields)
}

// objectMembers splits a JSON object in its members, in order; false when raw is not an object.
func objectMembers(raw json.RawMessage) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var members []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, false
		}
		members = append(members, member{name: name, value: value})
	}
	return members, true
}

// collectFields fills fields with t's JSON members; false when t uses what member-by-member
// decoding does not reproduce (",string", embedded pointers).
func collectFields(t reflect.Type, index []int, fields jsonFields) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",string,") {
			return false
		}
		at := append(append([]int(nil), index...), i)
		if f.Anonymous && name == "" {
			if f.Type.Kind() == reflect.Pointer {
				return false
			}
			if f.Type.Kind() == reflect.Struct {
				if !collectFields(f.Type, at, fields) {
					return false
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := fields[name]; !dup || len(at) < len(fields[name]) {
			fields[name] = at // the shallower field wins, as in encoding/json
		}
	}
	return true
}

// requiredMembers lists the members the OpenAPI document requires in the JSON body of r's route.
func requiredMembers(r *http.Request) []string {
	route := mux.CurrentRoute(r)
	if route == nil {
		return nil
	}
	tmpl, err := route.GetPathTemplate()
	if err != nil {
		return nil
	}
	return requiredByRoute()[r.Method+" "+pathVariable.ReplaceAllString(tmpl, "{}")]
}

var pathVariable = regexp.MustCompile(`\{[^{}]+\}`)

// requiredByRoute reads, once, the required members of every operation's JSON request body.
var requiredByRoute = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	doc, err := OpenAPI()
	if err != nil {
		return out // the server does not start without its document; nothing to add here
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
				continue
			}
			out[method+" "+pathVariable.ReplaceAllString(path, "{}")] = schemaRequired(mt.Schema.Value)
		}
	}
	return out
})

func schemaRequired(s *openapi3.Schema) []string {
	req := append([]string(nil), s.Required...)
	for _, a := range s.AllOf {
		if a.Value != nil {
			req = append(req, schemaRequired(a.Value)...)
		}
	}
	return req
}

func bodyError(err error) error {
	field, msg := "body", "JSON invalide"
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tim *time.ParseError
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		msg = "corps de requête vide"
	case errors.As(err, &syn):
		msg = fmt.Sprintf("JSON invalide à l'octet %d", syn.Offset)
	case errors.As(err, &typ):
		field = typ.Field
		if field == "" {
			field = "body"
		}
		msg = "type attendu: " + jsonType(typ.Type.Kind().String())
	case errors.As(err, &tim):
		msg = "date invalide (format RFC 3339 attendu, ex. 2024-12-20T16:00:00Z)"
	case errors.As(err, &maxErr):
		msg = fmt.Sprintf("corps de requête trop volumineux (max %d octets)", maxErr.Limit)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		msg = "champ inconnu"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "JSON incomplet"
	}
	return &domain.ValidationError{Fields: []domain.FieldError{{Field: field, Message: msg}}}
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "entier"
	case "float32", "float64":
		return "nombre"
	case "bool":
		return "booléen"
	case "string":
		return "chaîne"
	case "slice", "array":
		return "liste"
	}
	return "objet"
}

// pathID reads a positive integer path variable; anything else is a resource that cannot exist.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(mux.Vars(r)[name], 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.ErrNotFound
	}
	return id, nil
}

// invalidTextMessage explains a refused text: PostgreSQL stores neither NUL nor invalid UTF-8
// (SQLSTATE 22021), so such text is refused where it enters, naming the field.
const invalidTextMessage = "caractères invalides (octet NUL ou UTF-8 invalide)"

// textOK reports whether s is text the database can store: valid UTF-8 without NUL.
func textOK(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// jsonTextErrors names every member of a JSON document whose key or string value holds NUL
// (written \u0000) or invalid UTF-8, as "field", "list[2]" or "parent.child". encoding/json
// would silently turn invalid UTF-8 into U+FFFD and pass NUL on to PostgreSQL; both are refused
// instead. Syntax errors are left to the decoder, which reports them with their offset.
func jsonTextErrors(raw []byte) []domain.FieldError {
	bad := invalidUTF8Offsets(raw)
	if len(bad) == 0 && !bytes.Contains(raw, []byte(`\u0000`)) {
		return nil
	}
	type frame struct {
		path    string
		array   bool
		wantKey bool
		key     string
		index   int
	}
	var stack []frame
	here := func() string { // the path of the value about to be read
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.array {
			return fmt.Sprintf("%s[%d]", f.path, f.index)
		}
		if f.path == "" {
			return f.key
		}
		return f.path + "." + f.key
	}
	afterValue := func() {
		if len(stack) > 0 {
			f := &stack[len(stack)-1]
			f.index++
			f.wantKey = !f.array
		}
	}
	var fields []domain.FieldError
	seen := map[string]bool{}
	report := func(field string) {
		if field == "" {
			field = "body"
		}
		if !seen[field] {
			seen[field] = true
			fields = append(fields, domain.FieldError{Field: field, Message: invalidTextMessage})
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var start int64
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		end := dec.InputOffset()
		// The token's bytes (with the separators before it) hold an invalid sequence.
		spansBad := false
		for len(bad) > 0 && int64(bad[0]) < end {
			if int64(bad[0]) >= start {
				spansBad = true
			}
			bad = bad[1:]
		}
		start = end
		switch t := tok.(type) {
		case json.Delim:
			if t == '}' || t == ']' {
				stack = stack[:len(stack)-1]
				afterValue()
				continue
			}
			stack = append(stack, frame{path: here(), array: t == '[', wantKey: t == '{'})
		case string:
			if f := len(stack) - 1; f >= 0 && stack[f].wantKey {
				stack[f].key, stack[f].wantKey = t, false
				if spansBad || strings.IndexByte(t, 0) >= 0 {
					report(here())
				}
				continue
			}
			if spansBad || strings.IndexByte(t, 0) >= 0 {
				report(here())
			}
			afterValue()
		default:
			afterValue()
		}
	}
	return fields
}

// invalidUTF8Offsets lists the offsets of the invalid UTF-8 sequences in b, in order.
func invalidUTF8Offsets(b []byte) []int {
	if utf8.Valid(b) {
		return nil
	}
	var offs []int
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			offs = append(offs, i)
			n = 1
		}
		i += n
	}
	return offs
}

// rejectInvalidText answers 422 to a request whose path or query holds NUL or invalid UTF-8,
// before any handler (or the database) sees it; the error names the parameter.
func rejectInvalidText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v domain.Validator
		if !textOK(r.URL.Path) {
			v.Add("path", invalidTextMessage)
		}
		if r.URL.RawQuery != "" {
			vals, _ := url.ParseQuery(r.URL.RawQuery) // what parses is what handlers read
			for name, list := range vals {
				switch {
				case !textOK(name):
					v.Add("query", "nom de paramètre: %s", invalidTextMessage)
				case slices.ContainsFunc(list, func(s string) bool { return !textOK(s) }):
					v.Add(name, invalidTextMessage)
				}
			}
		}
		if err := v.Err(); err != nil {
			ve := err.(*domain.ValidationError)
			problem(w, r, http.StatusUnprocessableEntity, ve.Error(), ve.Fields...)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rejectInvalidForm does for an urlencoded form body what rejectInvalidText does for the query:
// the form is parsed here (within the route's body limit), and a field holding NUL or invalid
// UTF-8 is a 422 naming it; the handler then reads the parsed form.
func rejectInvalidForm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := strings.ToLower(r.Header.Get("Content-Type"))
		if r.Body == nil || !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			next.ServeHTTP(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			ve := bodyError(err).(*domain.ValidationError)
			problem(w, r, http.StatusUnprocessableEntity, ve.Error(), ve.Fields...)
			return
		}
		if err := formTextErrors(r.PostForm); err != nil {
			ve := err.(*domain.ValidationError)
			problem(w, r, http.StatusUnprocessableEntity, ve.Error(), ve.Fields...)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// formTextErrors names every field of a parsed form whose name or value holds NUL or invalid
// UTF-8 (nil when there is none).
func formTextErrors(vals url.Values) error {
	var v domain.Validator
	for name, list := range vals {
		switch {
		case !textOK(name):
			v.Add("body", "nom de champ: %s", invalidTextMessage)
		case slices.ContainsFunc(list, func(s string) bool { return !textOK(s) }):
			v.Add(name, invalidTextMessage)
		}
	}
	return v.Err()
}

// validatedInput is a resource's write body: Validate checks it whole on create, and only the
// members sent on an update.
type validatedInput[T any] interface {
	*T
	Validate(create bool) error
}

// decodeInput decodes r's JSON body into a T, normalises it when T knows how (Normalize: trimmed
// text, canonical case), then validates it.
func decodeInput[T any, P validatedInput[T]](r *http.Request, create bool) (T, error) {
	var in T
	if err := decodeJSON(r, &in); err != nil {
		return in, err
	}
	if n, ok := any(P(&in)).(interface{ Normalize() }); ok {
		n.Normalize()
	}
	return in, P(&in).Validate(create)
}
