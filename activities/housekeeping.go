package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/temporalerr"
)

// MaintenanceDueInput asks for the notices of equipment due before Now + the configured horizon.
type MaintenanceDueInput struct {
	Now time.Time
}

// MaintenanceDueResult counts the equipment due and the notifications created.
type MaintenanceDueResult struct {
	Due           int
	Notifications int
}

// NotifyMaintenanceDue tells the responsables about each equipment due soon, once per due date.
func (a *Activities) NotifyMaintenanceDue(ctx context.Context, in MaintenanceDueInput) (MaintenanceDueResult, error) {
	_, wf := a.workflowsConfig()
	due, err := a.Store.EquipementsDueBefore(ctx, in.Now.Add(wf.MaintenanceDueHorizon))
	if err != nil {
		return MaintenanceDueResult{}, temporalerr.Wrap(err)
	}
	res := MaintenanceDueResult{Due: len(due)}
	loc := a.location()
	for _, e := range due {
		day := e.Prochaine.Format(time.DateOnly) // as stored: the dedup key of earlier notices
		n, err := a.Notify(ctx, NotifyInput{Roles: []domain.Role{domain.RoleResponsable}, Notification: domain.NewNotification{
			Titre:    "Maintenance préventive à prévoir",
			Message:  fmt.Sprintf("%s : maintenance prévue le %s.", e.Nom, e.Prochaine.In(loc).Format("02/01/2006")),
			Type:     domain.NotificationInfo,
			Event:    "equipement.maintenance_due",
			Metadata: map[string]any{"equipement_id": e.ID, "prochaine_maintenance": day},
			DedupKey: fmt.Sprintf("maintenance-due/%d/%s", e.ID, day),
		}})
		if err != nil {
			return res, err
		}
		res.Notifications += len(n.Created)
	}
	return res, nil
}

// OverdueInput asks for the unfinished interventions past their SLA deadline.
type OverdueInput struct {
	Now time.Time
}

// OverdueResult lists them.
type OverdueResult struct {
	Interventions []domain.InterventionWorkflowRef
}

// FindOverdue lists interventions whose deadline (date_limite, contract SLA or the priority's
// default) has passed but that are not marked late: the workflows' SLA timers should have caught
// them; this is the safety net.
func (a *Activities) FindOverdue(ctx context.Context, in OverdueInput) (OverdueResult, error) {
	sla, _ := a.workflowsConfig()
	refs, err := a.Store.OverdueInterventions(ctx, in.Now, 500, map[domain.Priorite]time.Duration{
		domain.PrioriteCritique: sla.Critique, domain.PrioriteHaute: sla.Haute,
		domain.PrioriteNormale: sla.Normale, domain.PrioriteBasse: sla.Basse,
	})
	if err != nil {
		return OverdueResult{}, temporalerr.Wrap(err)
	}
	return OverdueResult{Interventions: refs}, nil
}
