package config

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Planning configures the route planning: how travel is estimated and how long the solver
// searches.
type Planning struct {
	// DetourFactor turns great-circle kilometres into road kilometres (the off-line travel
	// model: haversine × DetourFactor / SpeedKmh).
	DetourFactor float64
	// SpeedKmh is the average driving speed, stops and traffic included.
	SpeedKmh float64
	// TimeBudget bounds one run of the solver (the weekly planning, an optimisation).
	TimeBudget time.Duration
	// OptimizeWait is how long POST /planning/optimize waits for its answer before it hands
	// back a status URL instead (202).
	OptimizeWait time.Duration
}

// DefaultPlanning is the planning configuration with every variable unset.
func DefaultPlanning() Planning {
	r := reader{lookup: func(string) (string, bool) { return "", false }}
	return r.planning()
}

func (r *reader) planning() Planning {
	p := Planning{
		DetourFactor: r.floatRange("MIF_PLANNING_DETOUR_FACTOR", 1.3, 1, 3),
		SpeedKmh:     r.floatRange("MIF_PLANNING_SPEED_KMH", 50, 5, 130),
		TimeBudget:   r.duration("MIF_PLANNING_TIME_BUDGET", 20*time.Second),
		OptimizeWait: r.duration("MIF_PLANNING_OPTIMIZE_WAIT", 10*time.Second),
	}
	if p.TimeBudget <= 0 || p.TimeBudget > 10*time.Minute {
		r.fail("MIF_PLANNING_TIME_BUDGET", "must be a positive duration of at most 10m")
	}
	if p.OptimizeWait < 0 || p.OptimizeWait > time.Minute {
		r.fail("MIF_PLANNING_OPTIMIZE_WAIT", "must be between 0s and 1m")
	}
	return p
}

func (r *reader) floatRange(name string, def, lo, hi float64) float64 {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		r.fail(name, fmt.Sprintf("must be a number between %v and %v, got %q", lo, hi, s))
		return def
	}
	return f
}
