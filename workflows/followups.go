package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
)

// Follow-up work that comes after a business event has been recorded: e-mailing the in-app
// notifications it created, and the PDF report of a finished intervention. Both are normal
// activities, retried patiently, and never fail the workflow: the in-app notification and the
// intervention row already exist, and the digest schedule catches mail that could not go out.

// followUpsChange versions the follow-ups: histories of runs that started before them (checked
// in under testdata/*_v0.json) replay without them.
const followUpsChange = "notification-emails-and-report"

func followUpsEnabled(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, followUpsChange, workflow.DefaultVersion, 1) >= 1
}

func followUpOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 6 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: 10 * time.Minute},
	})
}

// sendEmails e-mails the given notifications to the recipients whose preferences ask for them.
func sendEmails(ctx workflow.Context, notificationIDs []int64) {
	if len(notificationIDs) == 0 || !followUpsEnabled(ctx) {
		return
	}
	var a *activities.Activities
	err := workflow.ExecuteActivity(followUpOptions(ctx), a.SendNotificationEmails,
		activities.SendNotificationEmailsInput{NotificationIDs: notificationIDs}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("Notification e-mails not sent; the digest will pick them up", "error", err)
	}
}

// generateReport stores the PDF report of an intervention as an encrypted document; key makes a
// retried or replayed call produce one document.
func generateReport(ctx workflow.Context, interventionID int64, key string) {
	if !followUpsEnabled(ctx) {
		return
	}
	var a *activities.Activities
	err := workflow.ExecuteActivity(followUpOptions(ctx), a.GenerateInterventionReport,
		activities.GenerateInterventionReportInput{InterventionID: interventionID, Key: key}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("Intervention report not generated (GET /rapport.pdf renders it on demand)", "error", err)
	}
}
