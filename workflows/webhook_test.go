package workflows_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/workflows"
)

// webhookSubscriber simulates one subscription: its events, its status, and what was delivered.
type webhookSubscriber struct {
	mu        sync.Mutex
	events    []int64
	active    bool
	failOn    int64 // delivering this event suspends the subscription (once)
	delivered []int64
}

func (s *webhookSubscriber) wait(_ context.Context, in activities.WaitWebhookEventsInput) (activities.WaitWebhookEventsResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return activities.WaitWebhookEventsResult{}, nil
	}
	var ids []int64
	for _, id := range s.events {
		if id > in.Cursor {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		// Nothing left: the test's administrator suspends it, so the run ends.
		s.active = false
	}
	return activities.WaitWebhookEventsResult{EventIDs: ids, Active: s.active}, nil
}

func (s *webhookSubscriber) deliver(_ context.Context, in activities.DeliverWebhookInput) (activities.DeliverWebhookResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.EvenementID == s.failOn {
		// This failure suspends the subscription; the administrator has already repaired the
		// endpoint and set it back to actif (the resume signal is pending) while this run is
		// still open, so the status seen by the next poll is actif again.
		s.failOn = 0
		return activities.DeliverWebhookResult{Paused: true}, nil
	}
	s.delivered = append(s.delivered, in.EvenementID)
	return activities.DeliverWebhookResult{Delivered: true}, nil
}

// TestWebhookWorkflowResumedWhileFinishing: a subscription suspended by a failing delivery and
// resumed before its run has ended. The run must go on (the resume start finds it open, so no
// other run would deliver the events) and deliver the event that failed and the ones after it.
func TestWebhookWorkflowResumedWhileFinishing(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.Activities
	env.RegisterActivity(a)
	sub := &webhookSubscriber{events: []int64{1, 2, 3}, active: true, failOn: 2}
	env.OnActivity(a.WaitWebhookEvents, mock.Anything, mock.Anything).Return(sub.wait)
	env.OnActivity(a.DeliverWebhook, mock.Anything, mock.Anything).Return(sub.deliver)
	// The resume signal is sent while the run is busy with its first poll and deliveries: it is
	// pending when the run learns of the suspension, as when the API resumes an open run.
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalWebhookResume, nil) }, 0)
	env.ExecuteWorkflow(workflows.WebhookWorkflow, workflows.WebhookInput{AbonnementID: 1, MaxAttempts: 1,
		InitialBackoff: time.Second, MaxBackoff: time.Second, PollWait: time.Second})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow not completed")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.WebhookResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	// The event that suspended the subscription is sent again after the resume, then the next.
	if res.Stopped != "suspendu" || res.Cursor != 3 || !slices.Equal(sub.delivered, []int64{1, 2, 3}) {
		t.Fatalf("result %+v, delivered %v: the resume was lost", res, sub.delivered)
	}
}
