package workflows_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/workflows"
)

// fakeRotation simulates the documents table: ids 1..n on the old key, batches in id order.
type fakeRotation struct {
	remaining map[int64]bool
	failOn    int64
	calls     int
}

func (f *fakeRotation) batch(_ context.Context, in activities.RotateDocumentKeysInput) (activities.RotateDocumentKeysResult, error) {
	f.calls++
	res := activities.RotateDocumentKeysResult{LastID: in.AfterID}
	n := 0
	for id := in.AfterID + 1; n < in.BatchSize; id++ {
		if id > int64(len(f.remaining))+100 {
			break
		}
		if _, ok := f.remaining[id]; !ok {
			continue
		}
		n++
		res.LastID = id
		if id == f.failOn {
			res.Failed = append(res.Failed, id)
			continue
		}
		delete(f.remaining, id)
		res.Rotated++
	}
	res.More = n == in.BatchSize
	res.Remaining = len(f.remaining)
	return res, nil
}

func TestKeyRotationWorkflowBatchesAndProgress(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.Activities
	env.RegisterActivity(a)
	f := &fakeRotation{remaining: map[int64]bool{}, failOn: 4}
	for id := int64(1); id <= 7; id++ {
		f.remaining[id] = true
	}
	env.OnActivity(a.DocumentKeyRotationStatus, mock.Anything, mock.Anything).Return(activities.KeyRotationStatus{CurrentKeyID: "k2", Remaining: 7}, nil).Once()
	var mid workflows.KeyRotationProgress
	calls := 0
	env.OnActivity(a.RotateDocumentKeys, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.RotateDocumentKeysInput) (activities.RotateDocumentKeysResult, error) {
			calls++
			if in.KeyID != "k2" {
				t.Errorf("batch for key %q, want the rotation's key k2", in.KeyID)
			}
			if calls == 2 {
				// Progress is visible while the rotation runs.
				v, err := env.QueryWorkflow(workflows.QueryKeyRotationProgress)
				if err != nil {
					t.Errorf("query: %v", err)
				} else if err := v.Get(&mid); err != nil {
					t.Errorf("query result: %v", err)
				}
			}
			return f.batch(ctx, in)
		})
	env.ExecuteWorkflow(workflows.KeyRotationWorkflow, workflows.KeyRotationInput{BatchSize: 3})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p workflows.KeyRotationProgress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != "terminee" || p.Total != 7 || p.Rotated != 6 || len(p.Failed) != 1 || p.Failed[0] != 4 || p.Batches != 3 || p.CurrentKeyID != "k2" {
		t.Fatalf("progress = %+v", p)
	}
	if mid.Status != "en_cours" || mid.Batches != 1 || mid.Rotated != 3 || mid.LastID != 3 {
		t.Fatalf("progress during the run = %+v", mid)
	}
}

// A failing batch is retried by Temporal; the attempt that failed halfway does not lose the
// documents it had done (they are counted from the data).
func TestKeyRotationWorkflowRetriesABatch(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.Activities
	env.RegisterActivity(a)
	f := &fakeRotation{remaining: map[int64]bool{1: true, 2: true, 3: true, 4: true}}
	env.OnActivity(a.DocumentKeyRotationStatus, mock.Anything, mock.Anything).Return(activities.KeyRotationStatus{CurrentKeyID: "k2", Remaining: 4}, nil)
	crashed := false
	env.OnActivity(a.RotateDocumentKeys, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.RotateDocumentKeysInput) (activities.RotateDocumentKeysResult, error) {
			if !crashed {
				crashed = true
				delete(f.remaining, 1) // done before the crash, never reported
				return activities.RotateDocumentKeysResult{}, errors.New("worker lost")
			}
			return f.batch(ctx, in)
		})
	env.ExecuteWorkflow(workflows.KeyRotationWorkflow, workflows.KeyRotationInput{BatchSize: 10})
	var p workflows.KeyRotationProgress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if p.Rotated != 4 || p.Status != "terminee" || len(f.remaining) != 0 {
		t.Fatalf("progress = %+v, remaining %v", p, f.remaining)
	}
}

// A long rotation continues as new with its progress, keeping each run's history bounded.
func TestKeyRotationWorkflowContinuesAsNew(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.DocumentKeyRotationStatus, mock.Anything, mock.Anything).Return(activities.KeyRotationStatus{CurrentKeyID: "k2", Remaining: 100000}, nil)
	env.OnActivity(a.RotateDocumentKeys, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RotateDocumentKeysInput) (activities.RotateDocumentKeysResult, error) {
			return activities.RotateDocumentKeysResult{LastID: in.AfterID + 1, More: true, Remaining: 100000 - int(in.AfterID) - 1}, nil
		})
	env.ExecuteWorkflow(workflows.KeyRotationWorkflow, workflows.KeyRotationInput{BatchSize: 1})
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next workflows.KeyRotationInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if can.WorkflowType.Name != workflows.KeyRotationWorkflowName || next.Progress == nil || next.Progress.Batches != 200 ||
		next.Progress.LastID != 200 || next.Progress.Total != 100000 || next.Progress.Rotated != 200 || next.BatchSize != 1 {
		t.Fatalf("continued with %+v / %+v", can.WorkflowType, next.Progress)
	}
}

// TestReplayKeyRotationHistory replays a rotation recorded on a real dev server (api's
// TestKeyRotationSurvivesAWorkerCrash with MIF_RECORD_HISTORIES=1: a batch whose worker died,
// taken over by another worker) with the current code.
func TestReplayKeyRotationHistory(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "keyrotation.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.KeyRotationWorkflow, workflow.RegisterOptions{Name: workflows.KeyRotationWorkflowName})
	if err := r.ReplayWorkflowHistory(nil, h); err != nil {
		t.Fatalf("non-deterministic replay: %v", err)
	}
}
