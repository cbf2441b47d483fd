package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/mifmaroc/mif/domain"
)

// Page is one window of a list.
type Page struct {
	Limit  int
	Offset int
}

// Sort is a requested order; Field is checked against a per-list allow-list that maps it to SQL,
// so user input never reaches the ORDER BY text.
type Sort struct {
	Field string
	Desc  bool
}

// orderBy maps s through allowed (field → SQL expression) and appends the key column tie as a
// tie-breaker so that pages are stable. An unknown field falls back to def.
func orderBy(s Sort, allowed map[string]string, def Sort, tie string) string {
	expr, ok := allowed[s.Field]
	if !ok {
		s = def
		expr = allowed[def.Field]
	}
	dir := " ASC"
	if s.Desc {
		dir = " DESC"
	}
	return expr + dir + ", " + tie + dir
}

// where accumulates SQL conditions and their positional arguments.
type where struct {
	conds []string
	args  []any
}

// add appends a condition in which every "?" stands for the next argument.
func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

// addRaw appends a condition already written with $N placeholders numbered from next().
func (w *where) addRaw(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// next is the number of the next placeholder.
func (w *where) next() int { return len(w.args) + 1 }

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// likePattern escapes LIKE wildcards in a user's search text.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// count runs SELECT count(*) over from/where.
func (s *Store) count(ctx context.Context, op, from string, w *where) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM `+from+` WHERE `+w.sql(), w.args...)
	return n, wrap(op, err)
}

// equipementVisibility is the condition that limits equipment (alias e) to what p may see: a
// client sees only the equipment under one of its contracts.
func equipementVisibility(p domain.Principal, w *where) {
	if p.Role != domain.RoleClient {
		return
	}
	if p.ClientID == nil {
		w.add("FALSE")
		return
	}
	w.add(`EXISTS (SELECT 1 FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
		WHERE ce.equipement_id = e.id AND c.client_id = ?)`, *p.ClientID)
}

// sortedKeys lists the keys of m in order (for messages and documentation).
func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// diff lists the JSON fields that differ between two versions of an entity as
// {"champ": {"ancien": …, "nouveau": …}}, for the audit trail.
func diff(old, new any) map[string]any {
	a, b := toMap(old), toMap(new)
	out := map[string]any{}
	for k, nv := range b {
		if k == "updated_at" {
			continue
		}
		ov := a[k]
		if !reflect.DeepEqual(ov, nv) {
			out[k] = map[string]any{"ancien": ov, "nouveau": nv}
		}
	}
	return out
}

func toMap(v any) map[string]any {
	m := map[string]any{}
	raw, err := json.Marshal(v)
	if err != nil {
		return m
	}
	_ = json.Unmarshal(raw, &m)
	return m
}
