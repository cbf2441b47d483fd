package api_test

import (
	"context"
	"strings"
	"testing"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/converter"

	"github.com/mifmaroc/mif/internal/apitest"
)

// workflowSummary is what the Temporal Web UI shows of a run: its user metadata (summary and
// details) as Describe answers it.
func workflowSummary(ctx context.Context, env *apitest.Env, workflowID, runID string) (summary, details string, err error) {
	desc, err := describe(ctx, env, workflowID, runID)
	if err != nil {
		return "", "", err
	}
	meta := desc.GetExecutionConfig().GetUserMetadata()
	dc := converter.GetDefaultDataConverter()
	if meta.GetSummary() != nil {
		if err := dc.FromPayload(meta.GetSummary(), &summary); err != nil {
			return "", "", err
		}
	}
	if meta.GetDetails() != nil {
		if err := dc.FromPayload(meta.GetDetails(), &details); err != nil {
			return "", "", err
		}
	}
	return summary, details, nil
}

// checkSummaries asserts that each run (file name → workflow ID, run ID) reads, in the Web UI, a
// summary that starts with want[file] and has details.
func checkSummaries(t *testing.T, env *apitest.Env, runs map[string][2]string, want map[string]string) {
	t.Helper()
	for name, prefix := range want {
		ref, ok := runs[name]
		if !ok {
			t.Errorf("%s: no run", name)
			continue
		}
		summary, details, err := workflowSummary(context.Background(), env, ref[0], ref[1])
		switch {
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case !strings.HasPrefix(summary, prefix) || strings.Contains(summary, "\n"):
			t.Errorf("%s (%s): summary %q, want one line starting with %q", name, ref[0], summary, prefix)
		case strings.TrimSpace(details) == "":
			t.Errorf("%s (%s): no details (summary %q)", name, ref[0], summary)
		}
	}
}

// currentDetails is what the latest run of workflowID says of itself now (the SDK's metadata
// query, which the Web UI asks).
func currentDetails(ctx context.Context, env *apitest.Env, workflowID string) (string, error) {
	v, err := env.Temporal.QueryWorkflow(ctx, workflowID, "", "__temporal_workflow_metadata")
	if err != nil {
		return "", err
	}
	var md sdkpb.WorkflowMetadata
	if err := v.Get(&md); err != nil {
		return "", err
	}
	return md.GetCurrentDetails(), nil
}
