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

// followUpOptions are for the e-mails and the PDF report: each takes a second or two, so a short
// StartToClose bounds how long a task lost with a restarting worker or Temporal server holds
// the follow-up (a minute before), and retries start after a second, then back off, for hours.
// Only the options change, not the commands: histories replay unchanged.
func followUpOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    followUpTimeout,
		ScheduleToCloseTimeout: 6 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
}

// followUpTimeout bounds one attempt of an e-mail batch (a few recipients; one SMTP delivery is
// bounded by the activity's context) or of a PDF report.
const followUpTimeout = 20 * time.Second

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

// followUps is what the intervention's main loop still has to send after a recorded event:
// notifications that could not go out at once, the e-mails of the notifications created, and the
// PDF report of a completion. Handlers only queue; the main loop sends, one item at a time, with
// patient activities.
type followUps struct {
	outbox    []activities.NotifyInterventionInput
	mailQueue []int64 // notifications created but not yet handed to e-mail
	reportKey string  // set when a completion awaits its PDF report
}

// pending reports whether anything waits to be sent.
func (f *followUps) pending() bool {
	return len(f.outbox) > 0 || len(f.mailQueue) > 0 || f.reportKey != ""
}

// notify queues a notification.
func (f *followUps) notify(n activities.NotifyInterventionInput) { f.outbox = append(f.outbox, n) }

// mail queues the e-mails of created notifications.
func (f *followUps) mail(ids []int64) { f.mailQueue = append(f.mailQueue, ids...) }

// report asks for the report of a completion, key making it one document.
func (f *followUps) report(key string) { f.reportKey = key }

// sendNext sends the oldest kind of follow-up that waits — notifications first, their e-mails
// next, the report last — and reports whether there was one.
func (f *followUps) sendNext(ctx workflow.Context, interventionID int64) bool {
	switch {
	case len(f.outbox) > 0:
		n := f.outbox[0]
		f.outbox = f.outbox[1:]
		var a *activities.Activities
		var res activities.NotifyResult
		if err := workflow.ExecuteActivity(notifyOptions(ctx), a.NotifyIntervention, n).Get(ctx, &res); err != nil {
			workflow.GetLogger(ctx).Error("Notification not sent", "event", n.Notification.Event, "error", err)
		}
		f.mail(res.IDs())
	case len(f.mailQueue) > 0:
		ids := f.mailQueue
		f.mailQueue = nil
		sendEmails(ctx, ids)
	case f.reportKey != "":
		key := f.reportKey
		f.reportKey = ""
		generateReport(ctx, interventionID, key)
	default:
		return false
	}
	return true
}
