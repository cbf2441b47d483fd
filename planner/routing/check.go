package routing

import (
	"fmt"
	"math"
	"strings"
)

// CheckError lists how a solution breaks its problem.
type CheckError struct {
	Violations []string
}

func (e *CheckError) Error() string {
	const show = 20
	v := e.Violations
	more := ""
	if len(v) > show {
		more = fmt.Sprintf("\n(and %d more)", len(v)-show)
		v = v[:show]
	}
	return "infeasible solution:\n" + strings.Join(v, "\n") + more
}

// Check verifies a solution against its problem by re-simulating every route from the problem
// and the solution alone — its own travel computation and bookkeeping, none of the solver's —
// so that it can vouch for the solver: time windows on the start of service, shifts, skills at
// their levels, tools, parts consumed and restocked, capacity, pins, the fleet limit, every task
// served once or listed as unassigned with a reason, and the reported distance, duration, travel
// time and balance.
// The departure of a route is taken as late as its first start allows.
func Check(p *Problem, s *Solution) error {
	c := checker{p: p}
	c.run(s)
	if len(c.v) == 0 {
		return nil
	}
	return &CheckError{Violations: c.v}
}

type checker struct {
	p *Problem
	v []string
}

func (c *checker) fail(format string, args ...any) { c.v = append(c.v, fmt.Sprintf(format, args...)) }

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(a), math.Abs(b)) }

func (c *checker) run(s *Solution) {
	p := c.p
	sites := map[string]Site{}
	for _, x := range p.Sites {
		sites[x.ID] = x
	}
	mat := map[string]int{}
	for i, id := range p.Travel.Sites {
		mat[id] = i
	}
	speed, detour := p.Travel.Speed, p.Travel.Detour
	if speed == 0 {
		speed = 1
	}
	if detour == 0 {
		detour = 1
	}
	leg := func(a, b string) (float64, float64) {
		sa, sb := sites[a], sites[b]
		switch p.Travel.Metric {
		case MetricEuclidean:
			dx, dy := *sa.X-*sb.X, *sa.Y-*sb.Y
			d := math.Sqrt(dx*dx + dy*dy)
			return d, d / speed
		case MetricHaversine:
			if a == b {
				return 0, 0
			}
			// atan2 form of the great-circle distance (the solver uses the asin form).
			φ1, φ2 := *sa.Lat*math.Pi/180, *sb.Lat*math.Pi/180
			dφ, dλ := φ2-φ1, (*sb.Lon-*sa.Lon)*math.Pi/180
			h := math.Pow(math.Sin(dφ/2), 2) + math.Cos(φ1)*math.Cos(φ2)*math.Pow(math.Sin(dλ/2), 2)
			d := 2 * EarthRadiusKm * math.Atan2(math.Sqrt(h), math.Sqrt(1-h)) * detour
			return d, d / speed
		default:
			i, j := mat[a], mat[b]
			return p.Travel.Distance[i][j], p.Travel.Time[i][j]
		}
	}
	tasks := map[string]int{}
	for i, t := range p.Tasks {
		tasks[t.ID] = i
	}
	depots := map[string]int{}
	for i, d := range p.Depots {
		depots[d.ID] = i
	}
	techs := map[string]int{}
	for i, t := range p.Technicians {
		techs[t.ID] = i
	}

	served := map[string]int{}
	routesUsed := 0
	type key struct {
		tech  string
		shift int
	}
	seenRoute := map[key]bool{}
	var totalDist, totalDur, totalTravel float64
	workTime := map[string]float64{} // per technician, for the balance
	for ri, r := range s.Routes {
		where := fmt.Sprintf("route %d (technician %s shift %d)", ri, r.Technician, r.Shift)
		ti, ok := techs[r.Technician]
		if !ok {
			c.fail("%s: unknown technician", where)
			continue
		}
		tech := p.Technicians[ti]
		if r.Shift < 0 || r.Shift >= len(tech.Shifts) {
			c.fail("%s: no such shift", where)
			continue
		}
		if seenRoute[key{r.Technician, r.Shift}] {
			c.fail("%s: a second route for the same shift", where)
		}
		seenRoute[key{r.Technician, r.Shift}] = true
		if len(r.Stops) != len(r.StartTimes) {
			c.fail("%s: %d stops but %d start times", where, len(r.Stops), len(r.StartTimes))
			continue
		}
		if len(r.Stops) == 0 {
			continue
		}
		shift := tech.Shifts[r.Shift]
		stock := map[string]int{}
		for k, q := range tech.Stock {
			stock[k] = q
		}
		has := func(tool string) bool {
			for _, x := range tech.Tools {
				if x == tool {
					return true
				}
			}
			return false
		}
		siteOf := func(id string) (string, bool) {
			if i, ok := tasks[id]; ok {
				return p.Tasks[i].Site, true
			}
			if i, ok := depots[id]; ok {
				return p.Depots[i].Site, true
			}
			return "", false
		}
		first, ok := siteOf(r.Stops[0])
		if !ok {
			c.fail("%s: unknown stop %q", where, r.Stops[0])
			continue
		}
		_, t0 := leg(tech.StartSite, first)
		departure := r.StartTimes[0] - t0
		if departure < shift.Start-1e-6*max(1, math.Abs(shift.Start)) {
			c.fail("%s: leaves at %v, before its shift starts (%v)", where, departure, shift.Start)
		}
		pos, clock := tech.StartSite, departure
		var dist, travel, load float64
		hasTask := false
		for i, id := range r.Stops {
			st := r.StartTimes[i]
			at := fmt.Sprintf("%s stop %d (%s)", where, i, id)
			site, ok := siteOf(id)
			if !ok {
				c.fail("%s: unknown stop", at)
				break
			}
			d, tt := leg(pos, site)
			dist += d
			travel += tt
			arrival := clock + tt
			if st < arrival-1e-6*max(1, math.Abs(arrival)) {
				c.fail("%s: starts at %v before arriving at %v", at, st, arrival)
			}
			if ti, isTask := tasks[id]; isTask {
				t := p.Tasks[ti]
				hasTask = true
				served[id]++
				if len(t.Windows) > 0 {
					in := false
					for _, w := range t.Windows {
						tol := 1e-6 * max(1, math.Abs(st))
						if st >= w.Start-tol && st <= w.End+tol {
							in = true
						}
					}
					if !in {
						c.fail("%s: starts at %v outside its windows %v", at, st, t.Windows)
					}
				}
				for _, k := range sortedKeys(t.Skills) {
					if tech.Skills[k] < t.Skills[k] {
						c.fail("%s: technician has %s at level %d, needs %d", at, k, tech.Skills[k], t.Skills[k])
					}
				}
				for _, tool := range t.Tools {
					if !has(tool) {
						c.fail("%s: technician lacks the tool %s", at, tool)
					}
				}
				for _, k := range sortedKeys(t.Parts) {
					stock[k] -= t.Parts[k]
					if stock[k] < 0 {
						c.fail("%s: out of %s (short by %d)", at, k, -stock[k])
					}
				}
				if pin := t.Pinned; pin != nil {
					if pin.Technician != r.Technician || pin.Shift != r.Shift {
						c.fail("%s: pinned to technician %s shift %d", at, pin.Technician, pin.Shift)
					}
					if pin.Start != nil && !near(*pin.Start, st) {
						c.fail("%s: pinned to start at %v, starts at %v", at, *pin.Start, st)
					}
				}
				load += t.Demand
				clock = st + t.Duration
			} else {
				dp := p.Depots[depots[id]]
				if st < dp.Open-1e-6*max(1, math.Abs(dp.Open)) || st > dp.Close+1e-6*max(1, math.Abs(dp.Close)) {
					c.fail("%s: depot visited at %v outside its hours [%v, %v]", at, st, dp.Open, dp.Close)
				}
				if dp.Restock {
					clear(stock)
					for k, q := range tech.Stock {
						stock[k] = q
					}
				}
				clock = st + dp.Duration
			}
			pos = site
		}
		d, tt := leg(pos, tech.EndSite)
		dist += d
		travel += tt
		back := clock + tt
		if back > shift.End+1e-6*max(1, math.Abs(shift.End)) {
			c.fail("%s: back at %v, after its shift ends (%v)", where, back, shift.End)
		}
		if tech.Capacity != nil && load > *tech.Capacity+1e-9*max(1, *tech.Capacity) {
			c.fail("%s: load %v over capacity %v", where, load, *tech.Capacity)
		}
		if !hasTask {
			c.fail("%s: no task", where)
			continue
		}
		routesUsed++
		totalDist += dist
		totalDur += back - departure
		totalTravel += travel
		workTime[r.Technician] += back - departure
		if r.TravelTime != 0 && !near(r.TravelTime, travel) {
			c.fail("%s: travel time reported %v, recomputed %v", where, r.TravelTime, travel)
		}
		if r.Distance != 0 && !near(r.Distance, dist) {
			c.fail("%s: distance reported %v, recomputed %v", where, r.Distance, dist)
		}
		if r.Duration != 0 && !near(r.Duration, back-departure) {
			c.fail("%s: duration reported %v, recomputed %v", where, r.Duration, back-departure)
		}
	}
	if p.FleetLimit != nil && routesUsed > *p.FleetLimit {
		c.fail("%d routes used, fleet limit %d", routesUsed, *p.FleetLimit)
	}
	unassigned := map[string]bool{}
	outsourcing := 0.0
	for _, u := range s.Unassigned {
		ti, ok := tasks[u.Task]
		if !ok {
			c.fail("unassigned %q: unknown task", u.Task)
			continue
		}
		if unassigned[u.Task] {
			c.fail("unassigned %q: listed twice", u.Task)
		}
		unassigned[u.Task] = true
		if strings.TrimSpace(u.Reason) == "" {
			c.fail("unassigned %q: no reason given", u.Task)
		}
		if oc := p.Tasks[ti].OutsourcingCost; oc != nil {
			outsourcing += *oc
		}
	}
	for _, t := range p.Tasks {
		n := served[t.ID]
		switch {
		case n > 1:
			c.fail("task %s: served %d times", t.ID, n)
		case n == 1 && unassigned[t.ID]:
			c.fail("task %s: served and listed as unassigned", t.ID)
		case n == 0 && !unassigned[t.ID]:
			c.fail("task %s: neither served nor listed as unassigned", t.ID)
		}
	}
	if !near(s.Distance, totalDist) {
		c.fail("distance reported %v, recomputed %v", s.Distance, totalDist)
	}
	if !near(s.Duration, totalDur) {
		c.fail("duration reported %v, recomputed %v", s.Duration, totalDur)
	}
	if s.TravelTime != 0 && !near(s.TravelTime, totalTravel) {
		c.fail("travel time reported %v, recomputed %v", s.TravelTime, totalTravel)
	}
	if s.Balance != nil {
		// The spread of utilisation: work time over shift time, per technician with shifts.
		var us []float64
		for _, t := range p.Technicians {
			var span float64
			for _, sh := range t.Shifts {
				span += sh.End - sh.Start
			}
			if span > 0 {
				us = append(us, workTime[t.ID]/span)
			}
		}
		var mean, variance float64
		for _, u := range us {
			mean += u / float64(len(us))
		}
		for _, u := range us {
			variance += (u - mean) * (u - mean) / float64(len(us))
		}
		if sd := math.Sqrt(variance); math.Abs(sd-*s.Balance) > 1e-6 {
			c.fail("balance reported %v, recomputed %v", *s.Balance, sd)
		}
	}
	if s.Vehicles != 0 && s.Vehicles != routesUsed {
		c.fail("vehicles reported %d, counted %d", s.Vehicles, routesUsed)
	}
	if s.Outsourcing != 0 && !near(s.Outsourcing, outsourcing) {
		c.fail("outsourcing reported %v, recomputed %v", s.Outsourcing, outsourcing)
	}
}

// Leg is one stop of a route as driven: the trip from the previous place, the arrival, and the
// service. The last leg of a timeline is the return to the end site (Stop empty).
type Leg struct {
	Stop     string  `json:"stop"`
	Site     string  `json:"site"`
	Distance float64 `json:"distance"`
	Travel   float64 `json:"travel"`
	Arrival  float64 `json:"arrival"`
	Start    float64 `json:"start"`
	End      float64 `json:"end"`
}

// Timeline re-traces a route of a solution: for each stop, the distance and travel time from
// the previous place, the arrival, the start and the end of service, then the return. The route
// leaves its start site at Departure (or, when that is not given, just in time for its first
// start). The problem must be valid.
func Timeline(p *Problem, r Route) ([]Leg, error) {
	model, err := NewTravelModel(p)
	if err != nil {
		return nil, err
	}
	site := map[string]int{}
	for i, s := range p.Sites {
		site[s.ID] = i
	}
	where := map[string]string{}
	dur := map[string]float64{}
	for _, t := range p.Tasks {
		where[t.ID], dur[t.ID] = t.Site, t.Duration
	}
	for _, d := range p.Depots {
		where[d.ID], dur[d.ID] = d.Site, d.Duration
	}
	var tech *Technician
	for i := range p.Technicians {
		if p.Technicians[i].ID == r.Technician {
			tech = &p.Technicians[i]
		}
	}
	if tech == nil {
		return nil, fmt.Errorf("routing: timeline: unknown technician %q", r.Technician)
	}
	if len(r.Stops) != len(r.StartTimes) {
		return nil, fmt.Errorf("routing: timeline: %d stops but %d start times", len(r.Stops), len(r.StartTimes))
	}
	legs := make([]Leg, 0, len(r.Stops)+1)
	pos, clock := tech.StartSite, r.Departure
	for i, id := range r.Stops {
		s, ok := where[id]
		if !ok {
			return nil, fmt.Errorf("routing: timeline: unknown stop %q", id)
		}
		d, t := model.Leg(site[pos], site[s])
		if i == 0 && r.Departure == 0 {
			clock = r.StartTimes[0] - t
		}
		legs = append(legs, Leg{Stop: id, Site: s, Distance: d, Travel: t, Arrival: clock + t, Start: r.StartTimes[i], End: r.StartTimes[i] + dur[id]})
		pos, clock = s, r.StartTimes[i]+dur[id]
	}
	d, t := model.Leg(site[pos], site[tech.EndSite])
	legs = append(legs, Leg{Site: tech.EndSite, Distance: d, Travel: t, Arrival: clock + t, Start: clock + t, End: clock + t})
	return legs, nil
}
