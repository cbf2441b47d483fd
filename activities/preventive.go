package activities

import (
	"context"
	"errors"
	"time"

	"github.com/mifmaroc/mif/domain"
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
}

// LoadPreventivePlan reads the equipment's frequency and last maintenance.
func (a *Activities) LoadPreventivePlan(ctx context.Context, in PreventivePlanInput) (PreventivePlan, error) {
	_, wf := a.workflowsConfig()
	eq, err := a.Store.GetEquipement(ctx, in.EquipementID)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return PreventivePlan{}, nil // gone: the cycle ends
		}
		return PreventivePlan{}, temporalerr.Wrap(err)
	}
	p := PreventivePlan{Nom: eq.Nom, Derniere: eq.DerniereMaintenance, Prochaine: eq.ProchaineMaintenance(), LeadTime: wf.PreventiveLeadTime, DefaultDuree: wf.DefaultDuree}
	if eq.FrequenceEntretien != nil {
		p.Frequence = *eq.FrequenceEntretien
	}
	p.Active = eq.Statut != domain.EquipementRetire && p.Frequence > 0 && p.Prochaine != nil
	return p, nil
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
