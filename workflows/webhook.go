package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
)

// Names of the webhook deliveries (issue 15).
const (
	WebhookWorkflowName = "WebhookWorkflow"
	// SignalWebhookReplay asks for one event to be sent again (an int64 event id).
	SignalWebhookReplay = "webhook_replay"
	// SignalWebhookResume says an administrator set the subscription back to actif: a run that was
	// about to end on a suspension goes on instead (no payload).
	SignalWebhookResume = "webhook_resume"
)

// WebhookWorkflowID is the one delivery workflow of a subscription, scoped by task queue like the
// other workflows named after database ids.
func WebhookWorkflowID(taskQueue string, abonnementID int64) string {
	return "webhook/" + taskQueue + "/" + strconv.FormatInt(abonnementID, 10)
}

// WebhookInput starts (or continues) the deliveries of one subscription.
type WebhookInput struct {
	AbonnementID int64
	// Cursor is the last event handed over; Replays are event ids still to send again.
	Cursor  int64
	Replays []int64
	// Retries of one event: MaxAttempts, exponential backoff from InitialBackoff to MaxBackoff.
	MaxAttempts    int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// PollWait bounds one wait for new events (default 20 s).
	PollWait time.Duration
	// Resume is the start's one-line summary for the Web UI: a run continued as new has no user
	// metadata of its own, so each run shows it as its current details.
	Resume string `json:",omitempty"`
}

// WebhookResult says why the deliveries stopped.
type WebhookResult struct {
	Cursor  int64
	Stopped string // "suspendu" or "supprime"
}

// webhookRoundsPerRun bounds the history of one run (it continues as new after that).
const webhookRoundsPerRun = 200

// WebhookWorkflow delivers a subscription's events one at a time, in event order (so the events
// of one intervention arrive in the order they happened), each with retries and exponential
// backoff; an event whose retries are exhausted is given up (its attempts stay in the log and it
// can be replayed). Replays signalled by the API go first. It ends when the subscription is
// suspended (after too many consecutive failures, or by an administrator) or deleted; resuming it
// signals it with SignalWebhookResume, started again from its cursor if it already ended. A run
// that sees the suspension but has been signalled a resume meanwhile polls again instead of
// ending: otherwise a resume arriving while the run is still finishing would be lost (the start
// finds the run open, the run then ends, and nothing delivers the events any more).
func WebhookWorkflow(ctx workflow.Context, in WebhookInput) (WebhookResult, error) {
	if in.PollWait <= 0 {
		in.PollWait = 20 * time.Second
	}
	if in.Resume != "" { // user metadata, not a command: histories without it replay alike
		workflow.SetCurrentDetails(ctx, in.Resume)
	}
	var a *activities.Activities
	pollCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: in.PollWait + time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	deliverCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: in.InitialBackoff, BackoffCoefficient: 2,
			MaximumInterval: in.MaxBackoff, MaximumAttempts: int32(in.MaxAttempts)},
	})
	replays := workflow.GetSignalChannel(ctx, SignalWebhookReplay)
	resumes := workflow.GetSignalChannel(ctx, SignalWebhookResume)
	drain := func() {
		var id int64
		for replays.ReceiveAsync(&id) {
			in.Replays = append(in.Replays, id)
		}
	}
	// resumed consumes the resume signals received so far. Receiving a signal adds no command, and
	// histories recorded before the signal existed hold none, so no GetVersion is needed.
	resumed := func() bool {
		got := false
		for resumes.ReceiveAsync(nil) {
			got = true
		}
		return got
	}
	deliver := func(id int64, replay bool) (stop bool) {
		var out activities.DeliverWebhookResult
		err := workflow.ExecuteActivity(deliverCtx, a.DeliverWebhook, activities.DeliverWebhookInput{
			AbonnementID: in.AbonnementID, EvenementID: id, Replay: replay}).Get(ctx, &out)
		if err != nil {
			workflow.GetLogger(ctx).Warn("Webhook event given up after its retries", "webhook_id", in.AbonnementID, "event_id", id, "error", err)
			return false
		}
		return out.Paused
	}
	for round := 0; ; round++ {
		drain()
		for len(in.Replays) > 0 {
			id := in.Replays[0]
			in.Replays = in.Replays[1:]
			if deliver(id, true) && !resumed() {
				return WebhookResult{Cursor: in.Cursor, Stopped: "suspendu"}, nil
			}
		}
		var next activities.WaitWebhookEventsResult
		err := workflow.ExecuteActivity(pollCtx, a.WaitWebhookEvents, activities.WaitWebhookEventsInput{
			AbonnementID: in.AbonnementID, Cursor: in.Cursor, Max: 50, Wait: in.PollWait}).Get(ctx, &next)
		if err != nil {
			return WebhookResult{Cursor: in.Cursor}, err
		}
		if !next.Active {
			if resumed() {
				continue
			}
			return WebhookResult{Cursor: in.Cursor, Stopped: "suspendu"}, nil
		}
		for _, id := range next.EventIDs {
			stop := deliver(id, false)
			if stop && resumed() {
				// Resumed meanwhile: like a new run started from the recorded cursor, the event
				// that suspended the subscription is sent again, then the rest of the batch.
				break
			}
			in.Cursor = id
			if stop {
				return WebhookResult{Cursor: in.Cursor, Stopped: "suspendu"}, nil
			}
		}
		if round >= webhookRoundsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			drain()
			resumed() // the new run polls anyway; a stale resume must not outlive this one
			return WebhookResult{Cursor: in.Cursor}, workflow.NewContinueAsNewError(ctx, WebhookWorkflowName, in)
		}
	}
}
