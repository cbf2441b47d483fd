package routing

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

func checkProblem() *Problem {
	p := small(ObjDistance)
	p.Sites = append(p.Sites, SiteXY("magasin", 30, 0))
	p.Depots = []Depot{{ID: "magasin", Site: "magasin", Open: 0, Close: 1000, Restock: true}}
	a := addTech(p, "1")
	a.Skills, a.Stock, a.Tools, a.Capacity = map[string]int{"hydraulique": 2}, map[string]int{"joint-45": 1}, []string{"nacelle"}, ptr(10.0)
	addTech(p, "2")
	for i, id := range []string{"a", "b", "c"} {
		t := addTask(p, id, 20+float64(10*i), 10, 15, Window{0, 500})
		t.Skills, t.Parts, t.Demand, t.Tools = map[string]int{"hydraulique": 2}, map[string]int{"joint-45": 1}, 3, []string{"nacelle"}
	}
	return p
}

func TestCheckCatchesEveryKindOfViolation(t *testing.T) {
	p := checkProblem()
	good := solveChecked(t, p, Options{Iterations: 300})
	if len(good.Routes) != 1 || len(good.Routes[0].Stops) != 5 {
		t.Fatalf("setup: want one route with three tasks and two restocking visits, got %+v", good)
	}
	clone := func() *Solution {
		var s Solution
		b, _ := json.Marshal(good)
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		return &s
	}
	firstTask := func(s *Solution) int {
		return slices.IndexFunc(s.Routes[0].Stops, func(x string) bool { return x != "magasin" })
	}
	cases := []struct {
		name    string
		corrupt func(*Problem, *Solution)
		want    string
	}{
		{"start outside the window", func(p *Problem, s *Solution) {
			p.Tasks[0].Windows = []Window{{0, 5}}
		}, "outside its windows"},
		{"start before arrival", func(p *Problem, s *Solution) {
			i := len(s.Routes[0].Stops) - 1
			s.Routes[0].StartTimes[i] = s.Routes[0].StartTimes[i-1]
		}, "before arriving"},
		{"skill level", func(p *Problem, s *Solution) {
			p.Technicians[0].Skills["hydraulique"] = 1
		}, "technician has hydraulique at level 1, needs 2"},
		{"tool", func(p *Problem, s *Solution) {
			p.Technicians[0].Tools = nil
		}, "lacks the tool nacelle"},
		{"stock without restocking", func(p *Problem, s *Solution) {
			r := &s.Routes[0]
			for i := len(r.Stops) - 1; i >= 0; i-- {
				if r.Stops[i] == "magasin" {
					r.Stops = slices.Delete(r.Stops, i, i+1)
					r.StartTimes = slices.Delete(r.StartTimes, i, i+1)
				}
			}
		}, "out of joint-45"},
		{"capacity", func(p *Problem, s *Solution) {
			p.Technicians[0].Capacity = ptr(8.0)
		}, "over capacity"},
		{"shift end", func(p *Problem, s *Solution) {
			p.Technicians[0].Shifts[0].End = s.Routes[0].Return - 1
		}, "after its shift ends"},
		{"shift start", func(p *Problem, s *Solution) {
			p.Technicians[0].Shifts[0].Start = s.Routes[0].Departure + 1
		}, "before its shift starts"},
		{"task missing", func(p *Problem, s *Solution) {
			i := firstTask(s)
			s.Routes[0].Stops = slices.Delete(s.Routes[0].Stops, i, i+1)
			s.Routes[0].StartTimes = slices.Delete(s.Routes[0].StartTimes, i, i+1)
		}, "neither served nor listed as unassigned"},
		{"served twice", func(p *Problem, s *Solution) {
			r := s.Routes[0]
			s.Routes = append(s.Routes, Route{Technician: "2", Shift: 0, Stops: r.Stops[len(r.Stops)-1:], StartTimes: r.StartTimes[len(r.Stops)-1:]})
		}, "served 2 times"},
		{"unassigned without reason", func(p *Problem, s *Solution) {
			i := firstTask(s)
			s.Unassigned = append(s.Unassigned, Unassigned{Task: s.Routes[0].Stops[i]})
			s.Routes[0].Stops = slices.Delete(s.Routes[0].Stops, i, i+1)
			s.Routes[0].StartTimes = slices.Delete(s.Routes[0].StartTimes, i, i+1)
		}, "no reason given"},
		{"reported distance", func(p *Problem, s *Solution) { s.Distance += 1 }, "distance reported"},
		{"reported duration", func(p *Problem, s *Solution) { s.Duration -= 1 }, "duration reported"},
		{"reported travel time", func(p *Problem, s *Solution) { s.TravelTime += 2 }, "travel time reported"},
		{"route travel time", func(p *Problem, s *Solution) { s.Routes[0].TravelTime -= 2 }, "travel time reported"},
		{"reported balance", func(p *Problem, s *Solution) { s.Balance = ptr(0.0) }, "balance reported 0"},
		{"fleet limit", func(p *Problem, s *Solution) { p.FleetLimit = ptr(0) }, "1 routes used, fleet limit 0"},
		{"pinned elsewhere", func(p *Problem, s *Solution) {
			p.Tasks[1].Pinned = &Pin{Technician: "2", Shift: 0}
		}, "pinned to technician 2 shift 0"},
		{"unknown stop", func(p *Problem, s *Solution) { s.Routes[0].Stops[0] = "nowhere" }, "unknown stop"},
		{"two routes for one shift", func(p *Problem, s *Solution) {
			s.Routes = append(s.Routes, Route{Technician: "1", Shift: 0})
		}, "a second route for the same shift"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := checkProblem()
			s := clone()
			c.corrupt(p, s)
			err := Check(p, s)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a violation containing %q", err, c.want)
			}
		})
	}
}

func TestTimelineRetracesARoute(t *testing.T) {
	p := small(ObjDistance)
	addTech(p, "1", Shift{0, 1000})
	addTask(p, "a", 30, 40, 10, Window{100, 200}) // 50 from the base
	addTask(p, "b", 30, 0, 5)                     // 40 from a, 30 from the base
	sol := solveChecked(t, p, Options{Iterations: 100})
	legs, err := Timeline(p, sol.Routes[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(legs) != 3 {
		t.Fatalf("legs %+v", legs)
	}
	var dist float64
	for i, l := range legs {
		dist += l.Distance
		if l.Start < l.Arrival-1e-9 {
			t.Errorf("leg %d starts before it arrives: %+v", i, l)
		}
		if i > 0 && math.Abs(l.Arrival-(legs[i-1].End+l.Travel)) > 1e-9 {
			t.Errorf("leg %d: arrival %v, previous end %v + travel %v", i, l.Arrival, legs[i-1].End, l.Travel)
		}
	}
	if math.Abs(dist-sol.Distance) > 1e-9 || legs[2].Stop != "" || legs[2].Site != "base" || math.Abs(legs[2].Arrival-sol.Routes[0].Return) > 1e-9 {
		t.Fatalf("legs %+v against %+v", legs, sol.Routes[0])
	}
}
