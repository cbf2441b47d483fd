package orchestration

import (
	"context"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/mifmaroc/mif/workflows"
)

// KeyRotation talks to the DocumentKeyRotationWorkflow, for the API and `mif documents
// rotate-keys`.
type KeyRotation struct {
	c         client.Client
	taskQueue string
}

// KeyRotationRun is one run of the rotation.
type KeyRotationRun struct {
	WorkflowID, RunID string
	run               client.WorkflowRun
}

// Start starts the rotation, or joins the run already in progress (the ID is fixed). batch 0
// means the default batch size.
func (k *KeyRotation) Start(ctx context.Context, batch int) (KeyRotationRun, error) {
	desc := workflows.DescribeKeyRotation(batch)
	run, err := k.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		StaticSummary: desc.Summary, StaticDetails: desc.Details,
		ID:                       workflows.KeyRotationWorkflowID,
		TaskQueue:                k.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.KeyRotationWorkflowName, workflows.KeyRotationInput{BatchSize: batch})
	if err != nil {
		return KeyRotationRun{}, err
	}
	return KeyRotationRun{WorkflowID: run.GetID(), RunID: run.GetRunID(), run: run}, nil
}

// Latest returns the latest rotation and its progress (ErrWorkflowNotFound when none was ever
// started): from its Query while it runs, from its result once it completed (no worker needed to
// read it), and as "interrompue" when the run failed or was stopped (with its last progress when a
// worker can still answer).
func (k *KeyRotation) Latest(ctx context.Context) (KeyRotationRun, workflows.KeyRotationProgress, error) {
	p := workflows.KeyRotationProgress{Failed: []int64{}}
	desc, err := k.c.DescribeWorkflow(ctx, workflows.KeyRotationWorkflowID, "")
	if err != nil {
		return KeyRotationRun{}, p, notFound(err)
	}
	info := desc.RawResponse.GetWorkflowExecutionInfo()
	exec := info.GetExecution()
	run := KeyRotationRun{WorkflowID: exec.GetWorkflowId(), RunID: exec.GetRunId()}
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		v, err := k.c.QueryWorkflow(ctx, run.WorkflowID, run.RunID, workflows.QueryKeyRotationProgress)
		if err == nil {
			err = v.Get(&p)
		}
		return run, p, err
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return run, p, k.c.GetWorkflow(ctx, run.WorkflowID, run.RunID).Get(ctx, &p)
	default:
		// Failed, terminated, timed out or cancelled: the run's last state, if a worker answers
		// soon; the status alone otherwise.
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if v, err := k.c.QueryWorkflow(qctx, run.WorkflowID, run.RunID, workflows.QueryKeyRotationProgress); err == nil {
			_ = v.Get(&p)
		}
		p.Status = "interrompue"
		if p.Failed == nil {
			p.Failed = []int64{}
		}
		return run, p, nil
	}
}

// Wait waits for a run started by Start to end and returns its result; meanwhile, every period, it
// hands the progress of the latest run (a long rotation continues as new) to seen.
func (k *KeyRotation) Wait(ctx context.Context, run KeyRotationRun, every time.Duration, seen func(workflows.KeyRotationProgress)) (workflows.KeyRotationProgress, error) {
	done := make(chan error, 1)
	var res workflows.KeyRotationProgress
	go func() { done <- run.run.Get(ctx, &res) }()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return res, err
		case <-tick.C:
			// No run ID: the latest run.
			v, err := k.c.QueryWorkflow(ctx, run.WorkflowID, "", workflows.QueryKeyRotationProgress)
			if err != nil {
				continue
			}
			var p workflows.KeyRotationProgress
			if v.Get(&p) == nil {
				seen(p)
			}
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
}
