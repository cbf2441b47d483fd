package workflows_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/workflows"
)

// The histories under testdata were recorded on a real dev server (api's
// TestRecordWorkflowHistories with MIF_RECORD_HISTORIES=1); index.json maps each file to its
// workflow ID, which the replay needs because child workflow IDs derive from it.

type replayCase struct {
	file, workflowID string
	history          *historypb.History
}

func loadHistories(t *testing.T) []replayCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index map[string]string
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	var out []replayCase
	for file, id := range index {
		f, err := os.Open(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
		_ = f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, replayCase{file: file, workflowID: id, history: h})
	}
	slices.SortFunc(out, func(a, b replayCase) int {
		if a.file < b.file {
			return -1
		}
		return 1
	})
	return out
}

func newReplayer() worker.WorkflowReplayer {
	r := worker.NewWorkflowReplayer()
	orchestration.RegisterWorkflows(r)
	return r
}

// TestReplayCheckedInHistories replays every checked-in history with the current code: a change
// that makes a workflow non-deterministic fails here before it reaches a running cluster.
func TestReplayCheckedInHistories(t *testing.T) {
	cases := loadHistories(t)
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.history.Events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()] = true
		t.Run(c.file, func(t *testing.T) {
			opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: c.workflowID}}
			if err := newReplayer().ReplayWorkflowHistoryWithOptions(nil, c.history, opts); err != nil {
				t.Fatalf("non-deterministic replay: %v", err)
			}
		})
	}
	for _, name := range []string{workflows.InterventionWorkflowName, workflows.EscalationWorkflowName, workflows.PreventiveMaintenanceWorkflowName,
		workflows.WeeklyPlanningWorkflowName, workflows.HousekeepingWorkflowName, workflows.RoutePlanningWorkflowName,
		workflows.DemandeWorkflowName, workflows.WebhookWorkflowName} {
		if !seen[name] {
			t.Errorf("no checked-in history for %s", name)
		}
	}
}

// TestReplayDetectsAChangedWorkflow shows that the replay test has teeth: a workflow whose code
// took another path than the recorded one is reported.
func TestReplayDetectsAChangedWorkflow(t *testing.T) {
	for _, c := range loadHistories(t) {
		if c.file != "intervention.json" {
			continue
		}
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.InterventionInput) (workflows.InterventionResult, error) {
			return workflows.InterventionResult{}, workflow.Sleep(ctx, time.Hour) // not what was recorded
		}, workflow.RegisterOptions{Name: workflows.InterventionWorkflowName})
		err := r.ReplayWorkflowHistoryWithOptions(nil, c.history, worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: c.workflowID}})
		if err == nil {
			t.Fatal("a different workflow replayed the recorded history without error")
		}
		return
	}
	t.Fatal("intervention.json missing")
}
