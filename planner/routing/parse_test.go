package routing

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// The example of FORMAT.md, completed so that it is valid.
const exampleProblem = `{
  "format": "mif-routing-problem/0",
  "name": "C101",
  "time_unit": "minute",
  "travel": {"metric": "euclidean", "speed": 1.0},
  "sites": [{"id": "0", "x": 40, "y": 50}, {"id": "1", "x": 40, "y": 50}, {"id": "26", "x": 22, "y": 75}, {"id": "41", "x": 30, "y": 60}],
  "depots": [{"id": "0", "site": "0", "open": 0, "close": 1236, "restock": true}],
  "technicians": [{
    "id": "1", "start_site": "1", "end_site": "1",
    "shifts": [{"start": 0, "end": 1236}],
    "skills": {"electricite": 2, "hydraulique": 1},
    "tools": ["nacelle"], "stock": {"joint-45": 3},
    "capacity": null
  }],
  "tasks": [{
    "id": "26", "site": "26", "duration": 90,
    "windows": [{"start": 912, "end": 967}],
    "skills": {"hydraulique": 1}, "tools": [], "parts": {"joint-45": 1},
    "demand": 0, "priority": 0, "outsourcing_cost": null
  }, {
    "id": "41", "site": "41", "duration": 30,
    "windows": [{"start": 0, "end": 1000}],
    "skills": {}, "tools": ["nacelle"], "parts": {},
    "demand": 3, "priority": 1, "outsourcing_cost": 250,
    "pinned": {"technician": "1", "shift": 0}
  }],
  "fleet_limit": null,
  "objective": ["duration"]
}`

func TestParseExample(t *testing.T) {
	p, err := Parse([]byte(exampleProblem))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "C101" || len(p.Sites) != 4 || p.Technicians[0].Skills["electricite"] != 2 || p.Technicians[0].Capacity != nil ||
		p.Tasks[0].Parts["joint-45"] != 1 || p.Tasks[0].OutsourcingCost != nil || *p.Tasks[1].OutsourcingCost != 250 ||
		p.Tasks[1].Pinned == nil || p.Tasks[1].Pinned.Technician != "1" || p.FleetLimit != nil || p.Objective[0] != ObjDuration {
		t.Fatalf("parsed %+v", p)
	}
	sol := solveChecked(t, p, Options{Iterations: 200})
	if len(sol.Unassigned) != 0 || len(sol.Routes) != 1 {
		t.Fatalf("solution %+v", sol)
	}
}

func TestParseErrorsNameTheJSONPath(t *testing.T) {
	cases := []struct {
		name, from, to, want string
	}{
		{"window end not a number", `"windows": [{"start": 912, "end": 967}]`, `"windows": [{"start": 912, "end": "967"}]`,
			`tasks[0].windows[0].end: expected a number, got a string`},
		{"missing duration", `"id": "41", "site": "41", "duration": 30,`, `"id": "41", "site": "41",`, `tasks[1].duration: required`},
		{"skill level not an integer", `"skills": {"electricite": 2,`, `"skills": {"electricite": 2.5,`,
			`technicians[0].skills.electricite: expected an integer, got 2.5`},
		{"unknown field", `"demand": 3,`, `"demand": 3, "deman": 4,`, `tasks[1].deman: unknown field`},
		{"unknown site", `"id": "26", "site": "26"`, `"id": "26", "site": "99"`, `tasks[0].site: unknown site "99"`},
		{"window backwards", `{"start": 0, "end": 1000}`, `{"start": 1000, "end": 0}`, `tasks[1].windows[0].end: must not be before start`},
		{"negative duration", `"duration": 90`, `"duration": -90`, `tasks[0].duration: must be a number ≥ 0`},
		{"duplicate task id", `"id": "41", "site": "41"`, `"id": "26", "site": "41"`, `tasks[1].id: duplicate id "26"`},
		{"task id clashes with a depot", `"id": "26", "site": "26"`, `"id": "0", "site": "26"`, `tasks[0].id: duplicate id "0" (already depots[0])`},
		{"pinned to a missing shift", `"pinned": {"technician": "1", "shift": 0}`, `"pinned": {"technician": "1", "shift": 3}`,
			`tasks[1].pinned.shift: technician "1" has no shift 3`},
		{"bad metric", `"metric": "euclidean"`, `"metric": "manhattan"`, `travel.metric: unknown metric "manhattan"`},
		{"missing coordinate", `{"id": "26", "x": 22, "y": 75}`, `{"id": "26", "x": 22}`, `sites[2].y: required by the euclidean metric`},
		{"unknown objective", `"objective": ["duration"]`, `"objective": ["cost"]`, `objective[0]: unknown objective "cost"`},
		{"empty objective", `"objective": ["duration"]`, `"objective": []`, `objective: must list at least one`},
		{"fleet limit not an integer", `"fleet_limit": null`, `"fleet_limit": "two"`, `fleet_limit: expected an integer, got a string`},
		{"capacity", `"capacity": null`, `"capacity": true`, `technicians[0].capacity: expected a number or null, got a boolean`},
		{"wrong format", `"format": "mif-routing-problem/0"`, `"format": "other/1"`, `format: expected "mif-routing-problem/0"`},
		{"objective not an array", `"objective": ["duration"]`, `"objective": "duration"`, `objective: expected an array, got a string`},
		{"syntax error", `"fleet_limit": null,`, `"fleet_limit": null,,`, `invalid JSON at line 27, column 24`},
		{"truncated", `"objective": ["duration"]` + "\n}", `"objective": ["duration"]`, `unexpected end of the file`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(exampleProblem, c.from) {
				t.Fatalf("test setup: %q not in the example", c.from)
			}
			src := strings.Replace(exampleProblem, c.from, c.to, 1)
			_, err := Parse([]byte(src))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an InputError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestParseReportsEveryError(t *testing.T) {
	src := strings.Replace(exampleProblem, `"duration": 90`, `"duration": "90"`, 1)
	src = strings.Replace(src, `"start": 912`, `"start": null`, 1)
	_, err := Parse([]byte(src))
	var ie *InputError
	if !errors.As(err, &ie) || len(ie.Errors) != 2 {
		t.Fatalf("got %v", err)
	}
}

// A problem built in Go is validated by Solve too.
func TestSolveRejectsInvalidProblem(t *testing.T) {
	p := genVRPTW(1, 5, 2, 100)
	p.Tasks[2].Windows[0].End = math.NaN()
	_, err := Solve(context.Background(), p, Options{Iterations: 10})
	if err == nil || !strings.Contains(err.Error(), "tasks[2].windows[0].end") {
		t.Fatalf("got %v", err)
	}
}

func TestTravelModels(t *testing.T) {
	// Casablanca to Rabat, about 85 km as the crow flies.
	casa, rabat := SiteLatLon("casa", 33.5731, -7.5898), SiteLatLon("rabat", 34.0209, -6.8416)
	p := &Problem{Travel: Travel{Metric: MetricHaversine, Speed: 0.8, Detour: 1.3}, Sites: []Site{casa, rabat}}
	m, err := NewTravelModel(p)
	if err != nil {
		t.Fatal(err)
	}
	d, tt := m.Leg(0, 1)
	if d < 84*1.3 || d > 86*1.3 || math.Abs(tt-d/0.8) > 1e-9 {
		t.Fatalf("Casablanca–Rabat: %v km, %v min", d, tt)
	}
	if d, _ := m.Leg(1, 1); d != 0 {
		t.Fatalf("same site: %v", d)
	}
	e, _ := NewTravelModel(&Problem{Travel: Travel{Metric: MetricEuclidean, Speed: 2}, Sites: []Site{SiteXY("a", 0, 0), SiteXY("b", 3, 4)}})
	if d, tt := e.Leg(0, 1); d != 5 || tt != 2.5 {
		t.Fatalf("euclidean: %v, %v", d, tt)
	}
	mt := MatrixTravel(e, []Site{SiteXY("a", 0, 0), SiteXY("b", 3, 4)})
	x, _ := NewTravelModel(&Problem{Travel: mt, Sites: []Site{{ID: "b"}, {ID: "a"}}})
	if d, tt := x.Leg(1, 0); d != 5 || tt != 2.5 {
		t.Fatalf("matrix: %v, %v", d, tt)
	}
}
