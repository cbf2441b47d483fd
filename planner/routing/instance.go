package routing

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

var inf = math.Inf(1)

// window is a merged, sorted time window on the start of service.
type window struct{ e, l float64 }

type partQty struct {
	part int32
	qty  int32
}

type need struct {
	skill int
	level int
}

type taskInfo struct {
	id        string
	site      int32
	dur       float64
	tw        []window // at least one; sorted and disjoint
	lastEnd   float64
	demand    float64
	parts     []partQty
	skills    []need
	tools     []int
	prio      int
	tier      int // 0 = highest priority
	optional  bool
	outsource float64
	pinned    int32   // vehicle, or -1
	compat    []int32 // vehicles that can serve the task alone
	far       float64 // distance from the nearest compatible start site (SISR's "far" order)
}

type vehicle struct {
	tech, shift int
	start, end  int32 // sites
	open, close float64
	capacity    float64
	stock       []int32 // per part
	skills      []int   // per skill
	tools       []bool  // per tool
}

type depotInfo struct {
	id          string
	site        int32
	open, close float64
	dur         float64
}

// instance is a validated problem compiled for the search: indices instead of ids, dense travel
// matrices, merged windows and the list of technician shifts that may serve each task.
type instance struct {
	p          *Problem
	n          int
	nSites     int
	dist, tt   []float64
	tasks      []taskInfo
	vehicles   []vehicle
	depots     []depotInfo // restocking depots only
	nParts     int
	partNames  []string
	skillNames []string
	toolNames  []string
	fleetLimit int // -1: none
	obj        objective
	neighbors  [][]int32
	arcScale   float64 // a typical short arc, the unit of the annealing temperature
	// Per route overrides used by InsertUrgent: a frozen prefix and an earliest departure.
	fixed   []int
	release []float64
	// span is each technician's summed shift length, the denominator of his utilisation for
	// the balance objective (0: no shift, left out of the balance).
	span []float64
}

func (in *instance) d(a, b int32) float64 { return in.dist[int(a)*in.nSites+int(b)] }
func (in *instance) t(a, b int32) float64 { return in.tt[int(a)*in.nSites+int(b)] }

// objective describes the lexicographic cost vector: undone mandatory work per priority tier,
// then undone optional work per tier (unless outsourcing is priced), then the problem's list.
type objective struct {
	levels      []string // the problem's objective list
	nTiers      int
	outsourcing bool // distance+outsourcing is listed: optional tasks are priced, not counted
	useDuration bool
	useBalance  bool
	// prefix is the number of leading vector entries compared strictly (undone work, and vehicles
	// when it comes first); the rest is folded into one scalar for annealing.
	prefix   int
	vehKey   bool      // vehicles is part of the strict prefix
	weights  []float64 // weight of each vector entry in the scalar (0 inside the prefix)
	unLevels int       // number of undone-work entries
}

func (o *objective) size() int { return o.unLevels + len(o.levels) }

func compile(p *Problem) (*instance, error) {
	in := &instance{p: p, n: len(p.Tasks), fleetLimit: -1}
	if p.FleetLimit != nil {
		in.fleetLimit = *p.FleetLimit
	}
	model, err := NewTravelModel(p)
	if err != nil {
		return nil, err
	}
	siteIdx := make(map[string]int32, len(p.Sites))
	for i, s := range p.Sites {
		siteIdx[s.ID] = int32(i)
	}
	// Only the sites in use enter the matrices (a problem may list many more).
	used := map[int32]bool{}
	for _, t := range p.Tasks {
		used[siteIdx[t.Site]] = true
	}
	for _, t := range p.Technicians {
		used[siteIdx[t.StartSite]], used[siteIdx[t.EndSite]] = true, true
	}
	for _, d := range p.Depots {
		if d.Restock {
			used[siteIdx[d.Site]] = true
		}
	}
	problemSite := make([]int, 0, len(used))
	for i := range p.Sites {
		if used[int32(i)] {
			problemSite = append(problemSite, i)
		}
	}
	local := make(map[string]int32, len(problemSite))
	for i, ps := range problemSite {
		local[p.Sites[ps].ID] = int32(i)
	}
	in.nSites = len(problemSite)
	in.dist = make([]float64, in.nSites*in.nSites)
	in.tt = make([]float64, in.nSites*in.nSites)
	for i, a := range problemSite {
		for j, b := range problemSite {
			in.dist[i*in.nSites+j], in.tt[i*in.nSites+j] = model.Leg(a, b)
		}
	}

	skillIdx, toolIdx, partIdx := map[string]int{}, map[string]int{}, map[string]int{}
	intern := func(m map[string]int, list *[]string, name string) int {
		if i, ok := m[name]; ok {
			return i
		}
		m[name] = len(*list)
		*list = append(*list, name)
		return m[name]
	}
	// Names are interned in a fixed order (technicians, then tasks, keys sorted) so that indices
	// never depend on map iteration.
	for _, t := range p.Technicians {
		for _, k := range sortedKeys(t.Skills) {
			intern(skillIdx, &in.skillNames, k)
		}
		for _, k := range t.Tools {
			intern(toolIdx, &in.toolNames, k)
		}
		for _, k := range sortedKeys(t.Stock) {
			intern(partIdx, &in.partNames, k)
		}
	}
	for _, t := range p.Tasks {
		for _, k := range sortedKeys(t.Skills) {
			intern(skillIdx, &in.skillNames, k)
		}
		for _, k := range t.Tools {
			intern(toolIdx, &in.toolNames, k)
		}
		for _, k := range sortedKeys(t.Parts) {
			if t.Parts[k] > 0 {
				intern(partIdx, &in.partNames, k)
			}
		}
	}
	in.nParts = len(in.partNames)

	for ti, t := range p.Technicians {
		skills := make([]int, len(in.skillNames))
		for k, l := range t.Skills {
			skills[skillIdx[k]] = l
		}
		tools := make([]bool, len(in.toolNames))
		for _, k := range t.Tools {
			tools[toolIdx[k]] = true
		}
		stock := make([]int32, in.nParts)
		for k, q := range t.Stock {
			stock[partIdx[k]] = int32(min(q, math.MaxInt32))
		}
		capacity := inf
		if t.Capacity != nil {
			capacity = *t.Capacity
		}
		in.span = append(in.span, 0)
		for si, s := range t.Shifts {
			in.span[ti] += s.End - s.Start
			in.vehicles = append(in.vehicles, vehicle{tech: ti, shift: si, start: local[t.StartSite], end: local[t.EndSite],
				open: s.Start, close: s.End, capacity: capacity, stock: stock, skills: skills, tools: tools})
		}
	}
	in.fixed = make([]int, len(in.vehicles))
	in.release = make([]float64, len(in.vehicles))
	for i := range in.release {
		in.release[i] = math.Inf(-1)
	}

	for _, d := range p.Depots {
		if d.Restock {
			in.depots = append(in.depots, depotInfo{id: d.ID, site: local[d.Site], open: d.Open, close: d.Close, dur: d.Duration})
		}
	}

	prios := []int{}
	for _, t := range p.Tasks {
		if !slices.Contains(prios, t.Priority) {
			prios = append(prios, t.Priority)
		}
	}
	slices.SortFunc(prios, func(a, b int) int { return cmp.Compare(b, a) })
	in.obj = newObjective(p.Objective, len(prios))

	vehicleOf := func(tech string, shift int) int32 {
		for vi, v := range in.vehicles {
			if p.Technicians[v.tech].ID == tech && v.shift == shift {
				return int32(vi)
			}
		}
		return -1
	}
	in.tasks = make([]taskInfo, in.n)
	for i, t := range p.Tasks {
		ti := taskInfo{id: t.ID, site: local[t.Site], dur: t.Duration, demand: t.Demand, prio: t.Priority,
			tier: slices.Index(prios, t.Priority), pinned: -1}
		ti.tw = mergeWindows(t.Windows)
		if t.Pinned != nil {
			ti.pinned = vehicleOf(t.Pinned.Technician, t.Pinned.Shift)
			if t.Pinned.Start != nil {
				ti.tw = []window{{*t.Pinned.Start, *t.Pinned.Start}}
			}
		}
		ti.lastEnd = ti.tw[len(ti.tw)-1].l
		if t.OutsourcingCost != nil {
			ti.optional, ti.outsource = true, *t.OutsourcingCost
		}
		for _, k := range sortedKeys(t.Skills) {
			ti.skills = append(ti.skills, need{skillIdx[k], t.Skills[k]})
		}
		for _, k := range t.Tools {
			ti.tools = append(ti.tools, toolIdx[k])
		}
		for _, k := range sortedKeys(t.Parts) {
			if q := t.Parts[k]; q > 0 {
				ti.parts = append(ti.parts, partQty{int32(partIdx[k]), int32(min(q, math.MaxInt32))})
			}
		}
		in.tasks[i] = ti
	}
	in.computeCompat()
	in.computeNeighbors()
	return in, nil
}

func mergeWindows(ws []Window) []window {
	if len(ws) == 0 {
		return []window{{math.Inf(-1), inf}}
	}
	out := make([]window, 0, len(ws))
	for _, w := range ws {
		out = append(out, window{w.Start, w.End})
	}
	slices.SortFunc(out, func(a, b window) int { return cmp.Or(cmp.Compare(a.e, b.e), cmp.Compare(a.l, b.l)) })
	merged := out[:1]
	for _, w := range out[1:] {
		last := &merged[len(merged)-1]
		if w.e <= last.l {
			last.l = max(last.l, w.l)
			continue
		}
		merged = append(merged, w)
	}
	return merged
}

// earliest is the first start of service at or after arrival a (inf: none).
func earliest(tw []window, a float64) float64 {
	for _, w := range tw {
		if a <= w.l {
			return max(a, w.e)
		}
	}
	return inf
}

// latestArrival is the latest arrival from which service can start no later than L.
func latestArrival(tw []window, L float64) float64 {
	best := math.Inf(-1)
	for _, w := range tw {
		m := min(w.l, L)
		if w.e <= m {
			best = m
		} else {
			break
		}
	}
	return best
}

// windowEnd is the end of the window in which a start s lies.
func windowEnd(tw []window, s float64) float64 {
	for _, w := range tw {
		if s <= w.l {
			return w.l
		}
	}
	return s
}

func newObjective(levels []string, tiers int) objective {
	o := objective{levels: levels, nTiers: tiers}
	for _, l := range levels {
		switch l {
		case ObjDistanceOutsourcing:
			o.outsourcing = true
		case ObjDuration:
			o.useDuration = true
		case ObjBalance:
			o.useBalance = true
		}
	}
	o.unLevels = tiers
	if !o.outsourcing {
		o.unLevels = 2 * tiers
	}
	o.prefix = o.unLevels
	for _, l := range levels {
		if l != ObjVehicles {
			break
		}
		o.prefix++
		o.vehKey = true
	}
	o.weights = make([]float64, o.size())
	w := 1.0
	for k := o.prefix; k < o.size(); k++ {
		o.weights[k] = w
		w *= 1e-6 // later levels only break ties
	}
	return o
}

// compatible tells whether vehicle v may serve task i at all (skills, tools, parts, capacity,
// pin), leaving time aside.
func (in *instance) compatible(i int, vi int) bool {
	t, v := &in.tasks[i], &in.vehicles[vi]
	if t.pinned >= 0 && int(t.pinned) != vi {
		return false
	}
	for _, n := range t.skills {
		if v.skills[n.skill] < n.level {
			return false
		}
	}
	for _, k := range t.tools {
		if !v.tools[k] {
			return false
		}
	}
	for _, pq := range t.parts {
		if v.stock[pq.part] < pq.qty {
			return false
		}
	}
	return t.demand <= v.capacity
}

// alone tells whether vehicle v can serve task i alone within its shift.
func (in *instance) alone(i int, vi int) bool {
	t, v := &in.tasks[i], &in.vehicles[vi]
	s := earliest(t.tw, v.open+in.t(v.start, t.site))
	return s+t.dur+in.t(t.site, v.end) <= v.close
}

func (in *instance) computeCompat() {
	for i := range in.tasks {
		t := &in.tasks[i]
		t.far = inf
		t.compat = t.compat[:0]
		for vi := range in.vehicles {
			if in.compatible(i, vi) && in.alone(i, vi) {
				t.compat = append(t.compat, int32(vi))
				t.far = min(t.far, in.d(in.vehicles[vi].start, t.site))
			}
		}
		if len(t.compat) == 0 {
			t.far = 0
		}
	}
}

const maxNeighbors = 256

func (in *instance) computeNeighbors() {
	in.neighbors = make([][]int32, in.n)
	var near []float64
	for i := range in.tasks {
		nb := make([]int32, 0, in.n)
		for j := range in.tasks {
			if j != i {
				nb = append(nb, int32(j))
			}
		}
		si := in.tasks[i].site
		slices.SortStableFunc(nb, func(a, b int32) int {
			return cmp.Compare(in.d(si, in.tasks[a].site), in.d(si, in.tasks[b].site))
		})
		// The seed itself comes first; ruin rarely walks further than a few dozen neighbours, so
		// the lists are capped to keep memory linear in the tasks.
		nb = append([]int32{int32(i)}, nb[:min(len(nb), maxNeighbors-1)]...)
		in.neighbors[i] = nb
		if len(nb) > 1 {
			near = append(near, in.d(si, in.tasks[nb[1]].site))
		}
	}
	// The annealing temperature is expressed in typical short arcs, so that one setting serves
	// Solomon's grid and kilometres on the road alike.
	slices.Sort(near)
	in.arcScale = 1
	if len(near) > 0 {
		if m := near[len(near)/2]; m > 0 {
			in.arcScale = m
		} else {
			var sum float64
			for _, x := range near {
				sum += x
			}
			if sum > 0 {
				in.arcScale = sum / float64(len(near))
			}
		}
	}
}

// staticReason explains why a task has no technician shift that could serve it alone.
func (in *instance) staticReason(i int) string {
	t := &in.tasks[i]
	p := in.p
	if len(in.vehicles) == 0 {
		return "no technician has a shift"
	}
	if t.pinned >= 0 || p.Tasks[i].Pinned != nil {
		pin := p.Tasks[i].Pinned
		if t.pinned < 0 {
			return fmt.Sprintf("pinned to technician %s shift %d, which does not exist", pin.Technician, pin.Shift)
		}
		if !in.compatible(i, int(t.pinned)) {
			return fmt.Sprintf("pinned to technician %s, who %s", pin.Technician, in.lack(i, int(t.pinned)))
		}
		return fmt.Sprintf("pinned to technician %s shift %d, which cannot reach it within its time windows", pin.Technician, pin.Shift)
	}
	// Skills first: the rarest explanation that holds for every technician.
	for _, n := range t.skills {
		if !slices.ContainsFunc(in.vehicles, func(v vehicle) bool { return v.skills[n.skill] >= n.level }) {
			return fmt.Sprintf("no technician has the skill %s at level %d", in.skillNames[n.skill], n.level)
		}
	}
	skilled := func(v vehicle) bool {
		for _, n := range t.skills {
			if v.skills[n.skill] < n.level {
				return false
			}
		}
		return true
	}
	if !slices.ContainsFunc(in.vehicles, skilled) {
		parts := make([]string, len(t.skills))
		for k, n := range t.skills {
			parts[k] = fmt.Sprintf("%s %d", in.skillNames[n.skill], n.level)
		}
		return "no technician has all the skills " + strings.Join(parts, ", ")
	}
	qualified := func(v vehicle) bool {
		if !skilled(v) {
			return false
		}
		for _, k := range t.tools {
			if !v.tools[k] {
				return false
			}
		}
		return true
	}
	for _, k := range t.tools {
		if !slices.ContainsFunc(in.vehicles, func(v vehicle) bool { return skilled(v) && v.tools[k] }) {
			return fmt.Sprintf("no technician with the skills carries the tool %s", in.toolNames[k])
		}
	}
	if !slices.ContainsFunc(in.vehicles, qualified) {
		return "no technician with the skills carries all the tools " + strings.Join(mapNames(t.tools, in.toolNames), ", ")
	}
	for _, pq := range t.parts {
		if !slices.ContainsFunc(in.vehicles, func(v vehicle) bool { return qualified(v) && v.stock[pq.part] >= pq.qty }) {
			return fmt.Sprintf("no qualified technician carries %d × %s", pq.qty, in.partNames[pq.part])
		}
	}
	stocked := func(v vehicle) bool {
		if !qualified(v) {
			return false
		}
		for _, pq := range t.parts {
			if v.stock[pq.part] < pq.qty {
				return false
			}
		}
		return true
	}
	if !slices.ContainsFunc(in.vehicles, stocked) {
		return "no qualified technician carries all the parts"
	}
	if !slices.ContainsFunc(in.vehicles, func(v vehicle) bool { return stocked(v) && t.demand <= v.capacity }) {
		return fmt.Sprintf("no capacity: demand %v exceeds the capacity of every qualified technician", t.demand)
	}
	return "no feasible time window: no qualified technician's shift reaches the site within the task's windows and returns in time"
}

func (in *instance) lack(i, vi int) string {
	t, v := &in.tasks[i], &in.vehicles[vi]
	for _, n := range t.skills {
		if v.skills[n.skill] < n.level {
			return fmt.Sprintf("lacks the skill %s at level %d", in.skillNames[n.skill], n.level)
		}
	}
	for _, k := range t.tools {
		if !v.tools[k] {
			return "does not carry the tool " + in.toolNames[k]
		}
	}
	for _, pq := range t.parts {
		if v.stock[pq.part] < pq.qty {
			return fmt.Sprintf("does not carry %d × %s", pq.qty, in.partNames[pq.part])
		}
	}
	return fmt.Sprintf("has no capacity for demand %v", t.demand)
}

func mapNames(idx []int, names []string) []string {
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = names[k]
	}
	return out
}
