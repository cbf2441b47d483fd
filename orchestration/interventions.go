package orchestration

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

// ErrWorkflowClosed is returned by Interventions.Transition when the intervention's workflow has
// ended (its intervention is final): the caller answers with the transition rule.
var ErrWorkflowClosed = errors.New("orchestration: intervention workflow closed")

// ErrWorkflowNotFound wraps Temporal's answer for a workflow it does not know (never started, or
// removed by the namespace's retention once finished).
var ErrWorkflowNotFound = errors.New("orchestration: workflow not found")

// Interventions talks to InterventionWorkflow: its start once the API has written the row
// (Start; the workflow still answers the create update of runs started the earlier way), lifecycle
// transitions (updates) and the state query.
type Interventions struct {
	c         client.Client
	taskQueue string
	// wait bounds every call (MIF_WORKFLOW_WAIT): past it the caller gets context.DeadlineExceeded
	// (temporalerr.Unavailable), never a request held until the HTTP server drops it.
	wait time.Duration
	// location is MIF_PLANNING_TIMEZONE (UTC when it cannot be loaded; config validates it), for
	// the dates of the descriptions and of the workflows' timer names.
	location *time.Location
}

// Location is MIF_PLANNING_TIMEZONE, loaded once: the zone the workflows' descriptions are in.
func (i *Interventions) Location() *time.Location { return i.location }

// bound limits ctx to the configured wait (none when unset: the CLI and tests that build the
// type directly wait as long as their own context allows).
func (i *Interventions) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if i.wait <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, i.wait)
}

// Description is a workflow's user metadata in the Temporal Web UI: a one-line summary
// ("n°42 — Réparation fuite hydraulique — haute — Presse PH-001 — Cimenterie Atlas") and details
// (Temporal Markdown, several lines).
type Description = workflows.Description

// Start starts the workflow of an intervention whose row (and outbox entry) the API has just
// written under workflowID, without waiting for any worker: the workflow's create activity finds
// the row (CreateOnStart). Starting again is harmless — a running workflow is reused, and one
// that has ended is not started twice (its ID is taken) — so a create retried by its client or by
// the outbox relay reaches one workflow.
// desc, when given, is what a manager reads of the workflow in the Temporal Web UI (the outbox
// relay builds it again from the rows, DescribeIntervention).
//
// The start carries the row's search attributes (its first upsert then has nothing to send) and
// asks for eager execution: when this process also runs a worker of the task queue (`mif dev`,
// `mif serve` with both), the server hands the workflow's first task back with the start's
// answer, and this process's worker runs it without a round through the task queue (the server
// saves the dispatch and a transaction per create); elsewhere the start is as usual.
func (i *Interventions) Start(ctx context.Context, workflowID string, id int64, n domain.NewIntervention, desc ...Description) error {
	ctx, cancel := i.bound(ctx)
	defer cancel()
	opts := client.StartWorkflowOptions{
		ID: workflowID, TaskQueue: i.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    workflows.StartSearchAttributes(id, n),
		EnableEagerStart:         true,
	}
	in := workflows.InterventionInput{CreateOnStart: true, NoCreateWait: true, Intervention: n, StartSearchAttributes: true}
	for _, d := range desc {
		opts.StaticSummary, opts.StaticDetails = d.Summary, d.Details
		in.Resume = d.Summary
	}
	_, err := i.c.ExecuteWorkflow(ctx, opts, workflows.InterventionWorkflowName, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // an earlier run owns this intervention and has ended with it
	}
	return err
}

// Attach starts the workflow of an intervention whose row already exists under workflowID
// (imported or generated data): with CreateOnStart, its create activity finds the row (the insert
// is idempotent on workflow_id) and the workflow takes the row's state. A workflow already running
// is left alone; a run that ended while its row stayed open (terminated by hand) is replaced.
// desc, when given, is what a manager reads of the workflow in the Temporal Web UI.
func (i *Interventions) Attach(ctx context.Context, workflowID string, n domain.NewIntervention, desc ...Description) error {
	opts := client.StartWorkflowOptions{
		ID: workflowID, TaskQueue: i.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}
	in := workflows.InterventionInput{CreateOnStart: true, NoCreateWait: true, Intervention: n}
	for _, d := range desc {
		opts.StaticSummary, opts.StaticDetails = d.Summary, d.Details
		in.Resume = d.Summary
	}
	_, err := i.c.ExecuteWorkflow(ctx, opts, workflows.InterventionWorkflowName, in)
	return err
}

// Transition sends a lifecycle update and waits for the new row. updateID makes a retried request
// apply once (derive it from the Idempotency-Key when the client sent one).
func (i *Interventions) Transition(ctx context.Context, workflowID string, action domain.LifecycleAction, updateID string, req workflows.TransitionRequest) (domain.Intervention, error) {
	ctx, cancel := i.bound(ctx)
	defer cancel()
	var row domain.Intervention
	var err error
	for attempt := 0; ; attempt++ {
		var h client.WorkflowUpdateHandle
		h, err = i.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: workflowID, UpdateID: updateID, UpdateName: string(action), Args: []any{req},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(ctx, &row)
		}
		// The workflow task that carried the update failed (e.g. the server refused to close the
		// workflow because a child's completion arrived meanwhile): the update was dropped with
		// it. Sending it again with the same ID is safe — its writes are keyed by the workflow's
		// own transition number, which the retried task reuses.
		var notReady *serviceerror.WorkflowNotReady
		if !errors.As(err, &notReady) || attempt == 4 {
			break
		}
		select {
		case <-ctx.Done():
			return row, ctx.Err()
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) || (err != nil && isClosed(err)) {
		return row, ErrWorkflowClosed
	}
	return row, err
}

func isClosed(err error) bool {
	var fp *serviceerror.FailedPrecondition
	return errors.As(err, &fp)
}

// State asks the intervention's workflow for its state (ErrWorkflowNotFound once it is gone).
func (i *Interventions) State(ctx context.Context, workflowID string) (workflows.InterventionState, error) {
	ctx, cancel := i.bound(ctx)
	defer cancel()
	var st workflows.InterventionState
	v, err := i.c.QueryWorkflow(ctx, workflowID, "", workflows.QueryState)
	if err != nil {
		return st, notFound(err)
	}
	return st, v.Get(&st)
}

// notFound marks Temporal's NotFound with ErrWorkflowNotFound (the original stays in the chain).
func notFound(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("%w: %w", ErrWorkflowNotFound, err)
	}
	return err
}
