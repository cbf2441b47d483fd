package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner"
)

// PlanningInput runs the weekly planning; WeekStart nil means the current week.
type PlanningInput struct {
	WeekStart *time.Time
}

// PlanningResult is what the planning did.
type PlanningResult struct {
	Semaine      time.Time            `json:"semaine"`
	Affectations []planner.Assignment `json:"affectations"`
	NonAffectees []planner.Unassigned `json:"non_affectees"`
	Charge       []ChargeTechnicien   `json:"charge"`
}

// ChargeTechnicien is one technicien's planned minutes in the week.
type ChargeTechnicien struct {
	TechnicienID int64 `json:"technicien_id"`
	Minutes      int   `json:"minutes"`
}

func planningActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
}

// WeeklyPlanningWorkflow plans the open interventions of a week (planner.Solve in an activity),
// hands each assignment to its intervention's workflow (which writes the row and the planning
// through its own, idempotent transition), notifies each technicien of his week, and reports what
// stayed unassigned and why.
func WeeklyPlanningWorkflow(ctx workflow.Context, in PlanningInput) (PlanningResult, error) {
	var a *activities.Activities
	var plan activities.PlanWeekResult
	if err := workflow.ExecuteActivity(planningActivityOptions(ctx), a.PlanWeek, activities.PlanWeekInput{
		WeekStart: in.WeekStart, Now: workflow.Now(ctx),
	}).Get(ctx, &plan); err != nil {
		return PlanningResult{}, err
	}
	res := PlanningResult{Semaine: plan.WeekStart, Affectations: []planner.Assignment{}, NonAffectees: plan.Plan.Unassigned}
	perTech := map[int64]int{}
	var techs []int64
	for _, as := range plan.Plan.Assignments {
		wfID := plan.Workflows[as.InterventionID]
		d := as.Start
		err := workflow.SignalExternalWorkflow(ctx, wfID, "", SignalPlanned, TransitionRequest{
			TechnicienID: &as.TechnicienID, DatePlanifiee: &d, DureeEstimee: as.Duree, Notes: "planning hebdomadaire",
		}).Get(ctx, nil)
		if err != nil {
			res.NonAffectees = append(res.NonAffectees, planner.Unassigned{InterventionID: as.InterventionID, Raison: "workflow de l'intervention terminé"})
			continue
		}
		res.Affectations = append(res.Affectations, as)
		if perTech[as.TechnicienID] == 0 {
			techs = append(techs, as.TechnicienID)
		}
		perTech[as.TechnicienID]++
	}
	for _, c := range plan.Charge {
		res.Charge = append(res.Charge, ChargeTechnicien{TechnicienID: c.TechnicienID, Minutes: c.Minutes})
	}
	slices.Sort(techs)
	runID := workflow.GetInfo(ctx).WorkflowExecution.RunID
	week := plan.WeekStart.Format("2006-01-02")
	for _, t := range techs {
		user, ok := plan.Users[t]
		if !ok {
			continue
		}
		var sent activities.NotifyResult
		err := workflow.ExecuteActivity(notifyOptions(ctx), a.Notify, activities.NotifyInput{UserIDs: []int64{user}, Notification: domain.NewNotification{
			Titre:    "Votre planning de la semaine",
			Message:  fmt.Sprintf("%d intervention(s) vous sont planifiées la semaine du %s.", perTech[t], week),
			Type:     domain.NotificationInfo,
			Event:    "planning.hebdomadaire",
			Metadata: map[string]any{"semaine": week},
			DedupKey: "planning/" + week + "/" + runID,
		}}).Get(ctx, &sent)
		if err != nil {
			workflow.GetLogger(ctx).Error("Planning not notified", "technicien", t, "error", err)
		}
		sendEmails(ctx, sent.IDs())
	}
	if len(res.NonAffectees) > 0 {
		var sent activities.NotifyResult
		err := workflow.ExecuteActivity(notifyOptions(ctx), a.Notify, activities.NotifyInput{Roles: []domain.Role{domain.RoleResponsable}, Notification: domain.NewNotification{
			Titre:    "Planning : interventions non affectées",
			Message:  fmt.Sprintf("%d intervention(s) n'ont pu être planifiées la semaine du %s.", len(res.NonAffectees), week),
			Type:     domain.NotificationWarning,
			Event:    "planning.non_affectees",
			Metadata: map[string]any{"semaine": week},
			DedupKey: "planning-non-affectees/" + week + "/" + runID,
		}}).Get(ctx, &sent)
		if err != nil {
			workflow.GetLogger(ctx).Error("Planning not notified", "error", err)
		}
		sendEmails(ctx, sent.IDs())
	}
	return res, nil
}
