package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// small is an empty euclidean problem with a base at (0, 0).
func small(objective ...string) *Problem {
	if len(objective) == 0 {
		objective = []string{ObjDistance}
	}
	return &Problem{Format: FormatProblem, Name: "small", Travel: Travel{Metric: MetricEuclidean, Speed: 1},
		Sites: []Site{SiteXY("base", 0, 0)}, Objective: objective}
}

func addTech(p *Problem, id string, shifts ...Shift) *Technician {
	if len(shifts) == 0 {
		shifts = []Shift{{0, 1000}}
	}
	p.Technicians = append(p.Technicians, Technician{ID: id, StartSite: "base", EndSite: "base", Shifts: shifts,
		Skills: map[string]int{}, Stock: map[string]int{}})
	return &p.Technicians[len(p.Technicians)-1]
}

func addTask(p *Problem, id string, x, y, dur float64, windows ...Window) *Task {
	site := "s-" + id
	p.Sites = append(p.Sites, SiteXY(site, x, y))
	p.Tasks = append(p.Tasks, Task{ID: id, Site: site, Duration: dur, Windows: windows, Skills: map[string]int{}, Parts: map[string]int{}})
	return &p.Tasks[len(p.Tasks)-1]
}

func TestEverySkillAtItsLevel(t *testing.T) {
	p := small()
	addTech(p, "hydro2").Skills = map[string]int{"hydraulique": 2}
	addTech(p, "both1").Skills = map[string]int{"hydraulique": 1, "electricite": 1}
	addTech(p, "both").Skills = map[string]int{"hydraulique": 2, "electricite": 1}
	addTask(p, "needs-both", 10, 0, 30).Skills = map[string]int{"hydraulique": 2, "electricite": 1}
	addTask(p, "hydro1", 0, 10, 30).Skills = map[string]int{"hydraulique": 1}
	addTask(p, "hydro3", 5, 5, 30).Skills = map[string]int{"hydraulique": 3}
	addTask(p, "soudure", 5, 5, 30).Skills = map[string]int{"soudure": 1}
	sol := solveChecked(t, p, Options{Iterations: 300})
	if r := routeOf(sol, "needs-both"); r == nil || r.Technician != "both" {
		t.Fatalf("needs-both served by %+v, only technician 'both' has hydraulique 2 and electricite 1", r)
	}
	if routeOf(sol, "hydro1") == nil {
		t.Fatal("hydro1 unserved")
	}
	if got := reasonOf(sol, "hydro3"); got != "no technician has the skill hydraulique at level 3" {
		t.Fatalf("hydro3: %q", got)
	}
	if got := reasonOf(sol, "soudure"); got != "no technician has the skill soudure at level 1" {
		t.Fatalf("soudure: %q", got)
	}

	// Each skill is held by someone, but nobody holds both.
	q := small()
	addTech(q, "a").Skills = map[string]int{"hydraulique": 2}
	addTech(q, "b").Skills = map[string]int{"electricite": 1}
	addTask(q, "x", 10, 0, 30).Skills = map[string]int{"hydraulique": 2, "electricite": 1}
	sol = solveChecked(t, q, Options{Iterations: 50})
	if got := reasonOf(sol, "x"); got != "no technician has all the skills electricite 1, hydraulique 2" {
		t.Fatalf("x: %q", got)
	}
}

func TestToolsAndTheirReason(t *testing.T) {
	p := small()
	addTech(p, "1").Skills = map[string]int{"mecanique": 1}
	tk := addTech(p, "2")
	tk.Skills, tk.Tools = map[string]int{"mecanique": 1}, []string{"nacelle"}
	addTech(p, "3").Tools = []string{"poste-soudure"}
	n := addTask(p, "haut", 10, 0, 30)
	n.Skills, n.Tools = map[string]int{"mecanique": 1}, []string{"nacelle"}
	w := addTask(p, "soudure", 10, 0, 30)
	w.Skills, w.Tools = map[string]int{"mecanique": 1}, []string{"poste-soudure"}
	sol := solveChecked(t, p, Options{Iterations: 100})
	if r := routeOf(sol, "haut"); r == nil || r.Technician != "2" {
		t.Fatalf("haut served by %+v, want 2 (the only one with a nacelle)", r)
	}
	if got := reasonOf(sol, "soudure"); got != "no technician with the skills carries the tool poste-soudure" {
		t.Fatalf("soudure: %q", got)
	}
}

func TestPartsAreConsumedAndRestockedAtADepot(t *testing.T) {
	build := func(withDepot bool) *Problem {
		p := small()
		p.Sites = append(p.Sites, SiteXY("magasin", 50, 0))
		if withDepot {
			p.Depots = []Depot{{ID: "magasin", Site: "magasin", Open: 0, Close: 1000, Restock: true, Duration: 10}}
		}
		addTech(p, "1").Stock = map[string]int{"joint-45": 1}
		for i := range 3 {
			addTask(p, fmt.Sprint("t", i), 40+float64(5*i), 10, 20).Parts = map[string]int{"joint-45": 1}
		}
		addTask(p, "big", 45, 5, 20).Parts = map[string]int{"joint-45": 2}
		return p
	}
	sol := solveChecked(t, build(true), Options{Iterations: 300})
	if len(sol.Routes) != 1 {
		t.Fatalf("routes %+v", sol.Routes)
	}
	stops := sol.Routes[0].Stops
	restocks := strings.Count(strings.Join(stops, " "), "magasin")
	if len(sol.Unassigned) != 1 || restocks != 2 {
		t.Fatalf("stops %v (want three tasks and two restocking visits), unassigned %+v", stops, sol.Unassigned)
	}
	if got := reasonOf(sol, "big"); got != "no qualified technician carries 2 × joint-45" {
		t.Fatalf("big: %q", got)
	}
	// Without a depot, one joint serves one task.
	sol = solveChecked(t, build(false), Options{Iterations: 300})
	if len(sol.Routes) != 1 || len(sol.Routes[0].Stops) != 1 || len(sol.Unassigned) != 3 {
		t.Fatalf("without depot: %+v", sol)
	}
	for _, u := range sol.Unassigned {
		if u.Task != "big" && !strings.HasPrefix(u.Reason, "out of stock") {
			t.Fatalf("reason %+v", u)
		}
	}
}

func TestCapacity(t *testing.T) {
	p := small()
	addTech(p, "1").Capacity = ptr(10.0)
	for i := range 3 {
		addTask(p, fmt.Sprint(i), 10, float64(i), 5).Demand = 6
	}
	addTask(p, "huge", 1, 1, 5).Demand = 11
	sol := solveChecked(t, p, Options{Iterations: 200})
	if len(sol.Routes) != 1 || len(sol.Routes[0].Stops) != 1 {
		t.Fatalf("routes %+v", sol.Routes)
	}
	if got := reasonOf(sol, "huge"); !strings.HasPrefix(got, "no capacity: demand 11") {
		t.Fatalf("huge: %q", got)
	}
	for _, u := range sol.Unassigned {
		if u.Task != "huge" && !strings.HasPrefix(u.Reason, "no capacity left") {
			t.Fatalf("reason %+v", u)
		}
	}
}

func TestSeveralWindowsAndWaiting(t *testing.T) {
	p := small(ObjDuration)
	addTech(p, "1")
	// Windows given out of order; the first one cannot be reached (50 away), so the second.
	addTask(p, "a", 50, 0, 20, Window{100, 110}, Window{0, 10})
	sol := solveChecked(t, p, Options{Iterations: 50})
	r := sol.Routes[0]
	if r.StartTimes[0] != 100 || r.Departure != 50 || r.Return != 170 || r.Duration != 120 || sol.Duration != 120 {
		t.Fatalf("route %+v: want start 100, departure delayed to 50 (no waiting), return 170", r)
	}
	// Unreachable windows: the reason says so.
	addTask(p, "b", 600, 0, 20, Window{0, 100})
	sol = solveChecked(t, p, Options{Iterations: 50})
	if got := reasonOf(sol, "b"); !strings.HasPrefix(got, "no feasible time window") {
		t.Fatalf("b: %q", got)
	}
}

func TestOneRoutePerShift(t *testing.T) {
	p := small()
	addTech(p, "1", Shift{0, 100}, Shift{200, 300})
	addTask(p, "morning", 10, 0, 20, Window{0, 60})
	addTask(p, "afternoon", 10, 0, 20, Window{200, 260})
	addTask(p, "night", 10, 0, 20, Window{120, 150})
	sol := solveChecked(t, p, Options{Iterations: 100})
	if len(sol.Routes) != 2 || sol.Routes[0].Shift != 0 || sol.Routes[1].Shift != 1 ||
		routeOf(sol, "morning").Shift != 0 || routeOf(sol, "afternoon").Shift != 1 {
		t.Fatalf("routes %+v", sol.Routes)
	}
	if got := reasonOf(sol, "night"); !strings.HasPrefix(got, "no feasible time window") {
		t.Fatalf("night: %q", got)
	}
}

func TestFleetLimit(t *testing.T) {
	p := small()
	for i := range 3 {
		addTech(p, fmt.Sprint(i+1))
	}
	// Three tasks at the same time in three directions: one route each.
	addTask(p, "n", 0, 100, 10, Window{100, 110})
	addTask(p, "e", 100, 0, 10, Window{100, 110})
	addTask(p, "s", 0, -100, 10, Window{100, 110})
	p.FleetLimit = ptr(2)
	sol := solveChecked(t, p, Options{Iterations: 200})
	if len(sol.Routes) != 2 || len(sol.Unassigned) != 1 || !strings.HasPrefix(sol.Unassigned[0].Reason, "fleet limit reached") {
		t.Fatalf("solution %+v", sol)
	}
}

func TestHigherPriorityServedFirst(t *testing.T) {
	p := small()
	addTech(p, "1", Shift{0, 100})
	addTask(p, "near", 10, 0, 60).Priority = 0
	addTask(p, "far", 0, 20, 60).Priority = 2
	sol := solveChecked(t, p, Options{Iterations: 200})
	if routeOf(sol, "far") == nil || reasonOf(sol, "near") == "" {
		t.Fatalf("solution %+v: only one fits, the priority one must", sol)
	}
	// Priorities are lexicographic: one urgent task outweighs two ordinary ones.
	q := small()
	addTech(q, "1", Shift{0, 150})
	addTask(q, "a", 10, 0, 60)
	addTask(q, "b", 10, 1, 60)
	addTask(q, "urgent", 0, 10, 100).Priority = 3
	sol = solveChecked(t, q, Options{Iterations: 300})
	if routeOf(sol, "urgent") == nil || len(sol.Unassigned) != 2 {
		t.Fatalf("solution %+v", sol)
	}
}

func TestOutsourcingCost(t *testing.T) {
	build := func(cost float64) *Problem {
		p := small(ObjDistanceOutsourcing)
		addTech(p, "1")
		addTask(p, "near", 10, 0, 10)
		addTask(p, "far", 200, 0, 10).OutsourcingCost = ptr(cost)
		return p
	}
	sol := solveChecked(t, build(100), Options{Iterations: 200})
	if !strings.HasPrefix(reasonOf(sol, "far"), "outsourced") || sol.Outsourcing != 100 || sol.Distance != 20 {
		t.Fatalf("cheap outsourcing: %+v", sol)
	}
	sol = solveChecked(t, build(1000), Options{Iterations: 200})
	if routeOf(sol, "far") == nil {
		t.Fatalf("dear outsourcing: %+v", sol)
	}
	// Without outsourcing in the objective, optional work is still done when it fits.
	p := build(100)
	p.Objective = []string{ObjDistance}
	if sol := solveChecked(t, p, Options{Iterations: 200}); routeOf(sol, "far") == nil {
		t.Fatalf("distance objective: %+v", sol)
	}
}

// With the vehicles objective one route serves both tasks though two short ones travel less.
func TestVehiclesBeforeDistance(t *testing.T) {
	build := func(objective ...string) *Problem {
		p := &Problem{Format: FormatProblem, Objective: objective, Sites: []Site{{ID: "base"}, {ID: "a"}, {ID: "b"}},
			Travel: Travel{Metric: MetricMatrix, Sites: []string{"base", "a", "b"},
				Distance: [][]float64{{0, 10, 10}, {10, 0, 90}, {10, 90, 0}},
				Time:     [][]float64{{0, 10, 10}, {10, 0, 90}, {10, 90, 0}}}}
		addTech(p, "1")
		addTech(p, "2")
		p.Tasks = []Task{{ID: "ta", Site: "a", Duration: 5}, {ID: "tb", Site: "b", Duration: 5}}
		return p
	}
	sol := solveChecked(t, build(ObjVehicles, ObjDistance), Options{Iterations: 300})
	if sol.Vehicles != 1 || sol.Distance != 110 {
		t.Fatalf("vehicles first: %+v", sol)
	}
	sol = solveChecked(t, build(ObjDistance), Options{Iterations: 300})
	if sol.Vehicles != 2 || sol.Distance != 40 {
		t.Fatalf("distance: %+v", sol)
	}
}

func TestPinnedWork(t *testing.T) {
	p := small()
	addTech(p, "near")
	far := addTech(p, "far")
	far.StartSite, far.EndSite = "depart", "depart"
	p.Sites = append(p.Sites, SiteXY("depart", 100, 100))
	addTask(p, "fixed", 5, 5, 30).Pinned = &Pin{Technician: "far", Shift: 0}
	addTask(p, "started", 6, 6, 30).Pinned = &Pin{Technician: "near", Shift: 0, Start: ptr(250.0)}
	addTask(p, "free", 5, 6, 30)
	sol := solveChecked(t, p, Options{Iterations: 300})
	if routeOf(sol, "fixed").Technician != "far" || routeOf(sol, "started").Technician != "near" || startOf(sol, "started") != 250 {
		t.Fatalf("routes %+v", sol.Routes)
	}
	// A pin that cannot hold is reported, not forced.
	p.Tasks[0].Pinned.Start = ptr(5000.0)
	sol = solveChecked(t, p, Options{Iterations: 50})
	if got := reasonOf(sol, "fixed"); !strings.HasPrefix(got, "pinned to technician far shift 0") {
		t.Fatalf("fixed: %q", got)
	}
}

// Nothing can be served: every task comes back with a reason, at once.
func TestInfeasibleProblemsGiveReasons(t *testing.T) {
	p := small()
	addTask(p, "a", 10, 10, 10)
	addTask(p, "b", 10, 10, 10).OutsourcingCost = ptr(5.0)
	sol := solveChecked(t, p, Options{})
	if len(sol.Routes) != 0 || len(sol.Unassigned) != 2 || sol.Unassigned[0].Reason != "no technician has a shift" {
		t.Fatalf("no technicians: %+v", sol)
	}
	p = genVRPTW(3, 40, 5, 100)
	for i := range p.Tasks {
		p.Tasks[i].Windows = []Window{{2000, 2100}} // after the depot closes
	}
	start := time.Now()
	sol = solveChecked(t, p, Options{})
	if len(sol.Unassigned) != 40 || time.Since(start) > time.Minute {
		t.Fatalf("windows out of reach: %+v", sol)
	}
}

func TestGeneratedInstancesAreFeasible(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		p := roundTrip(t, genVRPTW(seed, 40, 12, 120, ObjVehicles, ObjDistance))
		sol := solveChecked(t, p, Options{Seed: seed, Iterations: 1500})
		if len(sol.Unassigned) > 0 && sol.Unassigned[0].Reason == "" {
			t.Fatal("no reason")
		}
	}
	p := roundTrip(t, genWeek(5, 8, 120))
	sol := solveChecked(t, p, Options{Seed: 5, Iterations: 400})
	served := 120 - len(sol.Unassigned)
	if served < 60 || len(sol.Routes) < 10 {
		t.Fatalf("week: %d served in %d routes", served, len(sol.Routes))
	}
	depots := 0
	for _, r := range sol.Routes {
		for _, s := range r.Stops {
			if strings.HasPrefix(s, "depot-") {
				depots++
			}
		}
	}
	t.Logf("week 8×120: %d served, %d routes, %d restocking visits, distance %.0f km", served, len(sol.Routes), depots, sol.Distance)
}

func TestSameSeedSameBytes(t *testing.T) {
	p := genWeek(9, 6, 80)
	encode := func(s *Solution) []byte {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := encode(solveChecked(t, p, Options{Seed: 42, Iterations: 600}))
	b := encode(solveChecked(t, roundTrip(t, p), Options{Seed: 42, Iterations: 600}))
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs differ:\n%s\n%s", a, b)
	}
}

// A run stopped after k iterations (by its context, say) equals a run given k iterations: the
// progress seen at iteration k by a longer run is the answer of the shorter one.
func TestStoppingIsReproducible(t *testing.T) {
	p := genVRPTW(8, 50, 15, 150, ObjVehicles, ObjDistance)
	const k = 2 * ProgressEvery
	var at Progress
	long := Options{Seed: 3, Iterations: 3 * k, Progress: func(pr Progress) {
		if pr.Iterations == k {
			at = pr
		}
	}}
	solveChecked(t, p, long)
	short := solveChecked(t, p, Options{Seed: 3, Iterations: k})
	if at.Iterations != k || short.Iterations != k || at.Vehicles != short.Vehicles || at.Distance != short.Distance {
		t.Fatalf("progress at %d: %+v; run of %d: %d vehicles, distance %v", k, at, k, short.Vehicles, short.Distance)
	}
	// A cancelled context stops the search between iterations with a valid answer.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sol, err := Solve(ctx, p, Options{Seed: 3})
	if err != nil || sol.Iterations != 0 || Check(p, sol) != nil || len(sol.Unassigned) != 0 {
		t.Fatalf("cancelled: %v %+v", err, sol)
	}
}

// The search improves on the construction.
func TestSearchImproves(t *testing.T) {
	p := genVRPTW(12, 60, 20, 200)
	first := solveChecked(t, p, Options{Seed: 1, Iterations: 1})
	later := solveChecked(t, p, Options{Seed: 1, Iterations: 3000})
	if later.Distance >= first.Distance {
		t.Fatalf("distance %v after 3000 iterations, %v after one", later.Distance, first.Distance)
	}
}
