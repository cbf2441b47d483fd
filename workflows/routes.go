package workflows

import (
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
)

// RoutePlanningWorkflowName is the on-demand route optimisation (POST /planning/optimize).
const RoutePlanningWorkflowName = "RoutePlanningWorkflow"

// QueryRouteProgress answers a RouteProgress, for the optimisation and the weekly planning alike.
const QueryRouteProgress = "progress"

// RoutePlanningWorkflowID names one optimisation run.
func RoutePlanningWorkflowID(key string) string { return "planning/optimize/" + key }

// Steps of a route planning run, as the progress query reports them.
const (
	RouteStepOptimisation = "optimisation" // loading, solving (an activity)
	RouteStepEcriture     = "ecriture"     // handing the plannings to the interventions' workflows
	RouteStepConfirmation = "confirmation" // waiting until they are written
	RouteStepTerminee     = "terminee"
)

// RoutePlanningInput asks for an optimisation: the Jours days from Debut (today when nil), for
// every technicien or one, or the insertion of one urgent intervention into today's routes.
type RoutePlanningInput struct {
	Debut        *time.Time `json:"debut,omitempty"`
	Jours        int        `json:"jours"`
	Semaine      bool       `json:"semaine,omitempty"`
	TechnicienID *int64     `json:"technicien_id,omitempty"`
	UrgentID     *int64     `json:"intervention_id,omitempty"`
}

// RouteProgress is what a running route planning reports.
type RouteProgress struct {
	Etape      string    `json:"etape"`
	Depuis     time.Time `json:"depuis"`
	Ecritures  int       `json:"ecritures"`
	Envoyees   int       `json:"envoyees"`
	Appliquees int       `json:"appliquees"`
}

// RoutePlanningResult is what an optimisation changed.
type RoutePlanningResult struct {
	Debut        string `json:"debut"`
	Jours        int    `json:"jours"`
	TechnicienID *int64 `json:"technicien_id"`
	UrgentID     *int64 `json:"intervention_id"`
	// Changements are the plannings written (new, moved, reassigned).
	Changements []domain.ChangementPlanning `json:"changements"`
	// Ignorees are the changes an intervention's workflow did not apply (changed meanwhile).
	Ignorees      []domain.InterventionNonPlanifiee `json:"ignorees"`
	NonPlanifiees []domain.InterventionNonPlanifiee `json:"non_planifiees"`
	Inchangees    int                               `json:"inchangees"`
	Figees        int                               `json:"figees"`
	// Affectations are the routes as planned, stop by stop.
	Affectations []domain.AffectationTournee `json:"affectations"`
	// Reapprovisionnements are the restocking stops at warehouses between them (issue 14).
	Reapprovisionnements []domain.ArretReappro  `json:"reapprovisionnements"`
	Solveur              activities.SolverStats `json:"solveur"`
}

// seedOf derives the solver's seed from the workflow's ID: the same run always asks the same.
// It keeps 53 bits, so that it reads exactly as a JSON number in any client.
func seedOf(ctx workflow.Context) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(workflow.GetInfo(ctx).WorkflowExecution.ID))
	return h.Sum64() >> 11
}

func planRoutesOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The solver stops by itself at MIF_PLANNING_TIME_BUDGET (10 minutes at most); loading and
		// building come on top.
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    2 * time.Minute,
		// Domain errors (the urgent intervention is no longer open) come back non-retryable.
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3},
	})
}

// routePlan runs the route planner and hands its changes to the interventions' workflows, which
// write them (row, planning, historique) through their own transitions; it then waits until the
// writes show, and tells which were applied.
func routePlan(ctx workflow.Context, in activities.PlanRoutesInput, prog *RouteProgress) (activities.PlanRoutesResult, activities.ConfirmRoutesResult, error) {
	var a *activities.Activities
	var plan activities.PlanRoutesResult
	var confirmed activities.ConfirmRoutesResult
	prog.Etape = RouteStepOptimisation
	if err := workflow.ExecuteActivity(planRoutesOptions(ctx), a.PlanRoutes, in).Get(ctx, &plan); err != nil {
		return plan, confirmed, err
	}
	prog.Etape, prog.Ecritures = RouteStepEcriture, len(plan.Ecritures)
	var sent []activities.RouteWrite
	for _, w := range plan.Ecritures {
		tech, at := w.TechnicienID, w.DatePlanifiee
		req := TransitionRequest{TechnicienID: &tech, DatePlanifiee: &at, DureeEstimee: w.DureeEstimee, Notes: "planification des tournées"}
		signal := SignalPlanned
		if w.Replan {
			since := w.UnchangedSince
			req.UnchangedSince, signal = &since, SignalReplanned
		}
		if err := workflow.SignalExternalWorkflow(ctx, w.WorkflowID, "", signal, req).Get(ctx, nil); err != nil {
			confirmed.Ignorees = append(confirmed.Ignorees, domain.InterventionNonPlanifiee{InterventionID: w.InterventionID,
				Raison: "workflow de l'intervention terminé"})
			continue
		}
		sent = append(sent, w)
		prog.Envoyees++
	}
	prog.Etape = RouteStepConfirmation
	if len(sent) > 0 {
		var got activities.ConfirmRoutesResult
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 3 * time.Minute, HeartbeatTimeout: 30 * time.Second,
			RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 5},
		}), a.ConfirmRoutes, activities.ConfirmRoutesInput{Ecritures: sent, Wait: time.Minute}).Get(ctx, &got)
		if err != nil {
			return plan, confirmed, err
		}
		confirmed.Appliquees = got.Appliquees
		confirmed.Ignorees = append(confirmed.Ignorees, got.Ignorees...)
		prog.Appliquees = len(got.Appliquees)
	}
	return plan, confirmed, nil
}

// applied keeps the changes the workflows applied.
func applied(plan activities.PlanRoutesResult, confirmed activities.ConfirmRoutesResult) []domain.ChangementPlanning {
	out := []domain.ChangementPlanning{}
	for _, c := range plan.Changements {
		if slices.Contains(confirmed.Appliquees, c.InterventionID) {
			out = append(out, c)
		}
	}
	return out
}

// RoutePlanningWorkflow optimises routes on demand: a technicien's day, everyone's week, or the
// insertion of urgent work into today's routes. The solver runs in an activity; the plannings are
// written by the interventions' own workflows; the progress query follows the steps. Techniciens
// whose routes changed are notified.
func RoutePlanningWorkflow(ctx workflow.Context, in RoutePlanningInput) (RoutePlanningResult, error) {
	prog := &RouteProgress{Etape: RouteStepOptimisation, Depuis: workflow.Now(ctx)}
	if err := workflow.SetQueryHandler(ctx, QueryRouteProgress, func() (RouteProgress, error) { return *prog, nil }); err != nil {
		return RoutePlanningResult{}, err
	}
	debut := workflow.Now(ctx)
	if in.Debut != nil {
		debut = *in.Debut
	}
	plan, confirmed, err := routePlan(ctx, activities.PlanRoutesInput{Debut: debut, Jours: max(in.Jours, 1), Semaine: in.Semaine,
		TechnicienID: in.TechnicienID, UrgentID: in.UrgentID, Maintenant: workflow.Now(ctx), Graine: seedOf(ctx)}, prog)
	if err != nil {
		return RoutePlanningResult{}, err
	}
	res := RoutePlanningResult{Debut: plan.Debut.Format(time.DateOnly), Jours: plan.Jours, TechnicienID: in.TechnicienID, UrgentID: in.UrgentID,
		Changements: applied(plan, confirmed), Ignorees: confirmed.Ignorees, NonPlanifiees: plan.NonPlanifiees,
		Inchangees: plan.Inchangees, Figees: plan.Figees, Affectations: plan.Affectations, Solveur: plan.Solveur,
		Reapprovisionnements: plan.Reappros}
	if res.Ignorees == nil {
		res.Ignorees = []domain.InterventionNonPlanifiee{}
	}
	if res.Reapprovisionnements == nil {
		res.Reapprovisionnements = []domain.ArretReappro{}
	}
	notifyRouteChanges(ctx, plan, res.Changements, false)
	prog.Etape = RouteStepTerminee
	return res, nil
}

// notifyRouteChanges tells each technicien whose route changed (work added, moved, or taken
// away), once per run; weekly says it as the weekly planning.
func notifyRouteChanges(ctx workflow.Context, plan activities.PlanRoutesResult, changes []domain.ChangementPlanning, weekly bool) {
	count := map[int64]int{}
	next := map[int64]time.Time{} // each technicien's earliest work planned or moved, for his notice
	var techs []int64
	touch := func(id *int64) {
		if id == nil {
			return
		}
		if count[*id] == 0 {
			techs = append(techs, *id)
		}
		count[*id]++
	}
	for _, c := range changes {
		touch(c.TechnicienID)
		if c.TechnicienID != nil && c.DatePlanifiee != nil {
			if f, ok := next[*c.TechnicienID]; !ok || c.DatePlanifiee.Before(f) {
				next[*c.TechnicienID] = *c.DatePlanifiee
			}
		}
		if c.AncienTechnicienID != nil && (c.TechnicienID == nil || *c.AncienTechnicienID != *c.TechnicienID) {
			touch(c.AncienTechnicienID)
		}
	}
	slices.Sort(techs)
	var a *activities.Activities
	runID := workflow.GetInfo(ctx).WorkflowExecution.RunID
	for _, t := range techs {
		user, ok := plan.Users[t]
		if !ok {
			continue
		}
		// Days and times are written by the activity in MIF_PLANNING_TIMEZONE (NotifyInput.Dates).
		dates := map[string]time.Time{"debut": plan.Debut}
		first := ""
		if f, ok := next[t]; ok {
			dates["premiere"], first = f, " La première est le {premiere}."
		}
		n := domain.NewNotification{
			Titre:    "Votre tournée a changé",
			Message:  fmt.Sprintf("%d intervention(s) de votre tournée ont été planifiées ou déplacées (à partir du {debut:jour}).%s", count[t], first),
			Type:     domain.NotificationInfo,
			Event:    "planning.tournee",
			Metadata: map[string]any{"debut": plan.Debut.Format(time.DateOnly), "jours": plan.Jours},
			DedupKey: "tournee/" + runID + "/" + fmt.Sprint(t),
		}
		if weekly {
			week := plan.Debut.Format(time.DateOnly)
			n.Titre, n.Event = "Votre planning de la semaine", "planning.hebdomadaire"
			n.Message = fmt.Sprintf("%d intervention(s) vous sont planifiées ou ont été déplacées la semaine du {debut:jour}.%s", count[t], first)
			n.Metadata = map[string]any{"semaine": week}
			n.DedupKey = "planning/" + week + "/" + runID + "/" + fmt.Sprint(t)
		}
		var sent activities.NotifyResult
		err := workflow.ExecuteActivity(notifyOptions(ctx), a.Notify, activities.NotifyInput{UserIDs: []int64{user}, Notification: n, Dates: dates}).Get(ctx, &sent)
		if err != nil {
			workflow.GetLogger(ctx).Error("Route change not notified", "technicien", t, "error", err)
		}
		sendEmails(ctx, sent.IDs())
	}
}
