package routing

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Options steer a run. The run is a deterministic function of the problem, Seed and the number
// of iterations performed: with Iterations set it is exactly reproducible; a context deadline
// only stops it between two iterations, and the solution reports how many ran, so that
// `Iterations: that count` reproduces the same answer (the annealing schedule does not depend on
// the budget, see the package documentation).
type Options struct {
	Seed uint64
	// Iterations caps the ruin-and-recreate iterations (0: until the search settles or the
	// context ends).
	Iterations int
	// Progress, when set, is called every ProgressEvery iterations and at the end.
	Progress func(Progress)
}

// ProgressEvery is how often (in iterations) Options.Progress is called.
const ProgressEvery = 1000

// Progress is the best solution so far, in figures.
type Progress struct {
	Iterations int
	Unassigned int
	Vehicles   int
	Distance   float64
	Duration   float64
}

// Tuning of the search (see the package documentation).
const (
	cycleBase     = 200 // first annealing cycle: cycleBase + cyclePerTask × tasks iterations, doubling
	cyclePerTask  = 20
	patience      = 4    // cycles without improvement before the search settles
	tempStart     = 10.0 // annealing temperature at the start of a cycle, in typical short arcs
	tempEnd       = 0.05 // ... and at its end
	maxCycleShift = 20
	balanceScale  = 0.01 // temperature unit when balance leads: one point of utilisation spread
)

// Solve plans the problem. It returns an *InputError for an invalid problem; an infeasible one
// still gets a solution, with every task it cannot serve listed as unassigned with its reason.
func Solve(ctx context.Context, p *Problem, opt Options) (*Solution, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	in, err := compile(p)
	if err != nil {
		return nil, err
	}
	sr := newSearch(in, opt.Seed)
	s := sr.newState()
	pending := in.assignable()
	s.unassigned = append(s.unassigned, pending...)
	sr.construct(s, pending)
	best, iters := sr.improve(ctx, s, opt)
	return sr.solution(best, iters, opt.Seed), nil
}

func (in *instance) assignable() []int32 {
	var out []int32
	for i := range in.tasks {
		if len(in.tasks[i].compat) > 0 {
			out = append(out, int32(i))
		}
	}
	return out
}

// improve runs the ruin-and-recreate search from s and returns the best state found and the
// number of iterations done.
//
// The schedule is a sequence of annealing cycles, each restarting from the best solution and
// twice as long as the previous one. Nothing in it depends on the iteration budget, so a run
// stopped after k iterations equals a run given exactly k iterations, and a run stopped early
// has still completed cycles of about half its length (an "anytime" schedule). When the
// objective starts with vehicles, each cycle first tries to empty one more route (SISR's fleet
// minimisation with absence counters).
func (sr *search) improve(ctx context.Context, s *state, opt Options) (*state, int) {
	in := sr.in
	size := in.obj.size()
	best, cur, cand := sr.newState(), sr.newState(), sr.newState()
	best.copyFrom(s)
	bestC, curC, candC := make([]float64, size), make([]float64, size), make([]float64, size)
	in.cost(best, bestC)
	iters := 0
	report := func() {
		if opt.Progress != nil {
			opt.Progress(Progress{Iterations: iters, Unassigned: len(best.unassigned), Vehicles: best.used,
				Distance: sumRoutes(best, func(r *route) float64 { return r.dist }),
				Duration: sumRoutes(best, func(r *route) float64 { return r.dur })})
		}
	}
	stop := func() bool {
		return (opt.Iterations > 0 && iters >= opt.Iterations) || ctx.Err() != nil
	}
	movable := 0
	for i := range in.tasks {
		if len(in.tasks[i].compat) > 0 && in.tasks[i].pinned < 0 {
			movable++
		}
	}
	if movable == 0 {
		report()
		return best, 0
	}
	scale := in.arcScale
	if in.obj.prefix < size {
		switch in.obj.levels[in.obj.prefix-in.obj.unLevels] {
		case ObjDuration, ObjTravelTime:
			scale = in.timeScale()
		case ObjBalance:
			scale = balanceScale
		}
	}
	t0, tf := tempStart*scale, tempEnd*scale
	base := cycleBase + cyclePerTask*in.n
	fm := sr.newState()
	idle := 0
	for cycle := 0; !stop(); cycle++ {
		length := base << min(cycle, maxCycleShift)
		improved := false
		if in.obj.vehKey && best.used > sr.fleetLowerBound() {
			if sr.fleetMin(best, bestC, fm, cand, length/2, &iters, stop, report) {
				improved = true
			}
		}
		cur.copyFrom(best)
		copy(curC, bestC)
		for i := 0; i < length && !stop(); i++ {
			temp := t0 * math.Pow(tf/t0, float64(i)/float64(length))
			cand.copyFrom(cur)
			sr.ruin(cand)
			sr.recreate(cand)
			in.cost(cand, candC)
			iters++
			accept := false
			switch in.obj.comparePrefix(candC, curC) {
			case -1:
				accept = true
			case 0:
				accept = in.obj.scalar(candC) < in.obj.scalar(curC)-temp*math.Log(1-sr.rng.Float64())
			}
			if accept {
				cur, cand = cand, cur
				curC, candC = candC, curC
				if in.obj.less(curC, bestC) {
					best.copyFrom(cur)
					copy(bestC, curC)
					improved = true
				}
			}
			if iters%ProgressEvery == 0 {
				report()
			}
		}
		if stop() {
			break
		}
		if improved {
			idle = 0
		} else if idle++; idle >= patience {
			break
		}
	}
	// A last greedy pass: whatever fits now goes in.
	for _, u := range slices.Clone(best.unassigned) {
		if ins := sr.bestInsertion(best, u, false); in.worth(u, ins) {
			sr.apply(best, u, ins)
		}
	}
	report()
	return best, iters
}

func sumRoutes(s *state, f func(*route) float64) float64 {
	var x float64
	for i := range s.routes {
		x += f(&s.routes[i])
	}
	return x
}

func (in *instance) timeScale() float64 {
	if in.arcScale == 0 {
		return 1
	}
	// The typical short arc, converted to time by the mean speed of the matrices.
	var d, t float64
	for i := range in.dist {
		d += in.dist[i]
		t += in.tt[i]
	}
	if d == 0 || t == 0 {
		return in.arcScale
	}
	return in.arcScale * t / d
}

// fleetLowerBound is a simple bound on the routes needed: summed demand over the largest
// capacity, at least one.
func (sr *search) fleetLowerBound() int {
	in := sr.in
	var demand, capMax float64
	for i := range in.tasks {
		if len(in.tasks[i].compat) > 0 {
			demand += in.tasks[i].demand
		}
	}
	for _, v := range in.vehicles {
		capMax = max(capMax, v.capacity)
	}
	lb := 1
	if capMax > 0 && !math.IsInf(capMax, 1) {
		lb = max(lb, int(math.Ceil(demand/capMax-1e-9)))
	}
	return lb
}

// fleetMin is SISR's fleet minimisation: a route of the best solution is emptied, and ruin and
// recreate (opening no route) try to place its tasks elsewhere. A candidate is kept when it
// leaves fewer tasks out, or tasks that were left out less often (absence counters), which
// steers the search towards placing the hard tasks. It reports whether best improved.
func (sr *search) fleetMin(best *state, bestC []float64, s, cand *state, budget int, iters *int, stop func() bool, report func()) bool {
	in := sr.in
	absent := make([]int, in.n)
	sumAbs := func(st *state) int {
		x := 0
		for _, u := range st.unassigned {
			x += absent[u]
		}
		return x
	}
	s.copyFrom(best)
	if !sr.emptyRoute(s) {
		return false
	}
	sr.noOpen = true
	defer func() { sr.noOpen = false }()
	improved := false
	c := make([]float64, in.obj.size())
	for i := 0; i < budget && !stop(); i++ {
		cand.copyFrom(s)
		sr.ruin(cand)
		sr.recreate(cand)
		*iters++
		if len(cand.unassigned) < len(s.unassigned) || sumAbs(cand) < sumAbs(s) {
			s, cand = cand, s
		}
		for _, u := range s.unassigned {
			absent[u]++
		}
		if *iters%ProgressEvery == 0 {
			report()
		}
		in.cost(s, c)
		if s.used < best.used && slices.Compare(c[:in.obj.unLevels], bestC[:in.obj.unLevels]) <= 0 {
			best.copyFrom(s)
			copy(bestC, c)
			improved = true
			if best.used <= sr.fleetLowerBound() || !sr.emptyRoute(s) {
				break
			}
		}
	}
	return improved
}

// emptyRoute unassigns every task of the smallest route that holds no pinned task.
func (sr *search) emptyRoute(s *state) bool {
	in := sr.in
	pick, size := int32(-1), 0
	for v := range s.routes {
		r := &s.routes[v]
		if r.nTasks == 0 || in.fixed[v] > 0 || slices.ContainsFunc(r.nodes, func(x int32) bool { return x >= 0 && in.tasks[x].pinned >= 0 }) {
			continue
		}
		if pick < 0 || r.nTasks < size || (r.nTasks == size && sr.rng.IntN(2) == 0) {
			pick, size = int32(v), r.nTasks
		}
	}
	if pick < 0 {
		return false
	}
	r := &s.routes[pick]
	var idx []int
	for j, x := range r.nodes {
		if x >= 0 {
			idx = append(idx, j)
		}
	}
	sr.removeTasks(s, pick, idx)
	return s.routes[pick].nTasks == 0
}

// solution writes a state in the solution format.
func (sr *search) solution(s *state, iters int, seed uint64) *Solution {
	in := sr.in
	p := in.p
	sol := &Solution{Routes: []Route{}, Unassigned: []Unassigned{}, Iterations: iters, Seed: seed}
	for v := range s.routes {
		r := &s.routes[v]
		if r.nTasks == 0 {
			continue
		}
		veh := &in.vehicles[v]
		out := Route{Technician: p.Technicians[veh.tech].ID, Shift: veh.shift, StartTimes: r.startTimes(),
			Departure: r.ed[0] + r.delay, Return: r.es[len(r.nodes)+1], Distance: r.dist, Duration: r.dur, TravelTime: r.travel}
		for _, x := range r.nodes {
			if x >= 0 {
				out.Stops = append(out.Stops, in.tasks[x].id)
			} else {
				out.Stops = append(out.Stops, in.depots[-x-1].id)
			}
		}
		sol.Routes = append(sol.Routes, out)
		sol.Distance += r.dist
		sol.Duration += r.dur
		sol.TravelTime += r.travel
		sol.Vehicles++
	}
	if in.obj.useBalance {
		var b balanceRef
		in.utilisation(s, &b)
		sol.Balance = &b.cur
	}
	for i := range in.tasks {
		if s.where[i] >= 0 {
			continue
		}
		t := &in.tasks[i]
		if t.optional {
			sol.Outsourcing += t.outsource
		}
		sol.Unassigned = append(sol.Unassigned, Unassigned{Task: t.id, Reason: sr.reason(s, int32(i))})
	}
	return sol
}

// reason explains why a task is left out of a solution.
func (sr *search) reason(s *state, u int32) string {
	in := sr.in
	t := &in.tasks[u]
	if len(t.compat) == 0 {
		return in.staticReason(int(u))
	}
	if in.fleetLimit >= 0 && s.used >= in.fleetLimit {
		for _, v := range t.compat {
			if s.routes[v].nTasks == 0 && !sr.closed[v] {
				return fmt.Sprintf("fleet limit reached: all %d routes allowed are in use and none has room for it", in.fleetLimit)
			}
		}
	}
	ins := sr.bestInsertion(s, u, false)
	if ins.ok {
		if t.optional && in.obj.outsourcing {
			return fmt.Sprintf("outsourced: serving it would cost more than its outsourcing cost (%v)", t.outsource)
		}
		return "left out by the search (a place exists; raise the iterations)"
	}
	if t.pinned >= 0 {
		pin := in.p.Tasks[u].Pinned
		return fmt.Sprintf("pinned to technician %s shift %d, whose route has no room for it", pin.Technician, pin.Shift)
	}
	// Tell capacity and stock from time: which routes would take it if only time counted?
	capacityOnly, timeFits := true, false
	for _, v := range t.compat {
		r := &s.routes[v]
		if sr.closed[v] || (r.nTasks == 0 && !sr.canOpen(s, v)) {
			continue
		}
		if r.load+t.demand > in.vehicles[v].capacity {
			continue
		}
		capacityOnly = false
		if sr.timeFits(r, u) {
			timeFits = true
			break
		}
	}
	if capacityOnly {
		return fmt.Sprintf("no capacity left: demand %v does not fit in any qualified technician's route", t.demand)
	}
	if timeFits && len(t.parts) > 0 {
		return "out of stock: no qualified technician's van has its parts left where it fits, and no restocking visit fits either"
	}
	return fmt.Sprintf("no room: the %d qualified technician shifts that reach it within its windows are full", len(t.compat))
}

// timeFits tells whether u fits somewhere in r as far as time goes.
func (sr *search) timeFits(r *route, u int32) bool {
	in := sr.in
	t := &in.tasks[u]
	for pos := in.fixed[r.v]; pos <= len(r.nodes); pos++ {
		a := r.ed[pos] + in.t(r.site[pos], t.site)
		if st := earliest(t.tw, a); st != inf && st+t.dur+in.t(t.site, r.site[pos+1]) <= r.la[pos+1] {
			return true
		}
	}
	return false
}
