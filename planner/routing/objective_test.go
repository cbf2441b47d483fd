package routing

import (
	"math"
	"strings"
	"testing"
)

// Travel time and distance disagree once a road network gives the matrix: a short mountain road
// against a longer motorway.
func TestTravelTimeObjectiveFollowsTheMatrixTimes(t *testing.T) {
	build := func(objective ...string) *Problem {
		p := &Problem{Format: FormatProblem, Name: "roads", Objective: objective,
			Sites: []Site{{ID: "montagne"}, {ID: "autoroute"}, {ID: "client"}},
			Travel: Travel{Metric: MetricMatrix, Sites: []string{"montagne", "autoroute", "client"},
				// montagne–client: 5 km in 30 min; autoroute–client: 10 km in 10 min.
				Distance: [][]float64{{0, 20, 5}, {20, 0, 10}, {5, 10, 0}},
				Time:     [][]float64{{0, 25, 30}, {25, 0, 10}, {30, 10, 0}}}}
		for _, base := range []string{"montagne", "autoroute"} {
			p.Technicians = append(p.Technicians, Technician{ID: base, StartSite: base, EndSite: base, Shifts: []Shift{{0, 480}}})
		}
		p.Tasks = []Task{{ID: "panne", Site: "client", Duration: 60}}
		return roundTrip(t, p)
	}
	for _, c := range []struct {
		objective []string
		tech      string
		travel    float64
	}{{[]string{ObjDistance}, "montagne", 60}, {[]string{ObjTravelTime}, "autoroute", 20}, {[]string{ObjTravelTime, ObjDistance}, "autoroute", 20}} {
		sol := solveChecked(t, build(c.objective...), Options{Seed: 1, Iterations: 200})
		if r := routeOf(sol, "panne"); r == nil || r.Technician != c.tech {
			t.Fatalf("%v: served by %+v, want technician %s", c.objective, r, c.tech)
		}
		if sol.TravelTime != c.travel || sol.Routes[0].TravelTime != c.travel {
			t.Fatalf("%v: travel time %v (route %v), want %v", c.objective, sol.TravelTime, sol.Routes[0].TravelTime, c.travel)
		}
	}
}

// Work at the technicians' own base costs no travel, so every split of it is equal on distance,
// travel and duration: balance decides, and gives each technician the same share.
func TestBalanceSharesWorkThatCostsTheSame(t *testing.T) {
	p := small(ObjTravelTime, ObjDuration, ObjBalance)
	addTech(p, "a", Shift{0, 600})
	addTech(p, "b", Shift{0, 600})
	for _, id := range []string{"1", "2", "3", "4"} {
		addTask(p, id, 0, 0, 60)
	}
	sol := solveChecked(t, roundTrip(t, p), Options{Seed: 3, Iterations: 500})
	if len(sol.Routes) != 2 || len(sol.Routes[0].Stops) != 2 || len(sol.Routes[1].Stops) != 2 {
		t.Fatalf("want two stops each, got %+v", sol.Routes)
	}
	if sol.Balance == nil || *sol.Balance > 1e-12 {
		t.Fatalf("balance %v, want 0", sol.Balance)
	}

	// Utilisation, not hours: a technicien working one short shift takes a smaller share.
	q := small(ObjDuration, ObjBalance)
	addTech(q, "plein", Shift{0, 600})
	addTech(q, "mi-temps", Shift{0, 300})
	for _, id := range []string{"1", "2", "3"} {
		addTask(q, id, 0, 0, 100)
	}
	sol = solveChecked(t, roundTrip(t, q), Options{Seed: 3, Iterations: 500})
	for _, r := range sol.Routes {
		want := map[string]int{"plein": 2, "mi-temps": 1}[r.Technician]
		if len(r.Stops) != want {
			t.Fatalf("%s serves %d tasks, want %d: %+v", r.Technician, len(r.Stops), want, sol.Routes)
		}
	}
	if sol.Balance == nil || math.Abs(*sol.Balance) > 1e-12 {
		t.Fatalf("balance %v, want 0 (both at 1/3)", sol.Balance)
	}
}

// Balance comes last: it never buys an even split with more travel.
func TestBalanceNeverCostsTravel(t *testing.T) {
	p := small(ObjTravelTime, ObjBalance)
	addTech(p, "a", Shift{0, 1000})
	addTech(p, "b", Shift{0, 1000})
	// Two tasks side by side far from the base: one trip serves both.
	addTask(p, "1", 100, 0, 30)
	addTask(p, "2", 100, 1, 30)
	sol := solveChecked(t, roundTrip(t, p), Options{Seed: 1, Iterations: 500})
	if len(sol.Routes) != 1 {
		t.Fatalf("want one route (one trip), got %+v", sol.Routes)
	}
	if sol.Balance == nil || *sol.Balance <= 0 {
		t.Fatalf("balance %v, want > 0 (one technician works, the other not)", sol.Balance)
	}
}

func TestObjectiveListNamesTheExtensions(t *testing.T) {
	p := small("equite")
	addTech(p, "a")
	err := p.Validate()
	if err == nil || !strings.Contains(err.Error(), `"travel_time", "balance"`) {
		t.Fatalf("got %v", err)
	}
}
