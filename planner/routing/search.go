package routing

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// state is a solution under search: one route per vehicle (most empty), where each task is,
// and the assignable tasks left out.
type state struct {
	routes     []route
	where      []int32 // task → vehicle, -1 when unassigned
	unassigned []int32
	used       int // routes with at least one task
}

// search holds what a run needs besides its states: the instance, the random source (the only
// one: the run is deterministic for a seed), scratch space and the SISR parameters.
type search struct {
	in      *instance
	rng     *rand.Rand
	ver     uint64
	scratch route
	list    []int32
	keys    []float64
	ruined  []int32
	saved   []int32
	vclass  []int32 // identical vehicles share a class: one empty one is tried per class
	classes []int32
	closed  []bool // vehicles closed by fleet minimisation
	noOpen  bool   // fleet minimisation: no route may be opened
	bal     balanceRef

	cbar, lmax, blink, splitRate, splitDepth float64
}

func newSearch(in *instance, seed uint64) *search {
	sr := &search{in: in, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		cbar: 10, lmax: 10, blink: 0.01, splitRate: 0.5, splitDepth: 0.5}
	sr.closed = make([]bool, len(in.vehicles))
	sr.classify()
	return sr
}

// classify gives identical vehicles (same shift, places, capacity, stock, skills, tools and
// overrides) one class, so that a task tries only one of them while they are empty.
func (sr *search) classify() {
	in := sr.in
	sr.vclass = make([]int32, len(in.vehicles))
	for i := range in.vehicles {
		sr.vclass[i] = int32(i)
		for j := range i {
			if sameVehicle(&in.vehicles[i], &in.vehicles[j]) && in.fixed[i] == in.fixed[j] && in.release[i] == in.release[j] {
				sr.vclass[i] = sr.vclass[j]
				break
			}
		}
	}
}

func sameVehicle(a, b *vehicle) bool {
	return a.start == b.start && a.end == b.end && a.open == b.open && a.close == b.close && a.capacity == b.capacity &&
		slices.Equal(a.stock, b.stock) && slices.Equal(a.skills, b.skills) && slices.Equal(a.tools, b.tools)
}

func (sr *search) touch(r *route) { sr.ver++; r.ver = sr.ver }

func (sr *search) newState() *state {
	in := sr.in
	s := &state{routes: make([]route, len(in.vehicles)), where: make([]int32, in.n)}
	for i := range s.routes {
		s.routes[i].v = int32(i)
		in.eval(&s.routes[i])
		sr.touch(&s.routes[i])
	}
	for i := range s.where {
		s.where[i] = -1
	}
	return s
}

func (s *state) copyFrom(o *state) {
	for i := range o.routes {
		if s.routes[i].ver != o.routes[i].ver {
			s.routes[i].copyFrom(&o.routes[i])
		}
	}
	copy(s.where, o.where)
	s.unassigned = append(s.unassigned[:0], o.unassigned...)
	s.used = o.used
}

func (s *state) dropUnassigned(u int32) {
	if i := slices.Index(s.unassigned, u); i >= 0 {
		s.unassigned[i] = s.unassigned[len(s.unassigned)-1]
		s.unassigned = s.unassigned[:len(s.unassigned)-1]
	}
}

// cost fills the lexicographic cost vector of a state.
func (in *instance) cost(s *state, out []float64) {
	clear(out)
	o := &in.obj
	outsourced := 0.0
	for _, u := range s.unassigned {
		t := &in.tasks[u]
		switch {
		case !t.optional:
			out[t.tier]++
		case o.outsourcing:
			outsourced += t.outsource
		default:
			out[o.nTiers+t.tier]++
		}
	}
	var dist, dur, travel float64
	for i := range s.routes {
		dist += s.routes[i].dist
		dur += s.routes[i].dur
		travel += s.routes[i].travel
	}
	for k, l := range o.levels {
		var v float64
		switch l {
		case ObjVehicles:
			v = float64(s.used)
		case ObjDistance:
			v = dist
		case ObjDuration:
			v = dur
		case ObjDistanceOutsourcing:
			v = dist + outsourced
		case ObjTravelTime:
			v = travel
		case ObjBalance:
			var b balanceRef
			in.utilisation(s, &b)
			v = b.cur
		}
		out[o.unLevels+k] = v
	}
}

// balanceRef is the utilisation of each technician in a state, with the sums that give the
// balance objective (their standard deviation) and its change when one route's duration changes.
type balanceRef struct {
	u            []float64 // per technician: summed route durations over summed shift lengths
	sum, sum2, n float64
	cur          float64 // the spread itself
}

func spread(sum, sum2, n float64) float64 {
	if n == 0 {
		return 0
	}
	m := sum / n
	return math.Sqrt(max(0, sum2/n-m*m))
}

// utilisation fills b from the state's routes.
func (in *instance) utilisation(s *state, b *balanceRef) {
	b.u = grow(b.u, len(in.span))
	clear(b.u)
	for v := range s.routes {
		b.u[in.vehicles[v].tech] += s.routes[v].dur
	}
	b.sum, b.sum2, b.n = 0, 0, 0
	for t, sp := range in.span {
		if sp <= 0 {
			continue
		}
		b.u[t] /= sp
		b.sum += b.u[t]
		b.sum2 += b.u[t] * b.u[t]
		b.n++
	}
	b.cur = spread(b.sum, b.sum2, b.n)
}

// prepBalance takes the state's utilisation as the reference of the insertion costs that follow
// (only when the objective lists balance).
func (sr *search) prepBalance(s *state) {
	if sr.in.obj.useBalance {
		sr.in.utilisation(s, &sr.bal)
	}
}

// balanceDelta is the change of the spread when vehicle v's route lasts dd longer.
func (sr *search) balanceDelta(v int32, dd float64) float64 {
	in, b := sr.in, &sr.bal
	t := in.vehicles[v].tech
	sp := in.span[t]
	if sp <= 0 || len(b.u) == 0 {
		return 0
	}
	du := dd / sp
	u1 := b.u[t] + du
	return spread(b.sum+du, b.sum2-b.u[t]*b.u[t]+u1*u1, b.n) - b.cur
}

// scalar folds the entries after the strict prefix into one number for annealing.
func (o *objective) scalar(c []float64) float64 {
	var x float64
	for k := o.prefix; k < len(c); k++ {
		x += o.weights[k] * c[k]
	}
	return x
}

// comparePrefix compares the strict prefix of two cost vectors.
func (o *objective) comparePrefix(a, b []float64) int {
	for k := range o.prefix {
		if c := cmp.Compare(a[k], b[k]); c != 0 {
			return c
		}
	}
	return 0
}

// less is the lexicographic order on whole cost vectors, with a relative tolerance on the
// continuous entries so that rounding noise is no improvement.
func (o *objective) less(a, b []float64) bool {
	for k := range a {
		tol := 1e-9 * max(1, math.Abs(b[k]))
		if a[k] < b[k]-tol {
			return true
		}
		if a[k] > b[k]+tol {
			return false
		}
	}
	return false
}

// insertion is a candidate place for a task: before node pos of vehicle v, after a restocking
// visit to depot when depot ≥ 0.
type insertion struct {
	v     int32
	pos   int
	depot int32
	veh   float64 // routes opened, when vehicles lead the objective
	cost  float64 // change of the annealed scalar
	ok    bool
}

func (a insertion) better(b insertion) bool {
	if !b.ok {
		return a.ok
	}
	if a.veh != b.veh {
		return a.veh < b.veh
	}
	return a.cost < b.cost
}

// worth tells whether inserting beats leaving the task out.
func (in *instance) worth(u int32, ins insertion) bool {
	if !ins.ok {
		return false
	}
	t := &in.tasks[u]
	if !t.optional || !in.obj.outsourcing {
		return true // undone work comes first in the objective
	}
	if ins.veh > 0 {
		return false
	}
	return ins.cost < 0
}

func (sr *search) canOpen(s *state, v int32) bool {
	if sr.noOpen || sr.closed[v] {
		return false
	}
	return sr.in.fleetLimit < 0 || s.used < sr.in.fleetLimit
}

// bestInsertion finds the cheapest feasible place for u; with blink, each place is skipped with
// SISR's blink probability.
func (sr *search) bestInsertion(s *state, u int32, blink bool) insertion {
	in := sr.in
	t := &in.tasks[u]
	best := insertion{}
	sr.classes = sr.classes[:0]
	sr.prepBalance(s)
	for _, v := range t.compat {
		if sr.closed[v] {
			continue
		}
		r := &s.routes[v]
		if len(r.nodes) == 0 {
			if !sr.canOpen(s, v) || slices.Contains(sr.classes, sr.vclass[v]) {
				continue
			}
			sr.classes = append(sr.classes, sr.vclass[v])
		}
		sr.scanRoute(r, u, blink, &best)
	}
	return best
}

func (sr *search) scanRoute(r *route, u int32, blink bool, best *insertion) {
	in := sr.in
	t := &in.tasks[u]
	v := &in.vehicles[r.v]
	if r.load+t.demand > v.capacity {
		return
	}
	o := &in.obj
	k := len(r.nodes)
	su := t.site
	var veh, fixedCost float64
	if k == 0 {
		if o.vehKey {
			veh = 1
		} else {
			fixedCost += sr.weightOf(ObjVehicles)
		}
	}
	if best.ok && veh > best.veh {
		return
	}
	wDist := sr.weightOf(ObjDistance) + sr.weightOf(ObjDistanceOutsourcing)
	wDur := sr.weightOf(ObjDuration)
	wTT := sr.weightOf(ObjTravelTime)
	wBal := sr.weightOf(ObjBalance)
	if t.optional && o.outsourcing {
		fixedCost -= sr.weightOf(ObjDistanceOutsourcing) * t.outsource
	}
	for pos := in.fixed[r.v]; pos <= k; pos++ {
		if r.ed[pos] > t.lastEnd {
			break
		}
		if blink && sr.rng.Float64() < sr.blink {
			continue
		}
		prev, next := r.site[pos], r.site[pos+1]
		a := r.ed[pos] + in.t(prev, su)
		st := earliest(t.tw, a)
		if st == inf || st+t.dur+in.t(su, next) > r.la[pos+1] {
			continue
		}
		depot := int32(-1)
		dd := in.d(prev, su) + in.d(su, next)
		dt := in.t(prev, su) + in.t(su, next)
		if k > 0 {
			dd -= in.d(prev, next)
			dt -= in.t(prev, next)
		}
		if len(t.parts) > 0 && !sr.partsFit(r, pos, t) {
			// Out of stock here: try a restocking visit just before the task.
			depot, dd, dt = sr.viaDepot(r, pos, u)
			if depot < 0 {
				continue
			}
		}
		c := insertion{v: r.v, pos: pos, depot: depot, veh: veh, cost: fixedCost + wDist*dd, ok: true}
		if wTT != 0 {
			c.cost += wTT * dt
		}
		if wDur != 0 || wBal != 0 {
			if wBal == 0 && best.ok && !c.better(*best) {
				continue // the duration of a route does not shrink by adding a stop
			}
			nd := sr.durationWith(r, pos, depot, u)
			if wDur != 0 {
				c.cost += wDur * (nd - r.dur)
			}
			if wBal != 0 {
				if math.IsInf(nd, 1) {
					continue
				}
				// A longer route may even improve the balance, so nothing is pruned here.
				c.cost += wBal * sr.balanceDelta(r.v, nd-r.dur)
			}
		}
		if c.better(*best) {
			*best = c
		}
	}
}

func (sr *search) weightOf(level string) float64 {
	o := &sr.in.obj
	if i := slices.Index(o.levels, level); i >= 0 {
		return o.weights[o.unLevels+i]
	}
	return 0
}

// partsFit tells whether the restocking segment around gap pos has room for t's parts.
func (sr *search) partsFit(r *route, pos int, t *taskInfo) bool {
	in := sr.in
	seg := int(r.seg[pos])
	stock := in.vehicles[r.v].stock
	for _, pq := range t.parts {
		if r.use[seg*in.nParts+int(pq.part)]+pq.qty > stock[pq.part] {
			return false
		}
	}
	return true
}

// viaDepot finds the cheapest restocking depot (by distance) to visit right before u at gap pos;
// it returns the depot and the added distance and travel time, or -1.
func (sr *search) viaDepot(r *route, pos int, u int32) (int32, float64, float64) {
	in := sr.in
	t := &in.tasks[u]
	stock := in.vehicles[r.v].stock
	// After the visit, the task and the rest of the segment draw on a full van.
	seg := r.seg[pos]
	for _, pq := range t.parts {
		need := pq.qty
		for i := pos + 1; i <= len(r.nodes) && r.seg[i] == seg; i++ {
			if x := r.nodes[i-1]; x >= 0 {
				for _, q := range in.tasks[x].parts {
					if q.part == pq.part {
						need += q.qty
					}
				}
			}
		}
		if need > stock[pq.part] {
			return -1, 0, 0
		}
	}
	prev, next := r.site[pos], r.site[pos+1]
	best, bestD, bestT := int32(-1), inf, 0.0
	for di := range in.depots {
		d := &in.depots[di]
		st := max(r.ed[pos]+in.t(prev, d.site), d.open)
		if st > d.close {
			continue
		}
		a := st + d.dur + in.t(d.site, t.site)
		s := earliest(t.tw, a)
		if s == inf || s+t.dur+in.t(t.site, next) > r.la[pos+1] {
			continue
		}
		dd := in.d(prev, d.site) + in.d(d.site, t.site) + in.d(t.site, next)
		dt := in.t(prev, d.site) + in.t(d.site, t.site) + in.t(t.site, next)
		if len(r.nodes) > 0 {
			dd -= in.d(prev, next)
			dt -= in.t(prev, next)
		}
		if dd < bestD {
			best, bestD, bestT = int32(di), dd, dt
		}
	}
	return best, bestD, bestT
}

// durationWith is the route's duration once u (and the depot, if any) is inserted at pos.
func (sr *search) durationWith(r *route, pos int, depot int32, u int32) float64 {
	sc := &sr.scratch
	sc.v = r.v
	sc.nodes = append(sc.nodes[:0], r.nodes[:pos]...)
	if depot >= 0 {
		sc.nodes = append(sc.nodes, -depot-1)
	}
	sc.nodes = append(sc.nodes, u)
	sc.nodes = append(sc.nodes, r.nodes[pos:]...)
	if !sr.in.eval(sc) {
		return inf
	}
	return sc.dur
}

// apply performs an insertion; false (and nothing changed) if the route would break, which the
// O(1) checks rule out except for rounding.
func (sr *search) apply(s *state, u int32, ins insertion) bool {
	r := &s.routes[ins.v]
	wasEmpty := r.nTasks == 0
	sr.saved = append(sr.saved[:0], r.nodes...)
	if ins.depot >= 0 {
		r.nodes = slices.Insert(r.nodes, ins.pos, -ins.depot-1, u)
	} else {
		r.nodes = slices.Insert(r.nodes, ins.pos, u)
	}
	if !sr.in.eval(r) {
		r.nodes = append(r.nodes[:0], sr.saved...)
		sr.in.eval(r)
		return false
	}
	sr.touch(r)
	s.where[u] = ins.v
	s.dropUnassigned(u)
	if wasEmpty {
		s.used++
	}
	return true
}

// removeTasks takes tasks out of one route (indices into its nodes, any order) and drops
// restocking visits that are no longer needed.
func (sr *search) removeTasks(s *state, v int32, idx []int) {
	in := sr.in
	r := &s.routes[v]
	sr.saved = append(sr.saved[:0], r.nodes...)
	slices.Sort(idx)
	for j := len(idx) - 1; j >= 0; j-- {
		r.nodes = slices.Delete(r.nodes, idx[j], idx[j]+1)
	}
	if !in.eval(r) {
		// Only a travel matrix breaking the triangle inequality can get here: keep the route.
		r.nodes = append(r.nodes[:0], sr.saved...)
		in.eval(r)
		return
	}
	for _, i := range idx {
		u := sr.saved[i]
		s.where[u] = -1
		s.unassigned = append(s.unassigned, u)
	}
	sr.dropDepots(r)
	if r.nTasks == 0 {
		s.used--
	}
	sr.touch(r)
}

// dropDepots removes restocking visits the route can do without.
func (sr *search) dropDepots(r *route) {
	in := sr.in
	if r.nTasks == 0 {
		r.nodes = r.nodes[:0]
		in.eval(r)
		return
	}
	for i := len(r.nodes) - 1; i >= in.fixed[r.v]; i-- {
		x := r.nodes[i]
		if x >= 0 {
			continue
		}
		r.nodes = slices.Delete(r.nodes, i, i+1)
		if !in.eval(r) {
			r.nodes = slices.Insert(r.nodes, i, x)
			in.eval(r)
		}
	}
}

// ruin is SISR's string removal: strings of consecutive stops are cut out of a few routes near
// a random seed task, which leaves slack where the recreate step can rebuild better.
func (sr *search) ruin(s *state) {
	in := sr.in
	if in.n == 0 || s.used == 0 {
		return
	}
	assigned := in.n - len(s.unassigned)
	avg := float64(assigned) / float64(s.used)
	lsmax := min(sr.lmax, avg)
	ksmax := 4*sr.cbar/(1+lsmax) - 1
	ks := int(1 + sr.rng.Float64()*ksmax)
	seed := int32(sr.rng.IntN(in.n))
	sr.ruined = sr.ruined[:0]
	for _, c := range in.neighbors[seed] {
		if len(sr.ruined) >= ks {
			break
		}
		v := s.where[c]
		if v < 0 || slices.Contains(sr.ruined, v) || in.tasks[c].pinned >= 0 {
			continue
		}
		sr.ruined = append(sr.ruined, v)
		sr.ruinRoute(s, v, c, lsmax)
	}
}

func (sr *search) ruinRoute(s *state, v int32, c int32, lsmax float64) {
	in := sr.in
	r := &s.routes[v]
	var idx []int // removable stops, in route order
	ci := -1
	for j := in.fixed[v]; j < len(r.nodes); j++ {
		x := r.nodes[j]
		if x < 0 || in.tasks[x].pinned >= 0 {
			continue
		}
		if x == c {
			ci = len(idx)
		}
		idx = append(idx, j)
	}
	m := len(idx)
	if ci < 0 || m == 0 {
		return
	}
	lt := min(m, int(1+sr.rng.Float64()*min(float64(m), lsmax)))
	if lt == m || sr.rng.Float64() >= sr.splitRate {
		start := sr.pick(max(0, ci-lt+1), min(ci, m-lt))
		sr.removeTasks(s, v, slices.Clone(idx[start:start+lt]))
		return
	}
	// Split string: a longer string with a few stops kept in its middle.
	keep := 1
	for keep < m-lt && sr.rng.Float64() < sr.splitDepth {
		keep++
	}
	total := lt + keep
	start := sr.pick(max(0, ci-total+1), min(ci, m-total))
	off := sr.pick(0, lt)
	var cut []int
	for j := range total {
		if j < off || j >= off+keep {
			cut = append(cut, idx[start+j])
		}
	}
	sr.removeTasks(s, v, cut)
}

func (sr *search) pick(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + sr.rng.IntN(hi-lo+1)
}

// recreate reinserts the unassigned tasks one by one at their cheapest place (with blinks), in
// one of SISR's orders, higher priorities first.
func (sr *search) recreate(s *state) {
	in := sr.in
	sr.list = append(sr.list[:0], s.unassigned...)
	if len(sr.list) > 1 {
		sr.keys = grow(sr.keys, in.n)
		switch x := sr.rng.IntN(11); {
		case x < 4: // random
			sr.rng.Shuffle(len(sr.list), func(i, j int) { sr.list[i], sr.list[j] = sr.list[j], sr.list[i] })
			for i, u := range sr.list {
				sr.keys[u] = float64(i)
			}
		case x < 8: // largest first
			for _, u := range sr.list {
				sr.keys[u] = -(in.tasks[u].demand + in.tasks[u].dur*1e-9)
			}
		case x < 10: // farthest first
			for _, u := range sr.list {
				sr.keys[u] = -in.tasks[u].far
			}
		default: // closest first
			for _, u := range sr.list {
				sr.keys[u] = in.tasks[u].far
			}
		}
		slices.SortFunc(sr.list, func(a, b int32) int {
			ta, tb := &in.tasks[a], &in.tasks[b]
			return cmp.Or(cmp.Compare(pinRank(ta), pinRank(tb)), cmp.Compare(ta.tier, tb.tier),
				cmp.Compare(sr.keys[a], sr.keys[b]), cmp.Compare(a, b))
		})
	}
	for _, u := range sr.list {
		ins := sr.bestInsertion(s, u, true)
		if in.worth(u, ins) {
			sr.apply(s, u, ins)
		}
	}
}

func pinRank(t *taskInfo) int {
	if t.pinned >= 0 {
		return 0
	}
	return 1
}

// construct builds a first solution by regret insertion: the task whose best place is most
// ahead of its second best (in another route) goes first, highest priority tier first.
func (sr *search) construct(s *state, pending []int32) {
	in := sr.in
	type entry struct {
		best   insertion
		b1, b2 float64 // scalar costs of the best and second best routes
	}
	big := sr.bigM()
	scal := func(i insertion) float64 {
		if !i.ok {
			return inf
		}
		return i.veh*big + i.cost
	}
	ent := make([]entry, in.n)
	perRoute := make([][]insertion, in.n) // per task, per compatible vehicle
	refresh := func(u int32) {
		e := &ent[u]
		e.best, e.b1, e.b2 = insertion{}, inf, inf
		sr.classes = sr.classes[:0]
		for j, v := range in.tasks[u].compat {
			ins := perRoute[u][j]
			if len(s.routes[v].nodes) == 0 {
				if !ins.ok || !sr.canOpen(s, v) || slices.Contains(sr.classes, sr.vclass[v]) {
					continue
				}
				sr.classes = append(sr.classes, sr.vclass[v])
			}
			c := scal(ins)
			if ins.better(e.best) {
				e.best = ins
			}
			if c < e.b1 {
				e.b1, e.b2 = c, e.b1
			} else if c < e.b2 {
				e.b2 = c
			}
		}
	}
	evalOne := func(u int32, v int32) insertion {
		best := insertion{}
		if sr.closed[v] {
			return best
		}
		sr.scanRoute(&s.routes[v], u, false, &best)
		return best
	}
	// With the balance objective, insertion costs are taken against the state when they are
	// computed; those of routes that did not change since are not refreshed (regret is a
	// heuristic, and balance only breaks ties).
	sr.prepBalance(s)
	for _, u := range pending {
		compat := in.tasks[u].compat
		perRoute[u] = make([]insertion, len(compat))
		for j, v := range compat {
			perRoute[u][j] = evalOne(u, v)
		}
		refresh(u)
	}
	left := slices.Clone(pending)
	for len(left) > 0 {
		bi := -1
		var bk [4]float64
		for i, u := range left {
			t := &in.tasks[u]
			e := &ent[u]
			regret := e.b2 - e.b1
			if math.IsNaN(regret) {
				regret = 0
			}
			key := [4]float64{float64(pinRank(t)), float64(t.tier), -regret, e.b1}
			if !e.best.ok {
				key = [4]float64{-1, 0, 0, 0} // hopeless now: settle it first
			}
			if bi < 0 || slices.Compare(key[:], bk[:]) < 0 {
				bi, bk = i, key
			}
		}
		u := left[bi]
		left = slices.Delete(left, bi, bi+1)
		ins := ent[u].best
		usedBefore := s.used
		if !in.worth(u, ins) || !sr.apply(s, u, ins) {
			continue
		}
		v := ins.v
		sr.prepBalance(s)
		for _, w := range left {
			j, found := slices.BinarySearch(in.tasks[w].compat, v)
			if !found {
				continue
			}
			perRoute[w][j] = evalOne(w, v)
			refresh(w)
		}
		if usedBefore != s.used && in.fleetLimit >= 0 && s.used >= in.fleetLimit {
			for _, w := range left {
				refresh(w) // no more routes may be opened
			}
		}
	}
}

// bigM converts a route opened into the annealed unit for regret comparisons: more than any
// route's continuous cost.
func (sr *search) bigM() float64 {
	in := sr.in
	maxArc := 0.0
	for _, x := range in.dist {
		maxArc = max(maxArc, x)
	}
	span := 0.0
	for _, v := range in.vehicles {
		span = max(span, v.close-v.open)
	}
	return 10 * (float64(in.n+2)*maxArc*2 + span + 1)
}
