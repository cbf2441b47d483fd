package config

import (
	"fmt"
	"time"
)

// Workflows configures the durable processes: escalation ladder, preventive cycles, planning and
// housekeeping schedules. SLA defaults per priority live in SLA.
type Workflows struct {
	// EscalateAssignAfter: a critique/urgent intervention not assigned after this delay is
	// escalated to the responsables.
	EscalateAssignAfter time.Duration
	// EscalateStartAfter: a critique/urgent intervention not started after this delay is escalated
	// to the administrators.
	EscalateStartAfter time.Duration
	// PreventiveLeadTime: a preventive intervention is opened this long before its due date.
	PreventiveLeadTime time.Duration
	// MaintenanceDueHorizon: the daily notice lists equipment due within this horizon.
	MaintenanceDueHorizon time.Duration
	// Schedules turns the creation of Temporal Schedules at worker start-up on or off.
	Schedules bool
	// Timezone of the weekly planning schedule and of working hours.
	Timezone string
	// PlanningCron is the weekly planning schedule, in Timezone.
	PlanningCron string
	// HousekeepingCron is the daily housekeeping schedule, in Timezone.
	HousekeepingCron string
	// DefaultDuree is the planned duration (minutes) of an intervention assigned without one.
	DefaultDuree int
	// DemandeTriageDelay: a client request nobody triaged after this delay is escalated.
	DemandeTriageDelay time.Duration
}

// DefaultWorkflows is the workflow configuration with every variable unset.
func DefaultWorkflows() Workflows {
	r := reader{lookup: func(string) (string, bool) { return "", false }}
	return r.workflows()
}

// DefaultSLA is the SLA configuration with every variable unset (the values Load uses).
func DefaultSLA() SLA {
	c, err := Load(ModeDev, func(string) (string, bool) { return "", false })
	if err != nil { // cannot happen: the dev defaults are valid (TestDefaultsInDev)
		return SLA{Critique: 4 * time.Hour, Haute: 24 * time.Hour, Normale: 72 * time.Hour, Basse: 7 * 24 * time.Hour, CriticiteA: 24 * time.Hour}
	}
	return c.SLA
}

func (r *reader) workflows() Workflows {
	w := Workflows{
		EscalateAssignAfter:   r.duration("MIF_ESCALATION_ASSIGN_AFTER", 30*time.Minute),
		EscalateStartAfter:    r.duration("MIF_ESCALATION_START_AFTER", 2*time.Hour),
		PreventiveLeadTime:    r.duration("MIF_PREVENTIVE_LEAD_TIME", 7*24*time.Hour),
		MaintenanceDueHorizon: r.duration("MIF_MAINTENANCE_DUE_HORIZON", 7*24*time.Hour),
		Schedules:             r.boolean("MIF_SCHEDULES_ENABLED", true),
		Timezone:              r.str("MIF_PLANNING_TIMEZONE", "Africa/Casablanca"),
		PlanningCron:          r.str("MIF_PLANNING_CRON", "0 6 * * 1"),
		HousekeepingCron:      r.str("MIF_HOUSEKEEPING_CRON", "30 5 * * *"),
		DefaultDuree:          r.intRange("MIF_DEFAULT_DUREE_MINUTES", 120, 15, 10080),
		DemandeTriageDelay:    r.duration("MIF_DEMANDE_TRIAGE_DELAY", 4*time.Hour),
	}
	for name, d := range map[string]time.Duration{
		"MIF_ESCALATION_ASSIGN_AFTER": w.EscalateAssignAfter, "MIF_ESCALATION_START_AFTER": w.EscalateStartAfter,
		"MIF_MAINTENANCE_DUE_HORIZON": w.MaintenanceDueHorizon, "MIF_DEMANDE_TRIAGE_DELAY": w.DemandeTriageDelay,
	} {
		if d <= 0 {
			r.fail(name, "must be a positive duration")
		}
	}
	if w.PreventiveLeadTime < 0 {
		r.fail("MIF_PREVENTIVE_LEAD_TIME", "must not be negative")
	}
	if w.EscalateStartAfter < w.EscalateAssignAfter {
		r.fail("MIF_ESCALATION_START_AFTER", "must not be shorter than MIF_ESCALATION_ASSIGN_AFTER")
	}
	if _, err := time.LoadLocation(w.Timezone); err != nil {
		r.fail("MIF_PLANNING_TIMEZONE", fmt.Sprintf("unknown time zone %q", w.Timezone))
	}
	return w
}
