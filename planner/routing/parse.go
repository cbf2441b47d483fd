package routing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// FieldError is one problem with the input, located by its JSON path
// (e.g. "tasks[3].windows[0].end").
type FieldError struct {
	Path    string
	Message string
}

func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// InputError lists what is wrong with a problem, each item naming its JSON path.
type InputError struct {
	Errors []FieldError
}

const maxReported = 30

func (e *InputError) Error() string {
	var b strings.Builder
	for i, f := range e.Errors {
		if i == maxReported {
			fmt.Fprintf(&b, "\n(and %d more)", len(e.Errors)-maxReported)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f.Error())
	}
	return b.String()
}

// Parse reads a problem file: any deviation from the format is reported with its JSON path, and
// the problem is then validated (references, ranges, objective).
func Parse(data []byte) (*Problem, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, &InputError{Errors: []FieldError{{Message: syntaxMessage(data, err)}}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &InputError{Errors: []FieldError{{Message: "unexpected data after the top-level value"}}}
	}
	w := &walker{}
	p := w.problem(root)
	if len(w.errs) > 0 {
		return nil, &InputError{Errors: w.errs}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func syntaxMessage(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of the file: the JSON is incomplete"
	}
	if off < 0 {
		return "invalid JSON: " + err.Error()
	}
	line, col := 1, 1
	for _, c := range data[:min(int(off), len(data))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err)
}

// walker turns the decoded JSON tree into a Problem, recording each type error with its path.
type walker struct {
	errs []FieldError
}

func (w *walker) fail(path, format string, args ...any) {
	w.errs = append(w.errs, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// object checks that v is an object whose keys are all known; required keys must be present.
func (w *walker) object(path string, v any, required []string, optional ...string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		w.fail(path, "expected an object, got %s", kind(v))
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(required, k) && !slices.Contains(optional, k) {
			w.fail(join(path, k), "unknown field")
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			w.fail(join(path, k), "required")
		}
	}
	return m, true
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func (w *walker) str(path string, v any) string {
	s, ok := v.(string)
	if !ok {
		w.fail(path, "expected a string, got %s", kind(v))
	}
	return s
}

func (w *walker) num(path string, v any) float64 {
	n, ok := v.(json.Number)
	if !ok {
		w.fail(path, "expected a number, got %s", kind(v))
		return 0
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		w.fail(path, "number out of range")
		return 0
	}
	return f
}

func (w *walker) numPtr(path string, v any) *float64 {
	if v == nil {
		return nil
	}
	if _, ok := v.(json.Number); !ok {
		w.fail(path, "expected a number or null, got %s", kind(v))
		return nil
	}
	f := w.num(path, v)
	return &f
}

func (w *walker) integer(path string, v any) int {
	n, ok := v.(json.Number)
	if !ok {
		w.fail(path, "expected an integer, got %s", kind(v))
		return 0
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		w.fail(path, "expected an integer, got %s", n.String())
		return 0
	}
	return int(f)
}

func (w *walker) boolean(path string, v any) bool {
	b, ok := v.(bool)
	if !ok {
		w.fail(path, "expected true or false, got %s", kind(v))
	}
	return b
}

func (w *walker) array(path string, v any) []any {
	a, ok := v.([]any)
	if !ok {
		w.fail(path, "expected an array, got %s", kind(v))
	}
	return a
}

// list decodes an optional array (absent or null: empty).
func list[T any](w *walker, m map[string]any, path, key string, item func(string, any) T) []T {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	a := w.array(join(path, key), v)
	out := make([]T, 0, len(a))
	for i, e := range a {
		out = append(out, item(index(join(path, key), i), e))
	}
	return out
}

func (w *walker) strings(m map[string]any, path, key string) []string {
	return list(w, m, path, key, w.str)
}

func (w *walker) levels(m map[string]any, path, key string) map[string]int {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		w.fail(join(path, key), "expected an object, got %s", kind(v))
		return nil
	}
	out := make(map[string]int, len(obj))
	for k, e := range obj {
		out[k] = w.integer(join(join(path, key), k), e)
	}
	return out
}

func (w *walker) problem(root any) *Problem {
	p := &Problem{}
	m, ok := w.object("", root, []string{"format", "travel", "sites", "technicians", "tasks", "objective"},
		"name", "time_unit", "depots", "fleet_limit")
	if !ok {
		return p
	}
	if v, ok := m["format"]; ok {
		p.Format = w.str("format", v)
	}
	if v, ok := m["name"]; ok {
		p.Name = w.str("name", v)
	}
	if v, ok := m["time_unit"]; ok {
		p.TimeUnit = w.str("time_unit", v)
	}
	if v, ok := m["travel"]; ok {
		p.Travel = w.travel(v)
	}
	p.Sites = list(w, m, "", "sites", w.site)
	p.Depots = list(w, m, "", "depots", w.depot)
	p.Technicians = list(w, m, "", "technicians", w.technician)
	p.Tasks = list(w, m, "", "tasks", w.task)
	if v, ok := m["fleet_limit"]; ok && v != nil {
		n := w.integer("fleet_limit", v)
		p.FleetLimit = &n
	}
	p.Objective = w.strings(m, "", "objective")
	return p
}

func (w *walker) travel(v any) Travel {
	var t Travel
	m, ok := w.object("travel", v, []string{"metric"}, "speed", "detour", "sites", "distance", "time")
	if !ok {
		return t
	}
	if v, ok := m["metric"]; ok {
		t.Metric = w.str("travel.metric", v)
	}
	if v, ok := m["speed"]; ok {
		t.Speed = w.num("travel.speed", v)
	}
	if v, ok := m["detour"]; ok {
		t.Detour = w.num("travel.detour", v)
	}
	t.Sites = w.strings(m, "travel", "sites")
	row := func(path string, v any) []float64 {
		out := []float64{}
		for j, e := range w.array(path, v) {
			out = append(out, w.num(index(path, j), e))
		}
		return out
	}
	t.Distance = list(w, m, "travel", "distance", row)
	t.Time = list(w, m, "travel", "time", row)
	return t
}

func (w *walker) site(path string, v any) Site {
	var s Site
	m, ok := w.object(path, v, []string{"id"}, "name", "x", "y", "lat", "lon")
	if !ok {
		return s
	}
	if v, ok := m["id"]; ok {
		s.ID = w.str(join(path, "id"), v)
	}
	if v, ok := m["name"]; ok {
		s.Name = w.str(join(path, "name"), v)
	}
	coord := func(key string) *float64 {
		if v, ok := m[key]; ok {
			f := w.num(join(path, key), v)
			return &f
		}
		return nil
	}
	s.X, s.Y, s.Lat, s.Lon = coord("x"), coord("y"), coord("lat"), coord("lon")
	return s
}

func (w *walker) depot(path string, v any) Depot {
	var d Depot
	m, ok := w.object(path, v, []string{"id", "site", "open", "close"}, "restock", "duration")
	if !ok {
		return d
	}
	if v, ok := m["id"]; ok {
		d.ID = w.str(join(path, "id"), v)
	}
	if v, ok := m["site"]; ok {
		d.Site = w.str(join(path, "site"), v)
	}
	if v, ok := m["open"]; ok {
		d.Open = w.num(join(path, "open"), v)
	}
	if v, ok := m["close"]; ok {
		d.Close = w.num(join(path, "close"), v)
	}
	if v, ok := m["restock"]; ok {
		d.Restock = w.boolean(join(path, "restock"), v)
	}
	if v, ok := m["duration"]; ok {
		d.Duration = w.num(join(path, "duration"), v)
	}
	return d
}

func (w *walker) technician(path string, v any) Technician {
	var t Technician
	m, ok := w.object(path, v, []string{"id", "start_site", "shifts"}, "name", "end_site", "skills", "tools", "stock", "capacity")
	if !ok {
		return t
	}
	if v, ok := m["id"]; ok {
		t.ID = w.str(join(path, "id"), v)
	}
	if v, ok := m["name"]; ok {
		t.Name = w.str(join(path, "name"), v)
	}
	if v, ok := m["start_site"]; ok {
		t.StartSite = w.str(join(path, "start_site"), v)
	}
	t.EndSite = t.StartSite
	if v, ok := m["end_site"]; ok {
		t.EndSite = w.str(join(path, "end_site"), v)
	}
	t.Shifts = list(w, m, path, "shifts", func(p string, v any) Shift {
		var s Shift
		if sm, ok := w.object(p, v, []string{"start", "end"}); ok {
			if v, ok := sm["start"]; ok {
				s.Start = w.num(join(p, "start"), v)
			}
			if v, ok := sm["end"]; ok {
				s.End = w.num(join(p, "end"), v)
			}
		}
		return s
	})
	t.Skills = w.levels(m, path, "skills")
	t.Tools = w.strings(m, path, "tools")
	t.Stock = w.levels(m, path, "stock")
	if v, ok := m["capacity"]; ok {
		t.Capacity = w.numPtr(join(path, "capacity"), v)
	}
	return t
}

func (w *walker) task(path string, v any) Task {
	var t Task
	m, ok := w.object(path, v, []string{"id", "site", "duration"},
		"name", "windows", "skills", "tools", "parts", "demand", "priority", "outsourcing_cost", "pinned")
	if !ok {
		return t
	}
	if v, ok := m["id"]; ok {
		t.ID = w.str(join(path, "id"), v)
	}
	if v, ok := m["name"]; ok {
		t.Name = w.str(join(path, "name"), v)
	}
	if v, ok := m["site"]; ok {
		t.Site = w.str(join(path, "site"), v)
	}
	if v, ok := m["duration"]; ok {
		t.Duration = w.num(join(path, "duration"), v)
	}
	t.Windows = list(w, m, path, "windows", func(p string, v any) Window {
		var win Window
		if wm, ok := w.object(p, v, []string{"start", "end"}); ok {
			if v, ok := wm["start"]; ok {
				win.Start = w.num(join(p, "start"), v)
			}
			if v, ok := wm["end"]; ok {
				win.End = w.num(join(p, "end"), v)
			}
		}
		return win
	})
	t.Skills = w.levels(m, path, "skills")
	t.Tools = w.strings(m, path, "tools")
	t.Parts = w.levels(m, path, "parts")
	if v, ok := m["demand"]; ok {
		t.Demand = w.num(join(path, "demand"), v)
	}
	if v, ok := m["priority"]; ok {
		t.Priority = w.integer(join(path, "priority"), v)
	}
	if v, ok := m["outsourcing_cost"]; ok {
		t.OutsourcingCost = w.numPtr(join(path, "outsourcing_cost"), v)
	}
	if v, ok := m["pinned"]; ok && v != nil {
		p := join(path, "pinned")
		if pm, ok := w.object(p, v, []string{"technician", "shift"}, "start"); ok {
			pin := &Pin{}
			if v, ok := pm["technician"]; ok {
				pin.Technician = w.str(join(p, "technician"), v)
			}
			if v, ok := pm["shift"]; ok {
				pin.Shift = w.integer(join(p, "shift"), v)
			}
			if v, ok := pm["start"]; ok {
				pin.Start = w.numPtr(join(p, "start"), v)
			}
			t.Pinned = pin
		}
	}
	return t
}
