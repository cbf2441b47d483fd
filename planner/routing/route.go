package routing

import "math"

// route is one vehicle's (technician shift's) sequence of stops with its timing caches. Padded
// position 0 is the departure from the start site, 1..k the stops, k+1 the return.
//
// The caches make an insertion check O(1) (Savelsbergh's forward/backward scheme, generalised
// to several windows): es/ed are the earliest start and departure of each stop; la is the
// latest arrival at a stop from which the rest of the route stays feasible. Since arriving
// earlier is never worse (waiting is allowed), a stop placed between positions i and i+1 fits
// when its earliest start after ed[i] exists and its departure reaches i+1 by la[i+1].
type route struct {
	v      int32
	nodes  []int32 // task index, or -(depot index + 1) for a restocking visit
	site   []int32
	arr    []float64
	es     []float64
	ed     []float64
	la     []float64
	seg    []int32 // restocking segment of each padded position
	use    []int32 // parts consumed, per segment × part
	load   float64
	dist   float64
	travel float64 // summed travel time
	dur    float64
	delay  float64 // departure delayed this much past es[0] to remove waiting
	nTasks int
	ver    uint64
}

func (in *instance) nodeSite(x int32) int32 {
	if x >= 0 {
		return in.tasks[x].site
	}
	return in.depots[-x-1].site
}

func (in *instance) nodeDur(x int32) float64 {
	if x >= 0 {
		return in.tasks[x].dur
	}
	return in.depots[-x-1].dur
}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, n+n/2+4)
}

// eval recomputes a route's caches and figures; false when the route breaks a constraint.
func (in *instance) eval(r *route) bool {
	k := len(r.nodes)
	n := k + 2
	r.site, r.arr, r.es, r.ed, r.la, r.seg = grow(r.site, n), grow(r.arr, n), grow(r.es, n), grow(r.ed, n), grow(r.la, n), grow(r.seg, n)
	v := &in.vehicles[r.v]
	fixed, rel := in.fixed[r.v], in.release[r.v]
	r.site[0], r.site[k+1] = v.start, v.end
	r.arr[0], r.es[0], r.ed[0] = v.open, v.open, v.open
	if fixed == 0 && rel > v.open {
		r.es[0], r.ed[0] = rel, rel
	}
	r.load, r.dist, r.travel, r.nTasks, r.dur, r.delay = 0, 0, 0, 0, 0, 0
	P := in.nParts
	seg := int32(0)
	if P > 0 {
		r.use = grow(r.use, P)
		clear(r.use)
	}
	r.seg[0] = 0
	for i := 1; i <= k; i++ {
		x := r.nodes[i-1]
		s := in.nodeSite(x)
		r.site[i] = s
		r.dist += in.d(r.site[i-1], s)
		leg := in.t(r.site[i-1], s)
		r.travel += leg
		a := r.ed[i-1] + leg
		r.arr[i] = a
		if x >= 0 {
			t := &in.tasks[x]
			st := earliest(t.tw, a)
			if st == inf {
				return false
			}
			r.es[i], r.ed[i] = st, st+t.dur
			r.load += t.demand
			r.nTasks++
			for _, pq := range t.parts {
				j := int(seg)*P + int(pq.part)
				r.use[j] += pq.qty
				if r.use[j] > v.stock[pq.part] {
					return false
				}
			}
		} else {
			d := &in.depots[-x-1]
			st := max(a, d.open)
			if st > d.close {
				return false
			}
			r.es[i], r.ed[i] = st, st+d.dur
			seg++
			if P > 0 {
				r.use = append(r.use, make([]int32, P)...)
			}
		}
		r.seg[i] = seg
		if i == fixed && rel > r.ed[i] {
			r.ed[i] = rel
		}
	}
	a := r.ed[k] + in.t(r.site[k], v.end)
	r.arr[k+1], r.es[k+1], r.ed[k+1], r.seg[k+1] = a, a, a, seg
	if k == 0 {
		r.la[0], r.la[1] = v.close-in.t(v.start, v.end), v.close
		return true // an unused shift costs nothing, even if its start and end sites differ
	}
	r.dist += in.d(r.site[k], v.end)
	r.travel += in.t(r.site[k], v.end)
	if a > v.close || r.load > v.capacity {
		return false
	}
	r.la[k+1] = v.close
	for i := k; i >= 1; i-- {
		x := r.nodes[i-1]
		L := r.la[i+1] - in.t(r.site[i], r.site[i+1]) - in.nodeDur(x)
		if x >= 0 {
			r.la[i] = latestArrival(in.tasks[x].tw, L)
		} else {
			d := &in.depots[-x-1]
			if m := min(d.close, L); d.open <= m {
				r.la[i] = m
			} else {
				r.la[i] = math.Inf(-1)
			}
		}
	}
	r.la[0] = r.la[1] - in.t(r.site[0], r.site[1])
	// Duration: return minus departure, the departure delayed as far as it removes waiting
	// without pushing any stop out of the window it starts in.
	cumW, slack := 0.0, inf
	for i := 1; i <= k; i++ {
		cumW += r.es[i] - r.arr[i]
		x := r.nodes[i-1]
		var end float64
		if x >= 0 {
			end = windowEnd(in.tasks[x].tw, r.es[i])
		} else {
			end = in.depots[-x-1].close
		}
		slack = min(slack, cumW+end-r.es[i])
	}
	slack = min(slack, cumW+v.close-r.es[k+1])
	r.delay = max(0, min(cumW, slack))
	r.dur = r.es[k+1] - (r.ed[0] + r.delay)
	return true
}

// startTimes are the service starts once the departure is delayed.
func (r *route) startTimes() []float64 {
	out := make([]float64, len(r.nodes))
	cumW := 0.0
	for i := 1; i <= len(r.nodes); i++ {
		cumW += r.es[i] - r.arr[i]
		out[i-1] = r.es[i] + max(0, r.delay-cumW)
	}
	return out
}

func (r *route) copyFrom(s *route) {
	r.v = s.v
	r.nodes = append(r.nodes[:0], s.nodes...)
	r.site = append(r.site[:0], s.site...)
	r.arr = append(r.arr[:0], s.arr...)
	r.es = append(r.es[:0], s.es...)
	r.ed = append(r.ed[:0], s.ed...)
	r.la = append(r.la[:0], s.la...)
	r.seg = append(r.seg[:0], s.seg...)
	r.use = append(r.use[:0], s.use...)
	r.load, r.dist, r.travel, r.dur, r.delay, r.nTasks, r.ver = s.load, s.dist, s.travel, s.dur, s.delay, s.nTasks, s.ver
}
