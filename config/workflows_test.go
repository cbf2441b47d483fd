package config

import (
	"strings"
	"testing"
	"time"
)

func TestWorkflowsDefaultsAndOverrides(t *testing.T) {
	c, err := Load(ModeDev, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Workflows
	if w.EscalateAssignAfter != 30*time.Minute || w.EscalateStartAfter != 2*time.Hour || w.PreventiveLeadTime != 7*24*time.Hour ||
		!w.Schedules || w.Timezone != "Africa/Casablanca" || w.PlanningCron != "0 6 * * 1" || w.DefaultDuree != 120 {
		t.Fatalf("defaults: %+v", w)
	}
	if DefaultWorkflows() != w {
		t.Fatalf("DefaultWorkflows differs from Load: %+v", DefaultWorkflows())
	}
	if DefaultSLA() != c.SLA {
		t.Fatalf("DefaultSLA differs from Load")
	}
	c, err = Load(ModeDev, env(map[string]string{"MIF_ESCALATION_ASSIGN_AFTER": "5m", "MIF_SCHEDULES_ENABLED": "false", "MIF_PREVENTIVE_LEAD_TIME": "0s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Workflows.EscalateAssignAfter != 5*time.Minute || c.Workflows.Schedules || c.Workflows.PreventiveLeadTime != 0 {
		t.Fatalf("overrides: %+v", c.Workflows)
	}
}

func TestWorkflowsBadValuesAreNamed(t *testing.T) {
	_, err := Load(ModeDev, env(map[string]string{
		"MIF_ESCALATION_ASSIGN_AFTER": "3h", "MIF_ESCALATION_START_AFTER": "1h",
		"MIF_PLANNING_TIMEZONE": "Mars/Olympus", "MIF_PREVENTIVE_LEAD_TIME": "-1h", "MIF_DEFAULT_DUREE_MINUTES": "1",
	}))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"MIF_ESCALATION_START_AFTER", "MIF_PLANNING_TIMEZONE", "MIF_PREVENTIVE_LEAD_TIME", "MIF_DEFAULT_DUREE_MINUTES"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
