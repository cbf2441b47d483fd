package orchestration

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

// Webhooks talks to WebhookWorkflow: one per active subscription.
type Webhooks struct {
	c         client.Client
	taskQueue string
	cfg       config.Webhooks
}

func (w *Webhooks) options(a domain.WebhookAbonnement) client.StartWorkflowOptions {
	desc := workflows.DescribeWebhook(a)
	return client.StartWorkflowOptions{
		ID: workflows.WebhookWorkflowID(w.taskQueue, a.ID), TaskQueue: w.taskQueue,
		StaticSummary: desc.Summary, StaticDetails: desc.Details,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}
}

func (w *Webhooks) input(a domain.WebhookAbonnement) workflows.WebhookInput {
	return workflows.WebhookInput{AbonnementID: a.ID, Cursor: a.Curseur, MaxAttempts: w.cfg.MaxAttempts,
		InitialBackoff: w.cfg.InitialBackoff, MaxBackoff: w.cfg.MaxBackoff, Resume: workflows.DescribeWebhook(a).Summary}
}

// Start starts the deliveries of an active subscription from its cursor (a running workflow is
// left alone).
func (w *Webhooks) Start(ctx context.Context, a domain.WebhookAbonnement) error {
	_, err := w.c.ExecuteWorkflow(ctx, w.options(a), workflows.WebhookWorkflowName, w.input(a))
	return err
}

// Resume restarts the deliveries of a subscription set back to actif: a run still open (for
// instance still finishing after the suspension) is signalled to go on, a closed one is replaced
// by a new run from the cursor (the reuse policy allows it).
func (w *Webhooks) Resume(ctx context.Context, a domain.WebhookAbonnement) error {
	_, err := w.c.SignalWithStartWorkflow(ctx, workflows.WebhookWorkflowID(w.taskQueue, a.ID), workflows.SignalWebhookResume,
		nil, w.options(a), workflows.WebhookWorkflowName, w.input(a))
	return err
}

// Replay asks the subscription's workflow (started if needed) to send one event again.
func (w *Webhooks) Replay(ctx context.Context, a domain.WebhookAbonnement, evenementID int64) error {
	_, err := w.c.SignalWithStartWorkflow(ctx, workflows.WebhookWorkflowID(w.taskQueue, a.ID), workflows.SignalWebhookReplay,
		evenementID, w.options(a), workflows.WebhookWorkflowName, w.input(a))
	return err
}
