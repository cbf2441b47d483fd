package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// An endpoint of the scenario.
type endpoint struct {
	Name   string // as reported: "GET /equipements"
	Method string
	Path   string // below the target URL
}

// The seed's scenario, per user, weighted: list equipements 3, list interventions 3, dashboard
// stats 2, create an intervention 1.
var (
	epEquipements   = endpoint{"GET /equipements", "GET", "/api/v1/equipements"}
	epInterventions = endpoint{"GET /interventions", "GET", "/api/v1/interventions"}
	epDashboard     = endpoint{"GET /dashboard/stats", "GET", "/api/v1/dashboard/stats"}
	epCreate        = endpoint{"POST /interventions", "POST", "/api/v1/interventions"}
	epDetail        = endpoint{"GET /interventions/{id}", "GET", "/api/v1/interventions/"}
	scenario        = []endpoint{epEquipements, epInterventions, epDashboard, epCreate}
	defaultWeights  = "equipements=3,interventions=3,dashboard=2,create=1"
	endpointsByKey  = map[string]endpoint{"equipements": epEquipements, "interventions": epInterventions, "dashboard": epDashboard, "create": epCreate}
	creatingRoles   = []string{"admin", "responsable"}
	knownRoles      = []string{"admin", "responsable", "technicien", "client"}
	defaultRoleMix  = "responsable=1"
	defaultThinkMin = 500 * time.Millisecond
	defaultThinkMax = 2 * time.Second
)

// weighted picks items with probability proportional to their weights.
type weighted[T any] struct {
	items []T
	cum   []int // cumulative weights
}

func newWeighted[T any](items []T, weights []int) (weighted[T], error) {
	w := weighted[T]{}
	total := 0
	for i, it := range items {
		if weights[i] < 0 {
			return w, fmt.Errorf("negative weight")
		}
		if weights[i] == 0 {
			continue
		}
		total += weights[i]
		w.items = append(w.items, it)
		w.cum = append(w.cum, total)
	}
	if total == 0 {
		return w, fmt.Errorf("every weight is zero")
	}
	return w, nil
}

func (w weighted[T]) pick(r *rand.Rand) T {
	x := r.IntN(w.cum[len(w.cum)-1])
	i, _ := slices.BinarySearch(w.cum, x+1)
	return w.items[i]
}

// parseWeights reads "name=weight,..." with names from allowed.
func parseWeights(s string, allowed []string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want name=weight", part)
		}
		if !slices.Contains(allowed, name) {
			return nil, fmt.Errorf("%q: unknown name (%s)", name, strings.Join(allowed, ", "))
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: weight must be a non-negative integer", part)
		}
		out[name] = n
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no weight given")
	}
	return out, nil
}

// roleScenario is the task choice of a user of one role: the scenario's weights, without the
// create for roles that may not create (technicien, client: their users only read).
func roleScenario(role string, weights map[string]int) (weighted[endpoint], error) {
	var eps []endpoint
	var ws []int
	for _, key := range []string{"equipements", "interventions", "dashboard", "create"} {
		w := weights[key]
		if key == "create" && !slices.Contains(creatingRoles, role) {
			w = 0
		}
		eps = append(eps, endpointsByKey[key])
		ws = append(ws, w)
	}
	return newWeighted(eps, ws)
}

// offeredRate is the arrival rate that users produce with a think time uniform in
// [thinkMin, thinkMax] when the server answers at once: each user sends one request per mean
// think time. It is the open-loop rate that matches the closed-loop scenario (an upper bound of
// what the closed loop sends: there, each answer's latency adds to the cycle).
func offeredRate(users int, thinkMin, thinkMax time.Duration) float64 {
	mean := (thinkMin + thinkMax).Seconds() / 2
	if mean <= 0 {
		return math.Inf(1)
	}
	return float64(users) / mean
}

// poissonPacer paces an open-loop attack with exponentially distributed gaps (independent users
// arriving at random), at rate requests per second on average. vegeta calls Pace from one
// goroutine, with hits counting the requests already sent.
type poissonPacer struct {
	rate float64
	r    *rand.Rand
	k    uint64        // index of the next arrival computed
	at   time.Duration // its time from the start
	// Driver lag: how late requests left compared to their arrival time (the driver itself was
	// short of CPU). Latencies are measured from the send, so a large lag hides waiting time.
	lagMax  time.Duration
	lagging uint64 // requests sent more than 10 ms late
}

func newPoissonPacer(rate float64, seed uint64) *poissonPacer {
	p := &poissonPacer{rate: rate, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	p.at = p.gap()
	return p
}

func (p *poissonPacer) gap() time.Duration {
	return time.Duration(p.r.ExpFloat64() / p.rate * float64(time.Second))
}

// arrival is the time of the hits-th request (0-based).
func (p *poissonPacer) arrival(hits uint64) time.Duration {
	for p.k < hits {
		p.at += p.gap()
		p.k++
	}
	return p.at
}

// Pace implements vegeta.Pacer: wait until the next arrival (0 when behind: the request is late
// already, and its latency counts from now, but it is sent, never skipped).
func (p *poissonPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.rate <= 0 {
		return 0, true
	}
	wait := p.arrival(hits) - elapsed
	if lag := -wait; lag > 0 {
		p.lagMax = max(p.lagMax, lag)
		if lag > 10*time.Millisecond {
			p.lagging++
		}
	}
	return wait, false
}

// Rate implements vegeta.Pacer.
func (p *poissonPacer) Rate(time.Duration) float64 { return p.rate }

// thinkTime draws a think time uniform in [lo, hi].
func thinkTime(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}
