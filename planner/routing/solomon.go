package routing

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Distance conventions of published Solomon results (see BKS.md beside the instances).
const (
	// DistancesDouble is unrounded double-precision euclidean distances (the literature's
	// convention for the vehicles-then-distance results).
	DistancesDouble = "double"
	// DistancesTrunc1 truncates every arc to one decimal, for travel time as well (the convention
	// of the exact methods that proved the distance-only optima). It is written as a matrix.
	DistancesTrunc1 = "trunc1"
)

// SolomonOptions choose how a Solomon instance is converted.
type SolomonOptions struct {
	Name      string   // default: the name line of the file
	Objective []string // default: vehicles, then distance
	Distances string   // DistancesDouble (default) or DistancesTrunc1
}

// ParseSolomon converts a Solomon VRPTW text file as FORMAT.md describes: node 0 is the depot
// (its window opens and closes the depot, and is the one shift of NUMBER identical technicians
// of capacity CAPACITY starting and ending there); every customer is a task with its service
// time, one window [ready, due] and its demand; travel is euclidean with speed 1.
func ParseSolomon(data []byte, opt SolomonOptions) (*Problem, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	var lines []string
	for sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	name := opt.Name
	vehicles, capacity := -1, 0.0
	type node struct{ no, x, y, demand, ready, due, service float64 }
	var nodes []node
	inCustomers := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "":
			continue
		case name == "" && i == firstNonEmpty(lines):
			name = l
		case strings.HasPrefix(strings.ToUpper(l), "NUMBER"):
			for i++; i < len(lines) && lines[i] == ""; i++ {
			}
			f := strings.Fields(lineAt(lines, i))
			if len(f) != 2 {
				return nil, fmt.Errorf("solomon: line %d: expected NUMBER and CAPACITY", i+1)
			}
			n, err1 := strconv.Atoi(f[0])
			c, err2 := strconv.ParseFloat(f[1], 64)
			if err1 != nil || err2 != nil || n <= 0 || c < 0 {
				return nil, fmt.Errorf("solomon: line %d: bad vehicle number or capacity %q", i+1, lines[i])
			}
			vehicles, capacity = n, c
		case strings.HasPrefix(strings.ToUpper(l), "CUST"):
			inCustomers = true
		case inCustomers:
			f := strings.Fields(l)
			if len(f) != 7 {
				return nil, fmt.Errorf("solomon: line %d: expected 7 numbers, got %q", i+1, l)
			}
			var v [7]float64
			for k, s := range f {
				x, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return nil, fmt.Errorf("solomon: line %d: %q is not a number", i+1, s)
				}
				v[k] = x
			}
			nodes = append(nodes, node{v[0], v[1], v[2], v[3], v[4], v[5], v[6]})
		}
	}
	if vehicles < 0 {
		return nil, fmt.Errorf("solomon: no VEHICLE section (NUMBER, CAPACITY)")
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("solomon: no CUSTOMER rows")
	}
	obj := opt.Objective
	if len(obj) == 0 {
		obj = []string{ObjVehicles, ObjDistance}
	}
	id := func(no float64) string { return strconv.FormatFloat(no, 'f', -1, 64) }
	depot := nodes[0]
	p := &Problem{Format: FormatProblem, Name: name, TimeUnit: "minute", Travel: Travel{Metric: MetricEuclidean, Speed: 1},
		Objective: obj}
	for _, n := range nodes {
		p.Sites = append(p.Sites, SiteXY(id(n.no), n.x, n.y))
	}
	p.Depots = []Depot{{ID: id(depot.no), Site: id(depot.no), Open: depot.ready, Close: depot.due, Restock: true}}
	for k := 1; k <= vehicles; k++ {
		c := capacity
		p.Technicians = append(p.Technicians, Technician{ID: strconv.Itoa(k), StartSite: id(depot.no), EndSite: id(depot.no),
			Shifts: []Shift{{depot.ready, depot.due}}, Skills: map[string]int{}, Tools: []string{}, Stock: map[string]int{}, Capacity: &c})
	}
	for _, n := range nodes[1:] {
		p.Tasks = append(p.Tasks, Task{ID: id(n.no), Site: id(n.no), Duration: n.service, Windows: []Window{{n.ready, n.due}},
			Skills: map[string]int{}, Tools: []string{}, Parts: map[string]int{}, Demand: n.demand})
	}
	switch opt.Distances {
	case "", DistancesDouble:
	case DistancesTrunc1:
		m, err := NewTravelModel(p)
		if err != nil {
			return nil, err
		}
		t := MatrixTravel(trunc1{m}, p.Sites)
		p.Travel = t
	default:
		return nil, fmt.Errorf("solomon: unknown distance convention %q (expected %q or %q)", opt.Distances, DistancesDouble, DistancesTrunc1)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("solomon: %w", err)
	}
	return p, nil
}

type trunc1 struct{ m TravelModel }

func (t trunc1) Leg(a, b int) (float64, float64) {
	d, _ := t.m.Leg(a, b)
	d = math.Floor(d*10) / 10
	return d, d
}

func firstNonEmpty(lines []string) int {
	for i, l := range lines {
		if l != "" {
			return i
		}
	}
	return -1
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}
