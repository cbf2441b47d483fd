package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// Bounds of list pages (DESIGN: 50 by default, 200 at most).
const (
	defaultLimit = 50
	maxLimit     = 200
	// maxSearchLen bounds free-text filters: a longer search is a mistake or an attack.
	maxSearchLen = 100
)

// query reads the query parameters of a request. Every invalid parameter is recorded in one
// validator, so that a client learns about all of them in a single 422.
type query struct {
	vals url.Values
	seen map[string]bool
	v    domain.Validator
}

func newQuery(r *http.Request) *query { return &query{vals: r.URL.Query(), seen: map[string]bool{}} }

// raw returns the trimmed value of name and whether it was given (an empty value counts as absent,
// as browsers send empty form fields).
func (q *query) raw(name string) (string, bool) {
	q.seen[name] = true
	s := strings.TrimSpace(q.vals.Get(name))
	return s, s != ""
}

// page reads limit and offset.
func (q *query) page() storage.Page {
	p := storage.Page{Limit: defaultLimit}
	if s, ok := q.raw("limit"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			q.v.Add("limit", "entier entre 1 et %d attendu", maxLimit)
		} else {
			p.Limit = n
		}
	}
	if s, ok := q.raw("offset"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			q.v.Add("offset", "entier positif ou nul attendu")
		} else {
			p.Offset = n
		}
	}
	return p
}

// id reads a positive identifier.
func (q *query) id(name string) *int64 {
	s, ok := q.raw(name)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		q.v.Add(name, "identifiant positif attendu")
		return nil
	}
	return &n
}

// intRange reads an integer between lo and hi.
func (q *query) intRange(name string, lo, hi int) *int {
	s, ok := q.raw(name)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		q.v.Add(name, "entier entre %d et %d attendu", lo, hi)
		return nil
	}
	return &n
}

// boolean reads true/false (also 1/0).
func (q *query) boolean(name string) *bool {
	s, ok := q.raw(name)
	if !ok {
		return nil
	}
	b, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		q.v.Add(name, "booléen attendu (true ou false)")
		return nil
	}
	return &b
}

// text reads a free-text filter of at most max characters.
func (q *query) text(name string, max int) string {
	s, ok := q.raw(name)
	if !ok {
		return ""
	}
	if utf8.RuneCountInString(s) > max {
		q.v.Add(name, "%d caractères au maximum", max)
		return ""
	}
	return s
}

// enum reads a value that must be one of allowed.
func enum[T ~string](q *query, name string, allowed []T) *T {
	s, ok := q.raw(name)
	if !ok {
		return nil
	}
	for _, a := range allowed {
		if string(a) == s {
			return &a
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	q.v.Add(name, "valeur attendue parmi: %s", strings.Join(names, ", "))
	return nil
}

// time reads a date (2024-12-19) or a date-time (RFC 3339). A bare date is midnight UTC; when end
// is true it stands for the whole day, so it is the next midnight (an exclusive bound).
func (q *query) time(name string, end bool) *time.Time {
	s, ok := q.raw(name)
	if !ok {
		return nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		q.v.Add(name, "date attendue (AAAA-MM-JJ ou RFC 3339)")
		return nil
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return &t
}

// period reads a pair of bounds and checks their order.
func (q *query) period(from, to string) (*time.Time, *time.Time) {
	a, b := q.time(from, false), q.time(to, true)
	if a != nil && b != nil && !b.After(*a) {
		q.v.Add(to, "doit être postérieure à %s", from)
	}
	return a, b
}

// sort reads "field" or "-field" (descending) from the allow-list; def applies when absent.
func (q *query) sort(allowed []string, def storage.Sort) storage.Sort {
	s, ok := q.raw("sort")
	if !ok {
		return def
	}
	desc := strings.HasPrefix(s, "-")
	field := strings.TrimPrefix(s, "-")
	for _, a := range allowed {
		if a == field {
			return storage.Sort{Field: field, Desc: desc}
		}
	}
	q.v.Add("sort", "tri possible sur: %s (préfixe - pour décroissant)", strings.Join(allowed, ", "))
	return def
}

// err returns the 422 listing every invalid parameter, or nil. A parameter the endpoint does not
// know is an error too: a misspelt filter (?statu=ouverte) would otherwise silently return
// everything. "_" stays allowed for the cache busters some HTTP clients add.
func (q *query) err() error {
	for name := range q.vals {
		if !q.seen[name] && name != "_" {
			q.v.Add(name, "paramètre inconnu pour cette route")
		}
	}
	return q.v.Err()
}

// writeList answers a page of items with the total in X-Total-Count.
func writeList[T any](w http.ResponseWriter, items []T, total int) {
	if items == nil {
		items = []T{}
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, items)
}
