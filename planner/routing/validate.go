package routing

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Validate checks a problem's references and ranges; each error names the JSON path of the
// offending value. Parse calls it; a problem built in Go should be validated before Solve (Solve
// does it again).
func (p *Problem) Validate() error {
	v := &validator{}
	v.problem(p)
	if len(v.errs) == 0 {
		return nil
	}
	return &InputError{Errors: v.errs}
}

type validator struct {
	errs []FieldError
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func (v *validator) nonNeg(path string, f float64) {
	if !finite(f) || f < 0 {
		v.fail(path, "must be a number ≥ 0, got %v", f)
	}
}

func (v *validator) problem(p *Problem) {
	if p.Format != FormatProblem {
		v.fail("format", "expected %q, got %q", FormatProblem, p.Format)
	}
	sites := map[string]int{}
	for i, s := range p.Sites {
		path := index("sites", i)
		if s.ID == "" {
			v.fail(join(path, "id"), "must not be empty")
		} else if _, dup := sites[s.ID]; dup {
			v.fail(join(path, "id"), "duplicate site id %q", s.ID)
		}
		sites[s.ID] = i
		for _, c := range []struct {
			key string
			f   *float64
		}{{"x", s.X}, {"y", s.Y}, {"lat", s.Lat}, {"lon", s.Lon}} {
			if c.f != nil && !finite(*c.f) {
				v.fail(join(path, c.key), "must be a finite number")
			}
		}
		switch p.Travel.Metric {
		case MetricEuclidean:
			if s.X == nil {
				v.fail(join(path, "x"), "required by the euclidean metric")
			}
			if s.Y == nil {
				v.fail(join(path, "y"), "required by the euclidean metric")
			}
		case MetricHaversine:
			if s.Lat == nil {
				v.fail(join(path, "lat"), "required by the haversine metric")
			}
			if s.Lon == nil {
				v.fail(join(path, "lon"), "required by the haversine metric")
			}
		}
		if s.Lat != nil && (*s.Lat < -90 || *s.Lat > 90) {
			v.fail(join(path, "lat"), "latitude must be between -90 and 90, got %v", *s.Lat)
		}
		if s.Lon != nil && (*s.Lon < -180 || *s.Lon > 180) {
			v.fail(join(path, "lon"), "longitude must be between -180 and 180, got %v", *s.Lon)
		}
	}
	v.travel(p.Travel, sites, p.Sites)
	site := func(path, id string) {
		if _, ok := sites[id]; !ok {
			v.fail(path, "unknown site %q", id)
		}
	}

	stops := map[string]string{} // task and depot ids share the namespace of route stops
	for i, d := range p.Depots {
		path := index("depots", i)
		if d.ID == "" {
			v.fail(join(path, "id"), "must not be empty")
		} else if prev, dup := stops[d.ID]; dup {
			v.fail(join(path, "id"), "duplicate id %q (already %s)", d.ID, prev)
		}
		stops[d.ID] = path
		site(join(path, "site"), d.Site)
		if !finite(d.Open) || !finite(d.Close) || d.Close < d.Open {
			v.fail(join(path, "close"), "must not be before open (%v)", d.Open)
		}
		v.nonNeg(join(path, "duration"), d.Duration)
	}

	techs := map[string]int{}
	for i, t := range p.Technicians {
		path := index("technicians", i)
		if t.ID == "" {
			v.fail(join(path, "id"), "must not be empty")
		} else if _, dup := techs[t.ID]; dup {
			v.fail(join(path, "id"), "duplicate technician id %q", t.ID)
		}
		techs[t.ID] = i
		site(join(path, "start_site"), t.StartSite)
		site(join(path, "end_site"), t.EndSite)
		for j, s := range t.Shifts {
			sp := index(join(path, "shifts"), j)
			if !finite(s.Start) {
				v.fail(join(sp, "start"), "must be a finite number")
			}
			if !finite(s.End) || s.End < s.Start {
				v.fail(join(sp, "end"), "must not be before start (%v)", s.Start)
			}
		}
		for _, k := range sortedKeys(t.Skills) {
			if t.Skills[k] < 0 {
				v.fail(join(join(path, "skills"), k), "level must be ≥ 0")
			}
		}
		for _, k := range sortedKeys(t.Stock) {
			if t.Stock[k] < 0 {
				v.fail(join(join(path, "stock"), k), "quantity must be ≥ 0")
			}
		}
		if t.Capacity != nil {
			v.nonNeg(join(path, "capacity"), *t.Capacity)
		}
	}

	for i, t := range p.Tasks {
		path := index("tasks", i)
		if t.ID == "" {
			v.fail(join(path, "id"), "must not be empty")
		} else if prev, dup := stops[t.ID]; dup {
			v.fail(join(path, "id"), "duplicate id %q (already %s)", t.ID, prev)
		}
		stops[t.ID] = path
		site(join(path, "site"), t.Site)
		v.nonNeg(join(path, "duration"), t.Duration)
		for j, w := range t.Windows {
			wp := index(join(path, "windows"), j)
			if !finite(w.Start) {
				v.fail(join(wp, "start"), "must be a finite number")
			}
			if !finite(w.End) || w.End < w.Start {
				v.fail(join(wp, "end"), "must not be before start (%v)", w.Start)
			}
		}
		for _, k := range sortedKeys(t.Skills) {
			if t.Skills[k] < 0 {
				v.fail(join(join(path, "skills"), k), "level must be ≥ 0")
			}
		}
		for _, k := range sortedKeys(t.Parts) {
			if t.Parts[k] < 0 {
				v.fail(join(join(path, "parts"), k), "quantity must be ≥ 0")
			}
		}
		v.nonNeg(join(path, "demand"), t.Demand)
		if t.OutsourcingCost != nil {
			v.nonNeg(join(path, "outsourcing_cost"), *t.OutsourcingCost)
		}
		if pin := t.Pinned; pin != nil {
			pp := join(path, "pinned")
			if ti, ok := techs[pin.Technician]; !ok {
				v.fail(join(pp, "technician"), "unknown technician %q", pin.Technician)
			} else if pin.Shift < 0 || pin.Shift >= len(p.Technicians[ti].Shifts) {
				v.fail(join(pp, "shift"), "technician %q has no shift %d", pin.Technician, pin.Shift)
			}
			if pin.Start != nil && !finite(*pin.Start) {
				v.fail(join(pp, "start"), "must be a finite number")
			}
		}
	}

	if p.FleetLimit != nil && *p.FleetLimit < 0 {
		v.fail("fleet_limit", "must be ≥ 0 or null")
	}
	if len(p.Objective) == 0 {
		v.fail("objective", "must list at least one of %s", quoteAll(objectives))
	}
	for i, o := range p.Objective {
		if !slices.Contains(objectives, o) {
			v.fail(index("objective", i), "unknown objective %q (expected one of %s)", o, quoteAll(objectives))
		}
		if slices.Index(p.Objective, o) < i {
			v.fail(index("objective", i), "%q is listed twice", o)
		}
	}
}

func (v *validator) travel(t Travel, sites map[string]int, order []Site) {
	switch t.Metric {
	case MetricEuclidean, MetricHaversine:
		if t.Speed != 0 && (!finite(t.Speed) || t.Speed < 0) {
			v.fail("travel.speed", "must be > 0, got %v", t.Speed)
		}
		if t.Detour != 0 && (!finite(t.Detour) || t.Detour < 0) {
			v.fail("travel.detour", "must be > 0, got %v", t.Detour)
		}
		if t.Detour != 0 && t.Metric == MetricEuclidean {
			v.fail("travel.detour", "only the haversine metric takes a detour factor")
		}
	case MetricMatrix:
		n := len(t.Sites)
		seen := map[string]bool{}
		for i, id := range t.Sites {
			if _, ok := sites[id]; !ok {
				v.fail(index("travel.sites", i), "unknown site %q", id)
			}
			if seen[id] {
				v.fail(index("travel.sites", i), "site %q is listed twice", id)
			}
			seen[id] = true
		}
		for _, s := range order {
			if !seen[s.ID] {
				v.fail("travel.sites", "site %q is missing from the matrix", s.ID)
				break
			}
		}
		for _, m := range []struct {
			key string
			a   [][]float64
		}{{"distance", t.Distance}, {"time", t.Time}} {
			path := "travel." + m.key
			if len(m.a) != n {
				v.fail(path, "expected %d rows (one per travel.sites), got %d", n, len(m.a))
				continue
			}
			for i, row := range m.a {
				if len(row) != n {
					v.fail(index(path, i), "expected %d columns, got %d", n, len(row))
					continue
				}
				for j, f := range row {
					if !finite(f) || f < 0 {
						v.fail(index(index(path, i), j), "must be a number ≥ 0, got %v", f)
					}
				}
			}
		}
	case "":
		v.fail("travel.metric", "required")
	default:
		v.fail("travel.metric", "unknown metric %q (expected %q, %q or %q)", t.Metric, MetricEuclidean, MetricHaversine, MetricMatrix)
	}
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
