package orchestration

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/mifmaroc/mif/workflows"
)

// Planning runs the WeeklyPlanningWorkflow on demand (its Schedule is in Schedules).
type Planning struct {
	c         client.Client
	taskQueue string
}

// Run runs the weekly planning for the week that contains week (nil: this week) under workflowID
// and waits for its result (a run already going under that ID is joined).
func (p *Planning) Run(ctx context.Context, workflowID string, week *time.Time) (workflows.PlanningResult, error) {
	var res workflows.PlanningResult
	desc := workflows.DescribeWeeklyPlanning(week, false)
	run, err := p.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflowID, TaskQueue: p.taskQueue,
		StaticSummary: desc.Summary, StaticDetails: desc.Details,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: 10 * time.Minute,
	}, workflows.WeeklyPlanningWorkflowName, workflows.PlanningInput{WeekStart: week})
	if err != nil {
		return res, err
	}
	return res, run.Get(ctx, &res)
}

// RouteRun is the state of a route optimisation: running with its progress, or done with its
// result, or interrupted (failed, terminated, timed out).
type RouteRun struct {
	WorkflowID string
	Statut     string // en_cours, terminee, interrompue
	Progress   workflows.RouteProgress
	Result     *workflows.RoutePlanningResult
	// Err is why an interrupted run ended (its failure, as a domain error when it carries one).
	Err error
}

// Optimize starts a route optimisation under workflowID (a request retried with the same ID joins
// the same run) and waits for it at most wait: the result when it finished by then, its progress
// otherwise.
func (p *Planning) Optimize(ctx context.Context, workflowID string, in workflows.RoutePlanningInput, wait time.Duration) (RouteRun, error) {
	desc := workflows.DescribeRoutePlanning(in)
	run, err := p.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflowID, TaskQueue: p.taskQueue,
		StaticSummary: desc.Summary, StaticDetails: desc.Details,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// A retried request whose run has ended reads that run, never starts another.
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionTimeout: 30 * time.Minute,
	}, workflows.RoutePlanningWorkflowName, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		run, err = p.c.GetWorkflow(ctx, workflowID, ""), nil
	}
	if err != nil {
		return RouteRun{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var res workflows.RoutePlanningResult
	err = run.Get(wctx, &res)
	switch {
	case err == nil:
		return RouteRun{WorkflowID: workflowID, Statut: "terminee", Result: &res}, nil
	case errors.Is(wctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return p.RouteState(ctx, workflowID)
	}
	return RouteRun{WorkflowID: workflowID, Statut: "interrompue", Err: err}, nil
}

// RouteState reads a route optimisation: its result once completed, its progress query while it
// runs (ErrWorkflowNotFound for an ID never started, or removed by retention).
func (p *Planning) RouteState(ctx context.Context, workflowID string) (RouteRun, error) {
	r := RouteRun{WorkflowID: workflowID}
	desc, err := p.c.DescribeWorkflow(ctx, workflowID, "")
	if err != nil {
		return r, notFound(err)
	}
	info := desc.RawResponse.GetWorkflowExecutionInfo()
	if info.GetType().GetName() != workflows.RoutePlanningWorkflowName {
		return r, ErrWorkflowNotFound
	}
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		r.Statut = "en_cours"
		v, err := p.c.QueryWorkflow(ctx, workflowID, "", workflows.QueryRouteProgress)
		if err == nil {
			err = v.Get(&r.Progress)
		}
		return r, err
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		var res workflows.RoutePlanningResult
		if err := p.c.GetWorkflow(ctx, workflowID, "").Get(ctx, &res); err != nil {
			return r, err
		}
		r.Statut, r.Result = "terminee", &res
		return r, nil
	default:
		r.Statut = "interrompue"
		r.Err = p.c.GetWorkflow(ctx, workflowID, "").Get(ctx, nil)
		return r, nil
	}
}
