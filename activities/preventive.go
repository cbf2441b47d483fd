package activities

import (
	"context"
	"errors"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/temporalerr"
)

// PreventivePlanInput asks for the preventive state of one equipment.
type PreventivePlanInput struct {
	EquipementID int64
}

// PreventivePlan is the equipment as its preventive cycle sees it.
type PreventivePlan struct {
	// Active is false when the equipment is gone, retired or has no frequency: the cycle ends.
	Active       bool
	Nom          string
	Frequence    int
	Derniere     *time.Time
	Prochaine    *time.Time
	LeadTime     time.Duration
	DefaultDuree int
	// Declencheur is the plan's type ("" from runs recorded before usage plans: calendar).
	Declencheur string
	// The usage part (usage and whichever-first plans): the meter, its total now, the threshold
	// of the next occurrence, its recent rate per day and the forecast date of the threshold.
	CompteurID     int64
	UsageCumule    float64
	SeuilUsage     float64
	UsageJour      *float64
	PrevisionUsage *time.Time
	// Calendar tells whether the calendar part runs (Prochaine is then its due date), Usage
	// whether the usage part does.
	Calendar bool
	Usage    bool
}

// LoadPreventivePlan reads the equipment's plan (frequency, meter and interval), its last
// maintenance and where the meter stands.
func (a *Activities) LoadPreventivePlan(ctx context.Context, in PreventivePlanInput) (PreventivePlan, error) {
	_, wf := a.workflowsConfig()
	eq, err := a.Store.GetEquipement(ctx, in.EquipementID)
	if err == nil {
		var plan domain.PlanPreventif
		if plan, err = a.Store.GetPlanPreventif(ctx, domain.Principal{}, in.EquipementID); err == nil {
			return PreventivePlanFrom(plan, eq.Nom, eq.DerniereMaintenance, wf.PreventiveLeadTime, wf.DefaultDuree), nil
		}
	}
	if errors.Is(err, domain.ErrNotFound) {
		return PreventivePlan{}, nil // gone: the cycle ends
	}
	return PreventivePlan{}, temporalerr.Wrap(err)
}

// PreventivePlanFrom is the plan as the cycle sees it (plan.Prevoir must have run). The calendar
// due date of a whichever-first plan counts from its last occurrence when that is later than the
// last maintenance.
func PreventivePlanFrom(plan domain.PlanPreventif, nom string, derniere *time.Time, leadTime time.Duration, defaultDuree int) PreventivePlan {
	p := PreventivePlan{Nom: nom, Derniere: derniere, LeadTime: leadTime, DefaultDuree: defaultDuree, Declencheur: plan.Declencheur,
		Calendar: plan.UsesCalendar(), Usage: plan.UsesUsage()}
	if plan.FrequenceJours != nil {
		p.Frequence = *plan.FrequenceJours
	}
	if p.Calendar {
		p.Prochaine = plan.ProchaineCalendrier
	}
	if p.Usage {
		p.CompteurID, p.SeuilUsage, p.UsageJour, p.PrevisionUsage = *plan.CompteurID, *plan.SeuilUsage, plan.UsageJour, plan.PrevisionUsage
		if plan.UsageCumule != nil {
			p.UsageCumule = *plan.UsageCumule
		}
	}
	p.Active = !plan.Retire && ((p.Calendar && p.Prochaine != nil) || p.Usage)
	return p
}

// PreventiveOccurrenceInput is one occurrence a cycle is about to open.
type PreventiveOccurrenceInput struct {
	EquipementID int64
	Cle          string
	Declencheur  string
	Cause        string
	Echeance     time.Time
	Reference    time.Time
	CompteurID   int64
	SeuilUsage   float64
	UsageCumule  float64
	WorkflowID   string
}

// PreventiveOccurrenceResult says whether this call recorded the occurrence (false: it was).
type PreventiveOccurrenceResult struct {
	Created bool
}

// RecordPreventiveOccurrence records the occurrence once per (equipment, key) and restarts the
// counters of a usage or whichever-first plan from it (storage.RecordPreventiveOccurrence).
func (a *Activities) RecordPreventiveOccurrence(ctx context.Context, in PreventiveOccurrenceInput) (PreventiveOccurrenceResult, error) {
	o := storage.OccurrencePreventive{EquipementID: in.EquipementID, Cle: in.Cle, Declencheur: in.Declencheur, Cause: in.Cause,
		Echeance: in.Echeance, Reference: in.Reference, WorkflowID: in.WorkflowID}
	if in.CompteurID > 0 {
		o.CompteurID, o.SeuilUsage, o.UsageCumule = &in.CompteurID, &in.SeuilUsage, &in.UsageCumule
	}
	created, err := a.Store.RecordPreventiveOccurrence(ctx, o)
	return PreventiveOccurrenceResult{Created: created}, temporalerr.Wrap(err)
}

// RecordMaintenanceInput is a maintenance done outside the preventive plan.
type RecordMaintenanceInput struct {
	EquipementID int64
	Date         time.Time
	ActeurID     *int64
	EventKey     string
}

// RecordMaintenance moves derniere_maintenance forward to Date (never backwards), once per EventKey.
func (a *Activities) RecordMaintenance(ctx context.Context, in RecordMaintenanceInput) error {
	return temporalerr.Wrap(a.Store.RecordOutOfPlanMaintenance(ctx, in.EquipementID, in.Date, in.ActeurID, in.EventKey))
}
