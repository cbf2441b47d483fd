package config

import (
	"strings"
	"testing"
	"time"
)

func TestPlanningDefaultsAndOverrides(t *testing.T) {
	c, err := Load(ModeDev, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Planning
	if p.DetourFactor != 1.3 || p.SpeedKmh != 50 || p.TimeBudget != 20*time.Second || p.OptimizeWait != 10*time.Second {
		t.Fatalf("defaults: %+v", p)
	}
	if DefaultPlanning() != p {
		t.Fatalf("DefaultPlanning differs from Load: %+v", DefaultPlanning())
	}
	c, err = Load(ModeDev, env(map[string]string{"MIF_PLANNING_DETOUR_FACTOR": "1.45", "MIF_PLANNING_SPEED_KMH": "62.5",
		"MIF_PLANNING_TIME_BUDGET": "5s", "MIF_PLANNING_OPTIMIZE_WAIT": "0s"}))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Planning; p.DetourFactor != 1.45 || p.SpeedKmh != 62.5 || p.TimeBudget != 5*time.Second || p.OptimizeWait != 0 {
		t.Fatalf("overrides: %+v", p)
	}
}

func TestPlanningBadValuesAreNamed(t *testing.T) {
	_, err := Load(ModeDev, env(map[string]string{"MIF_PLANNING_DETOUR_FACTOR": "0.8", "MIF_PLANNING_SPEED_KMH": "vite",
		"MIF_PLANNING_TIME_BUDGET": "0s", "MIF_PLANNING_OPTIMIZE_WAIT": "5m"}))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"MIF_PLANNING_DETOUR_FACTOR", "MIF_PLANNING_SPEED_KMH", "MIF_PLANNING_TIME_BUDGET", "MIF_PLANNING_OPTIMIZE_WAIT"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
