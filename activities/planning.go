package activities

import (
	"context"
	"time"

	"github.com/mifmaroc/mif/planner"
	"github.com/mifmaroc/mif/temporalerr"
)

// PlanWeekInput asks for the plan of the week starting WeekStart (a Monday in the configured
// time zone).
type PlanWeekInput struct {
	WeekStart *time.Time // nil: the week that contains Now
	Now       time.Time
}

// PlanWeekResult is the plan, with the workflow of each intervention to assign.
type PlanWeekResult struct {
	WeekStart time.Time
	Plan      planner.Plan
	Charge    []TechnicienCharge
	Workflows map[int64]string // intervention id → workflow id
	Users     map[int64]int64  // technicien id → user id
}

// TechnicienCharge is one technicien's planned minutes in the week (a list, so that workflows
// never range over a map).
type TechnicienCharge struct {
	TechnicienID int64
	Minutes      int
}

// PlanWeek loads the open interventions and the techniciens and runs the planner.
func (a *Activities) PlanWeek(ctx context.Context, in PlanWeekInput) (PlanWeekResult, error) {
	_, wf := a.workflowsConfig()
	loc, err := time.LoadLocation(wf.Timezone)
	if err != nil {
		return PlanWeekResult{}, err
	}
	week := planner.WeekStart(in.Now, loc)
	if in.WeekStart != nil {
		week = planner.WeekStart(*in.WeekStart, loc)
	}
	techs, tasks, err := a.Store.LoadPlanningProblem(ctx, week, week.AddDate(0, 0, 7))
	if err != nil {
		return PlanWeekResult{}, temporalerr.Wrap(err)
	}
	res := PlanWeekResult{WeekStart: week, Workflows: map[int64]string{}, Users: map[int64]int64{}}
	p := planner.Problem{WeekStart: week, Location: wf.Timezone, Now: in.Now, Techniciens: techs}
	for _, t := range tasks {
		t.Duree = wf.DefaultDuree
		p.Tasks = append(p.Tasks, t.Task)
		res.Workflows[t.InterventionID] = t.WorkflowID
	}
	for _, t := range techs {
		res.Users[t.ID] = t.UserID
	}
	res.Plan, err = planner.Solve(p)
	if err != nil {
		return res, err
	}
	for _, t := range techs {
		res.Charge = append(res.Charge, TechnicienCharge{TechnicienID: t.ID, Minutes: res.Plan.Charge[t.ID]})
	}
	return res, nil
}
