package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
)

// Housekeeping tasks, one Schedule each.
const (
	TaskMaintenanceDue = "maintenance_due"
	TaskOverdueScan    = "overdue_scan"
	TaskPurgeTokens    = "purge_tokens"
)

// HousekeepingInput names the task to run.
type HousekeepingInput struct {
	Task string
}

// HousekeepingResult counts what the task did.
type HousekeepingResult struct {
	Task  string
	Count int
}

// HousekeepingWorkflow runs one daily task: maintenance-due notices, the overdue scan (a safety
// net: each late intervention's workflow is asked to re-check its SLA clock), or the purge of
// expired refresh tokens.
func HousekeepingWorkflow(ctx workflow.Context, in HousekeepingInput) (HousekeepingResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 10},
	})
	var a *activities.Activities
	res := HousekeepingResult{Task: in.Task}
	now := workflow.Now(ctx)
	switch in.Task {
	case TaskMaintenanceDue:
		var out activities.MaintenanceDueResult
		if err := workflow.ExecuteActivity(ctx, a.NotifyMaintenanceDue, activities.MaintenanceDueInput{Now: now}).Get(ctx, &out); err != nil {
			return res, err
		}
		res.Count = out.Due
	case TaskOverdueScan:
		var out activities.OverdueResult
		if err := workflow.ExecuteActivity(ctx, a.FindOverdue, activities.OverdueInput{Now: now}).Get(ctx, &out); err != nil {
			return res, err
		}
		for _, ref := range out.Interventions {
			if err := workflow.SignalExternalWorkflow(ctx, ref.WorkflowID, "", SignalCheckSLA, nil).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Warn("Overdue intervention has no running workflow", "intervention_id", ref.ID, "error", err)
				continue
			}
			res.Count++
		}
	case TaskPurgeTokens:
		// The identity issue's activity; login attempts are kept 30 days for audits.
		var out activities.PurgeExpiredTokensResult
		if err := workflow.ExecuteActivity(ctx, a.PurgeExpiredTokens, activities.PurgeExpiredTokensInput{
			Before: now, LoginAttemptsBefore: now.AddDate(0, 0, -30),
		}).Get(ctx, &out); err != nil {
			return res, err
		}
		res.Count = int(out.RefreshTokens)
	default:
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown housekeeping task %q", in.Task), "BadInput", nil)
	}
	return res, nil
}
