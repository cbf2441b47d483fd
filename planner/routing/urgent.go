package routing

import (
	"fmt"
	"math"
	"slices"
)

// UrgentResult is the outcome of InsertUrgent.
type UrgentResult struct {
	// Problem is the problem with the urgent task added; Solution is valid for it.
	Problem  *Problem
	Solution *Solution
	// Technician and Shift say where the urgent task went (Technician empty: it could not be
	// placed, and Solution lists it as unassigned with the reason).
	Technician string
	Shift      int
	// Displaced lists the tasks taken out of a route to make room: each is either in another
	// route now or unassigned with the reason.
	Displaced []string
	// Changed lists the routes whose stops changed, as "technician/shift".
	Changed []string
}

// InsertUrgent places work that arrives during the day into the day's routes with as little
// disruption as possible. At time now, a stop already started, or one the technician is already
// driving to, stays where and when it is; routes are only changed after that point and the
// urgent task starts no earlier than now. Only shifts that are under way or start within a day
// of now are candidates. The cheapest insertion (by the problem's objective) that moves nothing
// else wins; failing that, one task of lower priority may be displaced from a route (and put
// into another route if one has room, any later shift included). Routes that do not change are
// returned exactly as they were.
func InsertUrgent(p *Problem, s *Solution, task Task, now float64) (*UrgentResult, error) {
	return InsertUrgentWith(p, s, task, now, UrgentOptions{})
}

// UrgentOptions adjust InsertUrgent.
type UrgentOptions struct {
	// KeepEveryTask forbids a displacement that leaves the displaced task unassigned: it must
	// find another route, or the urgent task is not placed by displacing it. For callers that
	// cannot take planned work back (the platform's lifecycle has no way back to "ouverte").
	KeepEveryTask bool
}

// InsertUrgentWith is InsertUrgent with options.
func InsertUrgentWith(p *Problem, s *Solution, task Task, now float64, opt UrgentOptions) (*UrgentResult, error) {
	p2 := *p
	p2.Tasks = append(slices.Clip(p.Tasks), task)
	if err := p2.Validate(); err != nil {
		return nil, err
	}
	in, err := compile(&p2)
	if err != nil {
		return nil, err
	}
	u := int32(in.n - 1)
	sr := newSearch(in, s.Seed)
	st, err := sr.stateFrom(s, now)
	if err != nil {
		return nil, err
	}
	// The urgent task cannot start before now.
	t := &in.tasks[u]
	var tw []window
	for _, w := range t.tw {
		if w.l >= now {
			tw = append(tw, window{max(w.e, now), w.l})
		}
	}
	day := 1440.0
	switch p.TimeUnit {
	case "second", "s":
		day = 86400
	case "hour", "h":
		day = 24
	}
	for v := range in.vehicles {
		veh := &in.vehicles[v]
		sr.closed[v] = !(veh.close > now && veh.open < now+day)
	}
	res := &UrgentResult{Problem: &p2}
	changed := map[int32]bool{}
	if len(tw) > 0 {
		t.tw, t.lastEnd = tw, tw[len(tw)-1].l
		ins := sr.bestInsertion(st, u, false)
		if ins.ok && sr.apply(st, u, ins) {
			changed[ins.v] = true
		} else if v, x, ok := sr.displace(st, u, now, opt.KeepEveryTask); ok {
			changed[v] = true
			res.Displaced = []string{in.tasks[x].id}
			if w := st.where[x]; w >= 0 {
				changed[w] = true
			}
		}
	}
	sol := sr.solution(st, s.Iterations, s.Seed)
	// Untouched routes are kept verbatim, reasons of earlier unassigned tasks too.
	kept := map[string]Route{}
	for _, r := range s.Routes {
		kept[fmt.Sprintf("%s/%d", r.Technician, r.Shift)] = r
	}
	sol.Distance, sol.Duration = 0, 0
	for i, r := range sol.Routes {
		key := fmt.Sprintf("%s/%d", r.Technician, r.Shift)
		v := sr.vehicleIndex(r.Technician, r.Shift)
		if old, ok := kept[key]; ok && !changed[v] {
			sol.Routes[i] = old
		} else {
			res.Changed = append(res.Changed, key)
		}
		sol.Distance += sol.Routes[i].Distance
		sol.Duration += sol.Routes[i].Duration
	}
	for v := range changed {
		if st.routes[v].nTasks == 0 {
			veh := in.vehicles[v]
			res.Changed = append(res.Changed, fmt.Sprintf("%s/%d", p.Technicians[veh.tech].ID, veh.shift))
		}
	}
	slices.Sort(res.Changed)
	reasons := map[string]string{}
	for _, x := range s.Unassigned {
		reasons[x.Task] = x.Reason
	}
	for i, x := range sol.Unassigned {
		switch {
		case slices.Contains(res.Displaced, x.Task):
			sol.Unassigned[i].Reason = fmt.Sprintf("displaced by urgent task %s and no other route has room", task.ID)
		case x.Task == task.ID && len(tw) == 0:
			sol.Unassigned[i].Reason = "its time windows have all passed"
		case x.Task == task.ID:
			sol.Unassigned[i].Reason = "no room today: " + sol.Unassigned[i].Reason
		case reasons[x.Task] != "":
			sol.Unassigned[i].Reason = reasons[x.Task]
		}
	}
	if w := st.where[u]; w >= 0 {
		veh := in.vehicles[w]
		res.Technician, res.Shift = p.Technicians[veh.tech].ID, veh.shift
	}
	res.Solution = sol
	return res, nil
}

func (sr *search) vehicleIndex(tech string, shift int) int32 {
	for v, veh := range sr.in.vehicles {
		if sr.in.p.Technicians[veh.tech].ID == tech && veh.shift == shift {
			return int32(v)
		}
	}
	return -1
}

// stateFrom rebuilds a search state from a solution, freezing at time now what is under way:
// the stops already started and the one each technician is driving to.
func (sr *search) stateFrom(s *Solution, now float64) (*state, error) {
	in := sr.in
	taskIdx := map[string]int32{}
	for i := range in.tasks {
		taskIdx[in.tasks[i].id] = int32(i)
	}
	depotIdx := map[string]int32{}
	for i, d := range in.depots {
		depotIdx[d.id] = int32(i)
	}
	for v := range in.vehicles {
		in.release[v] = now
	}
	st := sr.newState()
	for ri, r := range s.Routes {
		v := sr.vehicleIndex(r.Technician, r.Shift)
		if v < 0 {
			return nil, fmt.Errorf("routing: solution route %d: no technician %s shift %d in the problem", ri, r.Technician, r.Shift)
		}
		if len(r.StartTimes) != len(r.Stops) {
			return nil, fmt.Errorf("routing: solution route %d: %d stops but %d start times", ri, len(r.Stops), len(r.StartTimes))
		}
		rt := &st.routes[v]
		leave := r.Departure
		frozen := 0
		frozenEnd := now
		for i, id := range r.Stops {
			var x int32
			if ti, ok := taskIdx[id]; ok {
				x = ti
				if st.where[x] >= 0 {
					return nil, fmt.Errorf("routing: solution route %d: task %s served twice", ri, id)
				}
				st.where[x] = v
			} else if di, ok := depotIdx[id]; ok {
				x = -di - 1
			} else {
				return nil, fmt.Errorf("routing: solution route %d: unknown stop %q", ri, id)
			}
			rt.nodes = append(rt.nodes, x)
			leaveNext := r.StartTimes[i] + in.nodeDur(x)
			if frozen == i && leave < now {
				// Started, or the technician is on the way: it stays as it is.
				frozen++
				frozenEnd = leaveNext
				if x >= 0 {
					in.tasks[x].tw = []window{{r.StartTimes[i], r.StartTimes[i]}}
					in.tasks[x].lastEnd = r.StartTimes[i]
					in.tasks[x].pinned = v
				}
			}
			leave = leaveNext
		}
		in.fixed[v] = frozen
		if frozen > 0 && frozen == len(r.Stops) && leave < now {
			// Every stop done and the technician on his way back: nothing can be added.
			in.fixed[v] = frozen + 1
			in.release[v] = math.Inf(-1)
		} else {
			// Nothing after the frozen part starts before now (nor before the frozen part ends).
			in.release[v] = max(now, frozenEnd)
		}
		if !in.eval(rt) {
			return nil, fmt.Errorf("routing: solution route %d (technician %s shift %d) does not fit the problem at time %v", ri, r.Technician, r.Shift, now)
		}
		if rt.nTasks > 0 {
			st.used++
		}
		sr.touch(rt)
	}
	for i := range in.tasks {
		if st.where[i] < 0 && i != in.n-1 {
			st.unassigned = append(st.unassigned, int32(i))
		}
	}
	in.computeCompat()
	sr.classify()
	st.unassigned = append(st.unassigned, int32(in.n-1))
	return st, nil
}

// displace makes room for u by taking out one task of lower priority from a candidate route,
// then putting that task into another route if one has room. The option leaving the fewest
// tasks out, then the cheapest, wins.
func (sr *search) displace(st *state, u int32, now float64, keep bool) (int32, int32, bool) {
	in := sr.in
	tu := &in.tasks[u]
	size := in.obj.size()
	trial, bestSt := sr.newState(), sr.newState()
	c, bestC := make([]float64, size), make([]float64, size)
	found := false
	var bv, bx int32
	for _, v := range tu.compat {
		if sr.closed[v] || st.routes[v].nTasks == 0 {
			continue
		}
		r := &st.routes[v]
		for j := in.fixed[v]; j < len(r.nodes); j++ {
			x := r.nodes[j]
			if x < 0 || in.tasks[x].pinned >= 0 || !(in.tasks[x].prio < tu.prio || (in.tasks[x].optional && !tu.optional)) {
				continue
			}
			trial.copyFrom(st)
			sr.removeTasks(trial, v, []int{j})
			if trial.where[x] >= 0 {
				continue
			}
			ins := insertion{}
			sr.prepBalance(trial)
			sr.scanRoute(&trial.routes[v], u, false, &ins)
			if !ins.ok || !sr.apply(trial, u, ins) {
				continue
			}
			// The displaced task may go to any shift that has not ended, not only today's.
			closed := slices.Clone(sr.closed)
			for w := range in.vehicles {
				sr.closed[w] = in.vehicles[w].close <= now
			}
			if again := sr.bestInsertion(trial, x, false); in.worth(x, again) {
				sr.apply(trial, x, again)
			}
			copy(sr.closed, closed)
			if keep && trial.where[x] < 0 {
				continue
			}
			in.cost(trial, c)
			if !found || in.obj.less(c, bestC) {
				found, bv, bx = true, v, x
				bestSt.copyFrom(trial)
				copy(bestC, c)
			}
		}
	}
	if found {
		st.copyFrom(bestSt)
	}
	return bv, bx, found
}
