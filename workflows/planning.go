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
	// Route planning (runs of the route planner only): the plannings changed (new, moved,
	// reassigned), the movable ones left as they were, and the solver's figures.
	Changements []domain.ChangementPlanning `json:"changements,omitempty"`
	Inchangees  int                         `json:"inchangees,omitempty"`
	Solveur     *activities.SolverStats     `json:"solveur,omitempty"`
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

// routePlannerChange versions WeeklyPlanningWorkflow's move from the greedy planner.Solve to the
// route planner (planner/routing through activities.PlanRoutes).
const routePlannerChange = "route-planner"

// WeeklyPlanningWorkflow plans the week. Runs started before the route planner existed replay the
// greedy pass (weeklyGreedy); new runs plan routes (weeklyRoutes).
func WeeklyPlanningWorkflow(ctx workflow.Context, in PlanningInput) (PlanningResult, error) {
	if workflow.GetVersion(ctx, routePlannerChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return weeklyGreedy(ctx, in)
	}
	return weeklyRoutes(ctx, in)
}

// weeklyGreedy plans the open interventions of a week (planner.Solve in an activity), hands each
// assignment to its intervention's workflow (which writes the row and the planning through its
// own, idempotent transition), notifies each technicien of his week, and reports what stayed
// unassigned and why. Kept for the runs recorded before the route planner.
func weeklyGreedy(ctx workflow.Context, in PlanningInput) (PlanningResult, error) {
	var a *activities.Activities
	var plan activities.PlanWeekResult
	if err := workflow.ExecuteActivity(planningActivityOptions(ctx), a.PlanWeek, activities.PlanWeekInput{
		WeekStart: in.WeekStart, Now: workflow.Now(ctx),
	}).Get(ctx, &plan); err != nil {
		return PlanningResult{}, err
	}
	res := PlanningResult{Semaine: plan.WeekStart, Affectations: []planner.Assignment{}, NonAffectees: plan.Plan.Unassigned}
	perTech := map[int64]int{}
	first := map[int64]time.Time{} // each technicien's first planned work, for his notice
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
		if f, ok := first[as.TechnicienID]; !ok || as.Start.Before(f) {
			first[as.TechnicienID] = as.Start
		}
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
		// Days and times are written by the activity in MIF_PLANNING_TIMEZONE (NotifyInput.Dates).
		err := workflow.ExecuteActivity(notifyOptions(ctx), a.Notify, activities.NotifyInput{UserIDs: []int64{user}, Notification: domain.NewNotification{
			Titre:    "Votre planning de la semaine",
			Message:  fmt.Sprintf("%d intervention(s) vous sont planifiées la semaine du {semaine:jour}, la première le {premiere}.", perTech[t]),
			Type:     domain.NotificationInfo,
			Event:    "planning.hebdomadaire",
			Metadata: map[string]any{"semaine": week},
			DedupKey: "planning/" + week + "/" + runID,
		}, Dates: map[string]time.Time{"semaine": plan.WeekStart, "premiere": first[t]}}).Get(ctx, &sent)
		if err != nil {
			workflow.GetLogger(ctx).Error("Planning not notified", "technicien", t, "error", err)
		}
		sendEmails(ctx, sent.IDs())
	}
	if len(res.NonAffectees) > 0 {
		var sent activities.NotifyResult
		err := workflow.ExecuteActivity(notifyOptions(ctx), a.Notify, activities.NotifyInput{Roles: []domain.Role{domain.RoleResponsable}, Notification: domain.NewNotification{
			Titre:    "Planning : interventions non affectées",
			Message:  fmt.Sprintf("%d intervention(s) n'ont pu être planifiées la semaine du {semaine:jour}.", len(res.NonAffectees)),
			Type:     domain.NotificationWarning,
			Event:    "planning.non_affectees",
			Metadata: map[string]any{"semaine": week},
			DedupKey: "planning-non-affectees/" + week + "/" + runID,
		}, Dates: map[string]time.Time{"semaine": plan.WeekStart}}).Get(ctx, &sent)
		if err != nil {
			workflow.GetLogger(ctx).Error("Planning not notified", "error", err)
		}
		sendEmails(ctx, sent.IDs())
	}
	return res, nil
}

// weeklyRoutes plans the week's routes (activities.PlanRoutes: the route planner on the
// database's picture of the week), hands every change to its intervention's workflow, waits until
// they are written, notifies each technicien whose week changed and the responsables of what
// stayed undone and why.
func weeklyRoutes(ctx workflow.Context, in PlanningInput) (PlanningResult, error) {
	prog := &RouteProgress{Etape: RouteStepOptimisation, Depuis: workflow.Now(ctx)}
	if err := workflow.SetQueryHandler(ctx, QueryRouteProgress, func() (RouteProgress, error) { return *prog, nil }); err != nil {
		return PlanningResult{}, err
	}
	debut := workflow.Now(ctx)
	if in.WeekStart != nil {
		debut = *in.WeekStart
	}
	plan, confirmed, err := routePlan(ctx, activities.PlanRoutesInput{Debut: debut, Jours: 7, Semaine: true,
		Maintenant: workflow.Now(ctx), Graine: seedOf(ctx)}, prog)
	if err != nil {
		return PlanningResult{}, err
	}
	changes := applied(plan, confirmed)
	res := PlanningResult{Semaine: plan.Debut, Affectations: []planner.Assignment{}, NonAffectees: []planner.Unassigned{},
		Charge: []ChargeTechnicien{}, Changements: changes, Inchangees: plan.Inchangees, Solveur: &plan.Solveur}
	for _, c := range changes {
		res.Affectations = append(res.Affectations, planner.Assignment{InterventionID: c.InterventionID, TechnicienID: *c.TechnicienID,
			Start: *c.DatePlanifiee, Duree: c.DureeEstimee, AfterDeadline: c.ApresEcheance})
	}
	for _, n := range append(slices.Clone(plan.NonPlanifiees), confirmed.Ignorees...) {
		res.NonAffectees = append(res.NonAffectees, planner.Unassigned{InterventionID: n.InterventionID, Raison: n.Raison})
	}
	minutes := map[int64]int{}
	var techs []int64
	for _, a := range plan.Affectations {
		if _, seen := minutes[a.TechnicienID]; !seen {
			techs = append(techs, a.TechnicienID)
		}
		minutes[a.TechnicienID] += a.DureeEstimee
	}
	slices.Sort(techs)
	for _, t := range techs {
		res.Charge = append(res.Charge, ChargeTechnicien{TechnicienID: t, Minutes: minutes[t]})
	}
	notifyRouteChanges(ctx, plan, changes, true)
	if len(res.NonAffectees) > 0 {
		var a *activities.Activities
		var sent activities.NotifyResult
		week := plan.Debut.Format("2006-01-02")
		err := workflow.ExecuteActivity(notifyOptions(ctx), a.Notify, activities.NotifyInput{Roles: []domain.Role{domain.RoleResponsable}, Notification: domain.NewNotification{
			Titre:    "Planning : interventions non affectées",
			Message:  fmt.Sprintf("%d intervention(s) n'ont pu être planifiées la semaine du {semaine:jour}.", len(res.NonAffectees)),
			Type:     domain.NotificationWarning,
			Event:    "planning.non_affectees",
			Metadata: map[string]any{"semaine": week},
			DedupKey: "planning-non-affectees/" + week + "/" + workflow.GetInfo(ctx).WorkflowExecution.RunID,
		}, Dates: map[string]time.Time{"semaine": plan.Debut}}).Get(ctx, &sent)
		if err != nil {
			workflow.GetLogger(ctx).Error("Planning not notified", "error", err)
		}
		sendEmails(ctx, sent.IDs())
	}
	prog.Etape = RouteStepTerminee
	return res, nil
}
