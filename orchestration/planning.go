package orchestration

import (
	"context"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
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
	run, err := p.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflowID, TaskQueue: p.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: 10 * time.Minute,
	}, workflows.WeeklyPlanningWorkflowName, workflows.PlanningInput{WeekStart: week})
	if err != nil {
		return res, err
	}
	return res, run.Get(ctx, &res)
}
