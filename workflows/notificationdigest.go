package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
)

// Names of the notification digest.
const (
	NotificationDigestWorkflowName = "NotificationDigestWorkflow"
	// NotificationDigestScheduleID is the Temporal Schedule that runs it every digest window.
	NotificationDigestScheduleID = "mif-notification-digest"
)

// NotificationDigestInput is empty; the struct keeps the signature open.
type NotificationDigestInput struct{}

// NotificationDigestWorkflow sends the e-mails that waited for their recipient's quiet period:
// several notifications become one digest e-mail.
func NotificationDigestWorkflow(ctx workflow.Context, _ NotificationDigestInput) (activities.SendEmailDigestsResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 5},
	})
	var a *activities.Activities
	var res activities.SendEmailDigestsResult
	err := workflow.ExecuteActivity(ctx, a.SendEmailDigests, activities.SendEmailDigestsInput{}).Get(ctx, &res)
	return res, err
}

// EnsureDigestSchedule creates the Schedule that runs NotificationDigestWorkflow every window, or
// updates its interval; every worker replica calls it at start-up and they converge. A zero
// window means no digest: each e-mail goes out at once, and the schedule is deleted.
func EnsureDigestSchedule(ctx context.Context, c client.Client, taskQueue string, every time.Duration) error {
	h := c.ScheduleClient().GetHandle(ctx, NotificationDigestScheduleID)
	if every <= 0 {
		if err := h.Delete(ctx); err != nil && !isNotFound(err) {
			return fmt.Errorf("workflows: delete digest schedule: %w", err)
		}
		return nil
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID: "scheduled/" + NotificationDigestScheduleID, Workflow: NotificationDigestWorkflowName,
		Args: []any{NotificationDigestInput{}}, TaskQueue: taskQueue, WorkflowExecutionTimeout: 30 * time.Minute,
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: NotificationDigestScheduleID, Spec: spec, Action: action, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Memo: map[string]any{"description": "Envoi groupé des e-mails de notification"},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			sch := in.Description.Schedule
			sch.Spec, sch.Action = &spec, action
			return &client.ScheduleUpdate{Schedule: &sch}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("workflows: digest schedule: %w", err)
	}
	return nil
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
