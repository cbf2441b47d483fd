package config

import (
	"strings"
	"testing"
	"time"
)

// TestLoadSettings: the read cache, the admission waits and the worker's sizing have defaults, take values, and
// refuse what makes no sense, naming the variable.
func TestLoadSettings(t *testing.T) {
	t.Parallel()
	c, err := Load(ModeDev, env(nil))
	if err != nil || c.ReadCache.TTL != time.Second || c.ReadCache.MaxBytes != 16<<20 ||
		c.Admission.Writes != 8 || c.Admission.Wait != 500*time.Millisecond || c.Admission.ReadWait != 250*time.Millisecond ||
		c.Temporal.Worker != (Worker{CacheSize: 300}) {
		t.Fatalf("defaults: %+v %+v %v", c.ReadCache, c.Temporal.Worker, err)
	}
	c, err = Load(ModeDev, env(map[string]string{"MIF_READ_CACHE_TTL": "0", "MIF_WORKER_CACHE_SIZE": "200",
		"MIF_WORKER_WORKFLOW_TASKS": "8", "MIF_WORKER_ACTIVITIES": "16"}))
	if err != nil || c.ReadCache.TTL != 0 || c.Temporal.Worker != (Worker{CacheSize: 200, WorkflowTasks: 8, Activities: 16}) {
		t.Fatalf("set: %+v %+v %v", c.ReadCache, c.Temporal.Worker, err)
	}
	for name, bad := range map[string]string{"MIF_READ_CACHE_TTL": "2m", "MIF_READ_CACHE_BYTES": "10",
		"MIF_WORKER_CACHE_SIZE": "1", "MIF_WORKER_ACTIVITIES": "-1", "MIF_ADMISSION_READ_WAIT": "-1s"} {
		if _, err := Load(ModeDev, env(map[string]string{name: bad})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, bad, err)
		}
	}
}
