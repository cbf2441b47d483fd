package routing

import (
	"fmt"
	"math"
)

// TravelModel gives the distance and the travel time between two sites, named by their index in
// a problem's Sites. The solver reads it once into dense matrices.
//
// The built-in models are off-line (euclidean, haversine with a detour factor, an explicit
// matrix). A road network is plugged in by turning its answer into the matrix metric (see
// MatrixTravel): an OSRM "table" request for the problem's sites gives both matrices, and the
// problem file then stays self-contained and reproducible.
type TravelModel interface {
	Leg(from, to int) (distance, time float64)
}

// EarthRadiusKm is the mean Earth radius used by the haversine metric.
const EarthRadiusKm = 6371.0088

// HaversineKm is the great-circle distance between two points given in degrees.
func HaversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// NewTravelModel returns the travel model the problem describes. The problem must be valid.
func NewTravelModel(p *Problem) (TravelModel, error) {
	t := p.Travel
	speed := t.Speed
	if speed == 0 {
		speed = 1
	}
	switch t.Metric {
	case MetricEuclidean:
		return euclidean{sites: p.Sites, speed: speed}, nil
	case MetricHaversine:
		detour := t.Detour
		if detour == 0 {
			detour = 1
		}
		return haversine{sites: p.Sites, speed: speed, detour: detour}, nil
	case MetricMatrix:
		pos := make(map[string]int, len(t.Sites))
		for i, id := range t.Sites {
			pos[id] = i
		}
		m := matrix{t: t, row: make([]int, len(p.Sites))}
		for i, s := range p.Sites {
			j, ok := pos[s.ID]
			if !ok {
				return nil, fmt.Errorf("routing: site %q is missing from the travel matrix", s.ID)
			}
			m.row[i] = j
		}
		return m, nil
	}
	return nil, fmt.Errorf("routing: unknown travel metric %q", t.Metric)
}

type euclidean struct {
	sites []Site
	speed float64
}

func (e euclidean) Leg(a, b int) (float64, float64) {
	d := math.Hypot(*e.sites[a].X-*e.sites[b].X, *e.sites[a].Y-*e.sites[b].Y)
	return d, d / e.speed
}

type haversine struct {
	sites         []Site
	speed, detour float64
}

func (h haversine) Leg(a, b int) (float64, float64) {
	if a == b {
		return 0, 0
	}
	sa, sb := h.sites[a], h.sites[b]
	d := HaversineKm(*sa.Lat, *sa.Lon, *sb.Lat, *sb.Lon) * h.detour
	return d, d / h.speed
}

type matrix struct {
	t   Travel
	row []int // problem site index → matrix index
}

func (m matrix) Leg(a, b int) (float64, float64) {
	i, j := m.row[a], m.row[b]
	return m.t.Distance[i][j], m.t.Time[i][j]
}

// MatrixTravel evaluates a model between all the given sites and returns it as the matrix
// metric, for a problem file that no longer needs the model.
func MatrixTravel(m TravelModel, sites []Site) Travel {
	t := Travel{Metric: MetricMatrix, Sites: make([]string, len(sites)), Distance: make([][]float64, len(sites)), Time: make([][]float64, len(sites))}
	for i, s := range sites {
		t.Sites[i] = s.ID
		t.Distance[i] = make([]float64, len(sites))
		t.Time[i] = make([]float64, len(sites))
		for j := range sites {
			t.Distance[i][j], t.Time[i][j] = m.Leg(i, j)
		}
	}
	return t
}
