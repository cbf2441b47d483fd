package activities

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner"
	"github.com/mifmaroc/mif/planner/routing"
	"github.com/mifmaroc/mif/planner/weekly"
	"github.com/mifmaroc/mif/temporalerr"
)

// PlanRoutesInput asks the route planner for the routes of a period: a week (Jours 7), a day,
// one technicien's (TechnicienID), or the insertion of urgent work into today's routes
// (UrgentID).
type PlanRoutesInput struct {
	// Debut is any moment of the first day, in MIF_PLANNING_TIMEZONE.
	Debut time.Time
	Jours int
	// Semaine moves Debut to the Monday of its week (the weekly planning).
	Semaine bool
	// TechnicienID limits the problem to one technicien's shifts and work.
	TechnicienID *int64
	// UrgentID inserts this open intervention into the day's routes of every technicien (the day
	// of Maintenant) with as little disruption as possible.
	UrgentID   *int64
	Maintenant time.Time
	// Graine seeds the solver (derived from the workflow's ID, so a replay asks for the same).
	Graine uint64
}

// RouteWrite is one planning to write through its intervention's workflow.
type RouteWrite struct {
	InterventionID int64
	WorkflowID     string
	// Replan: planned work moved (SignalReplanned, applied while the row is unchanged since
	// UnchangedSince); otherwise open work assigned (SignalPlanned).
	Replan         bool
	TechnicienID   int64
	DatePlanifiee  time.Time
	DureeEstimee   int
	UnchangedSince time.Time
}

// SolverStats sums up the solver's run.
type SolverStats struct {
	Iterations    int      `json:"iterations"`
	Graine        uint64   `json:"graine"`
	Km            float64  `json:"km"`
	TrajetMinutes float64  `json:"trajet_minutes"`
	DureeMinutes  float64  `json:"duree_minutes"`
	Equilibre     *float64 `json:"equilibre"`
	Secondes      float64  `json:"secondes"`
}

// PlanRoutesResult is the plan: every stop, what changes, what stays undone and why, and the
// writes to hand to the interventions' workflows.
type PlanRoutesResult struct {
	Debut         time.Time
	Jours         int
	Affectations  []domain.AffectationTournee
	Changements   []domain.ChangementPlanning
	NonPlanifiees []domain.InterventionNonPlanifiee
	Inchangees    int
	Figees        int
	Ecritures     []RouteWrite
	// Users maps a technicien to his account, for notifications (looked up, never ranged over).
	Users   map[int64]int64
	Solveur SolverStats
	// Reappros are the restocking stops at warehouses (issue 14).
	Reappros []domain.ArretReappro
}

func (a *Activities) planningConfig() config.Planning {
	if a.Config == nil {
		return config.DefaultPlanning()
	}
	return a.Config.Planning
}

// PlanRoutes loads the period's techniciens and interventions, builds the routing problem
// (planner/weekly), solves it within MIF_PLANNING_TIME_BUDGET (heartbeating its progress) and
// reads the answer back. Work that no route could serve before its deadline gets a second pass
// (within the same budget again) that serves it late rather than not at all. It writes nothing,
// so a retry is harmless; the solver is deterministic for the seed and the iterations done.
func (a *Activities) PlanRoutes(ctx context.Context, in PlanRoutesInput) (PlanRoutesResult, error) {
	sla, wf := a.workflowsConfig()
	pc := a.planningConfig()
	loc, err := time.LoadLocation(wf.Timezone)
	if err != nil {
		return PlanRoutesResult{}, err
	}
	jours := max(in.Jours, 1)
	first := in.Debut
	if in.UrgentID != nil {
		jours, first = 1, in.Maintenant
	}
	d := first.In(loc)
	if in.Semaine {
		d = planner.WeekStart(d, loc)
	}
	debut := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	fin := time.Date(d.Year(), d.Month(), d.Day()+jours, 0, 0, 0, 0, loc)
	defaults := map[domain.Priorite]time.Duration{domain.PrioriteCritique: sla.Critique, domain.PrioriteHaute: sla.Haute,
		domain.PrioriteNormale: sla.Normale, domain.PrioriteBasse: sla.Basse}
	techs, its, err := a.Store.LoadRoutingInput(ctx, debut, fin, in.TechnicienID, wf.DefaultDuree, defaults)
	if err != nil {
		return PlanRoutesResult{}, temporalerr.Wrap(err)
	}
	if in.UrgentID != nil {
		// Today's planned work and the urgent intervention, nothing else.
		var keep []weekly.Intervention
		found := false
		for _, it := range its {
			switch {
			case it.ID == *in.UrgentID && it.Statut == domain.StatutOuverte:
				keep, found = append(keep, it), true
			case it.Planning != nil:
				keep = append(keep, it)
			}
		}
		if !found {
			return PlanRoutesResult{}, temporalerr.Wrap(domain.Conflictf("l'intervention %d n'est pas ouverte: elle ne peut pas être insérée dans les tournées du jour", *in.UrgentID))
		}
		its = keep
	}
	// Restocking stops at warehouses belong to a planning run; the insertion of urgent work
	// keeps today's routes as they are stored (the stops are not).
	var entrepots []weekly.Entrepot
	if in.UrgentID == nil {
		if entrepots, err = a.Store.LoadEntrepots(ctx); err != nil {
			return PlanRoutesResult{}, temporalerr.Wrap(err)
		}
	}
	started := time.Now()
	build := func(relax map[int64]bool) (*weekly.Problem, error) {
		return weekly.Build(ctx, weekly.Input{Debut: debut, Jours: jours, Location: loc, Maintenant: in.Maintenant,
			Techniciens: techs, Interventions: its, TechnicienID: in.TechnicienID, SansEcheance: relax, Entrepots: entrepots},
			weekly.TravelFor(pc.DetourFactor, pc.SpeedKmh))
	}
	p, err := build(nil)
	if err != nil {
		return PlanRoutesResult{}, err
	}
	var out weekly.Outcome
	stats := SolverStats{Graine: in.Graine}
	if in.UrgentID != nil {
		var current []domain.AffectationTournee
		for _, it := range its {
			if pl := it.Planning; pl != nil {
				current = append(current, domain.AffectationTournee{InterventionID: it.ID, TechnicienID: pl.TechnicienID,
					DatePlanifiee: pl.Debut, DureeEstimee: pl.Duree})
			}
		}
		if out, err = p.InsertUrgent(current, *in.UrgentID, in.Maintenant); err != nil {
			return PlanRoutesResult{}, temporalerr.Wrap(domain.Conflictf("insertion impossible: %v", err))
		}
		// No room before its deadline: urgent work is better served late than not today.
		if undone(out, *in.UrgentID) && slices.Contains(p.Bornees, *in.UrgentID) {
			if p2, err := build(map[int64]bool{*in.UrgentID: true}); err == nil {
				if out2, err := p2.InsertUrgent(current, *in.UrgentID, in.Maintenant); err == nil && !undone(out2, *in.UrgentID) {
					p, out = p2, out2
				}
			}
		}
	} else {
		solve := func(p *weekly.Problem) (weekly.Outcome, *routing.Solution, error) {
			sctx, cancel := context.WithTimeout(ctx, pc.TimeBudget)
			defer cancel()
			sol, err := routing.Solve(sctx, p.Routing, routing.Options{Seed: in.Graine, Progress: func(pr routing.Progress) {
				activity.RecordHeartbeat(ctx, pr)
			}})
			if err != nil {
				return weekly.Outcome{}, nil, fmt.Errorf("activities: plan routes: %w", err)
			}
			return p.Decode(sol), sol, nil
		}
		var sol *routing.Solution
		if out, sol, err = solve(p); err != nil {
			return PlanRoutesResult{}, err
		}
		// A second pass serves late the work no route could serve before its deadline, rather
		// than leaving it undone (it is reported apres_echeance).
		late := map[int64]bool{}
		for _, n := range out.NonPlanifiees {
			if slices.Contains(p.Bornees, n.InterventionID) {
				late[n.InterventionID] = true
			}
		}
		if len(late) > 0 {
			p2, err := build(late)
			if err != nil {
				return PlanRoutesResult{}, err
			}
			out2, sol2, err := solve(p2)
			if err != nil {
				return PlanRoutesResult{}, err
			}
			if len(out2.NonPlanifiees) < len(out.NonPlanifiees) {
				p, out, sol = p2, out2, sol2
			}
		}
		stats.Iterations, stats.Km, stats.TrajetMinutes, stats.DureeMinutes, stats.Equilibre =
			sol.Iterations, sol.Distance, sol.TravelTime, sol.Duration, sol.Balance
	}
	stats.Secondes = time.Since(started).Seconds()
	res := PlanRoutesResult{Debut: debut, Jours: jours, Affectations: out.Affectations, Changements: out.Changements,
		NonPlanifiees: out.NonPlanifiees, Inchangees: out.Inchangees, Figees: len(p.Figees), Users: map[int64]int64{}, Solveur: stats,
		Ecritures: []RouteWrite{}, Reappros: out.Reappros}
	if res.Reappros == nil {
		res.Reappros = []domain.ArretReappro{}
	}
	byID := make(map[int64]weekly.Intervention, len(its))
	for _, it := range its {
		byID[it.ID] = it
	}
	for _, c := range out.Changements {
		it := byID[c.InterventionID]
		res.Ecritures = append(res.Ecritures, RouteWrite{InterventionID: it.ID, WorkflowID: it.WorkflowID, Replan: it.Planning != nil,
			TechnicienID: *c.TechnicienID, DatePlanifiee: *c.DatePlanifiee, DureeEstimee: c.DureeEstimee, UnchangedSince: it.UpdatedAt})
	}
	for _, t := range techs {
		res.Users[t.ID] = t.UserID
	}
	return res, nil
}

// ConfirmRoutesInput lists the writes handed to the interventions' workflows.
type ConfirmRoutesInput struct {
	Ecritures []RouteWrite
	// Wait bounds how long the workflows may take to apply them.
	Wait time.Duration
}

// ConfirmRoutesResult tells which writes the workflows applied and which they left (the
// intervention changed since the plan was made: a manual choice stands).
type ConfirmRoutesResult struct {
	Appliquees []int64
	Ignorees   []domain.InterventionNonPlanifiee
}

// ConfirmRoutes waits until every write is visible in the database, or its intervention has
// changed otherwise, or Wait has passed; it only reads, so a retry is harmless.
func (a *Activities) ConfirmRoutes(ctx context.Context, in ConfirmRoutesInput) (ConfirmRoutesResult, error) {
	res := ConfirmRoutesResult{Appliquees: []int64{}, Ignorees: []domain.InterventionNonPlanifiee{}}
	pending := in.Ecritures
	deadline := time.Now().Add(in.Wait)
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		var still []RouteWrite
		for _, w := range pending {
			state, err := a.Store.PlanningState(ctx, w.InterventionID)
			if err != nil {
				return res, temporalerr.Wrap(err)
			}
			switch {
			case state.TechnicienID != nil && *state.TechnicienID == w.TechnicienID && state.DatePlanifiee != nil &&
				state.DatePlanifiee.Equal(w.DatePlanifiee) && state.Statut == domain.StatutPlanifiee:
				res.Appliquees = append(res.Appliquees, w.InterventionID)
			case !state.UpdatedAt.Equal(w.UnchangedSince):
				res.Ignorees = append(res.Ignorees, domain.InterventionNonPlanifiee{InterventionID: w.InterventionID,
					Raison: "modifiée entre-temps (statut " + string(state.Statut) + "): le choix fait depuis est conservé"})
			default:
				still = append(still, w)
			}
		}
		pending = still
		activity.RecordHeartbeat(ctx, len(pending))
		if len(pending) == 0 || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(delay):
		}
	}
	for _, w := range pending {
		res.Ignorees = append(res.Ignorees, domain.InterventionNonPlanifiee{InterventionID: w.InterventionID,
			Raison: "son workflow n'a pas appliqué le planning à temps"})
	}
	return res, nil
}

// undone tells whether the outcome leaves the intervention unplanned.
func undone(out weekly.Outcome, id int64) bool {
	return slices.ContainsFunc(out.NonPlanifiees, func(n domain.InterventionNonPlanifiee) bool { return n.InterventionID == id })
}
