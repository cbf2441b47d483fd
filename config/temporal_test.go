package config

import (
	"strings"
	"testing"
	"time"
)

// TestWorkflowWaitStaysUnderTheWriteTimeout: the bound on Temporal calls defaults to 5 s, is
// configurable, and may not reach the HTTP write timeout (the answer would be lost).
func TestWorkflowWaitStaysUnderTheWriteTimeout(t *testing.T) {
	t.Parallel()
	c, err := Load(ModeDev, env(nil))
	if err != nil || c.Temporal.WorkflowWait != 5*time.Second || c.Temporal.OutboxInterval != 2*time.Second {
		t.Fatalf("defaults: %+v %v", c.Temporal, err)
	}
	if c, err = Load(ModeDev, env(map[string]string{"MIF_WORKFLOW_WAIT": "2s", "MIF_OUTBOX_INTERVAL": "500ms"})); err != nil ||
		c.Temporal.WorkflowWait != 2*time.Second || c.Temporal.OutboxInterval != 500*time.Millisecond {
		t.Fatalf("set: %+v %v", c.Temporal, err)
	}
	for _, bad := range []string{"0s", "-1s", "2m", "soon"} {
		if _, err := Load(ModeDev, env(map[string]string{"MIF_WORKFLOW_WAIT": bad})); err == nil || !strings.Contains(err.Error(), "MIF_WORKFLOW_WAIT") {
			t.Errorf("MIF_WORKFLOW_WAIT=%s: %v", bad, err)
		}
	}
	if _, err := Load(ModeDev, env(map[string]string{"MIF_OUTBOX_INTERVAL": "1ms"})); err == nil || !strings.Contains(err.Error(), "MIF_OUTBOX_INTERVAL") {
		t.Errorf("MIF_OUTBOX_INTERVAL=1ms: %v", err)
	}
	if MaxWorkflowWait >= HTTPWriteTimeout {
		t.Fatalf("MaxWorkflowWait %v must stay under HTTPWriteTimeout %v", MaxWorkflowWait, HTTPWriteTimeout)
	}
}
