package workflows

import (
	"time"

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
