package routing

import (
	"math"
	"strings"
	"testing"
)

func TestParseSolomon(t *testing.T) {
	src := genVRPTW(31, 25, 7, 200)
	src.Name = "GEN31"
	text := solomonText(src)
	p, err := ParseSolomon([]byte(text), SolomonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "GEN31" || p.Travel.Metric != MetricEuclidean || p.Travel.Speed != 1 || len(p.Technicians) != 7 ||
		*p.Technicians[3].Capacity != 200 || p.Technicians[3].Shifts[0] != (Shift{0, 1000}) || len(p.Tasks) != 25 ||
		p.Depots[0] != (Depot{ID: "0", Site: "0", Open: 0, Close: 1000, Restock: true}) ||
		strings.Join(p.Objective, ",") != "vehicles,distance" {
		t.Fatalf("converted %+v", p)
	}
	for i, task := range p.Tasks {
		want := src.Tasks[i]
		if task.ID != want.ID || task.Duration != want.Duration || task.Demand != want.Demand || task.Windows[0] != want.Windows[0] ||
			*p.Sites[i+1].X != *src.Sites[i+1].X || *p.Sites[i+1].Y != *src.Sites[i+1].Y || task.OutsourcingCost != nil {
			t.Fatalf("task %d: %+v, want %+v", i, task, want)
		}
	}
	roundTrip(t, p)

	q, err := ParseSolomon([]byte(text), SolomonOptions{Name: "GEN31.trunc", Objective: []string{ObjDistance}, Distances: DistancesTrunc1})
	if err != nil {
		t.Fatal(err)
	}
	if q.Travel.Metric != MetricMatrix || len(q.Travel.Distance) != 26 {
		t.Fatalf("trunc1 travel %+v", q.Travel.Metric)
	}
	for _, pair := range [][2]int{{0, 1}, {3, 17}, {24, 2}} {
		a, b := p.Sites[pair[0]], p.Sites[pair[1]]
		exact := math.Hypot(*a.X-*b.X, *a.Y-*b.Y)
		got := q.Travel.Distance[pair[0]][pair[1]]
		if got > exact || exact-got >= 0.1 || math.Abs(got*10-math.Round(got*10)) > 1e-9 || q.Travel.Time[pair[0]][pair[1]] != got {
			t.Fatalf("trunc1 %v: %v for %v", pair, got, exact)
		}
	}
	sol := solveChecked(t, roundTrip(t, q), Options{Iterations: 1000})
	if len(sol.Unassigned) != 0 {
		t.Fatalf("unassigned %+v", sol.Unassigned)
	}

	for _, bad := range []struct{ text, want string }{
		{"X\r\n\r\nCUSTOMER\r\n 0 1 2 3 4 5 6\r\n", "no VEHICLE section"},
		{"X\r\nVEHICLE\r\nNUMBER CAPACITY\r\n 3 100\r\nCUSTOMER\r\nCUST NO.\r\n 0 1 2 3 4 5\r\n", "expected 7 numbers"},
		{"X\r\nVEHICLE\r\nNUMBER CAPACITY\r\n 3 100\r\nCUSTOMER\r\nCUST NO.\r\n 0 1 2 3 4 5 x\r\n", `"x" is not a number`},
		{"X\r\nVEHICLE\r\nNUMBER CAPACITY\r\n 3 100\r\n", "no CUSTOMER rows"},
	} {
		if _, err := ParseSolomon([]byte(bad.text), SolomonOptions{}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want %q", bad.text, err, bad.want)
		}
	}
}
