package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/workflows"
)

// TestKeyRotationSurvivesAWorkerCrash rotates the keys of encrypted documents: the first worker
// re-encrypts part of a batch and dies (its activity never reports back); a second worker takes
// the batch over and finishes. Every document then opens with the new key alone, and progress is
// readable from the workflow Query through the admin endpoint.
func TestKeyRotationSurvivesAWorkerCrash(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t, apitest.WithoutWorker())
	apitest.Exclusive(t, apitest.KeyRotation)
	ctx := context.Background()
	admin, resp := e.Token(apitest.Admin), e.Token(apitest.Responsable)
	iv := e.intervention(t, "Presse hydraulique PH-001", "")
	var docs []storage.Document
	for i := range 6 {
		sensitive := "true"
		if i == 5 {
			sensitive = "false" // plain files are left alone
		}
		r := e.upload(t, upload{file: pdfBytes("document " + string(rune('A'+i))), name: "doc" + string(rune('A'+i)) + ".pdf", token: resp,
			fields: map[string]string{"intervention_id": apitest.ID(iv), "type_document": "archive", "sensitive": sensitive}})
		var d storage.Document
		r.JSON(t, &d)
		docs = append(docs, d)
	}

	oldKey, newKey := e.keys[0], newFernetKey(t)
	rotating, err := documents.Open(e.dir, []string{newKey, oldKey})
	if err != nil {
		t.Fatal(err)
	}
	// A previous crash between rewriting a file and recording its key: the file of doc E is
	// already on the new key while its row still says otherwise.
	var keyE string
	if err := e.Store.Q().GetContext(ctx, &keyE, `SELECT chemin_fichier FROM documents WHERE id = $1`, docs[4].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := rotating.Reencrypt(keyE, docs[4].Checksum); err != nil {
		t.Fatal(err)
	}

	acts := &activities.Activities{Store: e.Store, Log: e.Log, Documents: rotating}
	queue := e.Config.Temporal.TaskQueue
	crashed := make(chan struct{})
	w1 := worker.New(e.Temporal, queue, worker.Options{})
	w1.RegisterWorkflowWithOptions(workflows.KeyRotationWorkflow, workflow.RegisterOptions{Name: workflows.KeyRotationWorkflowName})
	w1.RegisterActivityWithOptions(acts.DocumentKeyRotationStatus, activity.RegisterOptions{Name: "DocumentKeyRotationStatus"})
	w1.RegisterActivityWithOptions(func(ctx context.Context, in activities.RotateDocumentKeysInput) (activities.RotateDocumentKeysResult, error) {
		// Does two documents of the batch for real, then hangs until the worker goes away.
		if _, err := acts.RotateDocumentKeys(ctx, activities.RotateDocumentKeysInput{AfterID: in.AfterID, BatchSize: 2}); err != nil {
			return activities.RotateDocumentKeysResult{}, err
		}
		close(crashed)
		<-ctx.Done()
		return activities.RotateDocumentKeysResult{}, ctx.Err()
	}, activity.RegisterOptions{Name: "RotateDocumentKeys"})
	if err := w1.Start(); err != nil {
		t.Fatal(err)
	}
	run, err := e.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.KeyRotationWorkflowID, TaskQueue: queue},
		workflows.KeyRotationWorkflowName, workflows.KeyRotationInput{BatchSize: 4, HeartbeatTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-crashed:
	case <-time.After(60 * time.Second):
		t.Fatal("the first worker never started rotating")
	}
	// Progress is readable mid-way, from the API.
	pr := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/admin/documents/rotate-keys", Token: admin})
	var mid struct {
		Progress workflows.KeyRotationProgress `json:"progression"`
	}
	pr.JSON(t, &mid)
	if pr.Status != http.StatusOK || mid.Progress.Status != "en_cours" || mid.Progress.Total != 5 {
		t.Fatalf("progress during the rotation: %d %s", pr.Status, pr.Body)
	}
	w1.Stop() // the crash

	w2 := orchestration.NewWorker(e.Temporal, queue, acts)
	if err := w2.Start(); err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	waitCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var p workflows.KeyRotationProgress
	if err := run.Get(waitCtx, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != "terminee" || p.Total != 5 || p.Rotated != 5 || len(p.Failed) != 0 {
		t.Fatalf("result = %+v", p)
	}
	recordRotationHistory(t, e, run.GetRunID())

	// Only the new key is needed now; every checksum still matches.
	onlyNew, err := documents.Open(e.dir, []string{newKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		var row struct {
			Key   string  `db:"chemin_fichier"`
			CleID *string `db:"cle_id"`
		}
		if err := e.Store.Q().GetContext(ctx, &row, `SELECT chemin_fichier, cle_id FROM documents WHERE id = $1`, d.ID); err != nil {
			t.Fatal(err)
		}
		got, err := onlyNew.Get(row.Key, d.IsEncrypted, d.Checksum)
		if err != nil || documents.Checksum(got) != d.Checksum {
			t.Fatalf("document %d after rotation: %v", d.ID, err)
		}
		if d.IsEncrypted && (row.CleID == nil || *row.CleID != onlyNew.CurrentKeyID()) {
			t.Fatalf("document %d key id = %v", d.ID, row.CleID)
		}
	}
	plain, _ := os.ReadFile(filepath.Join(e.dir, filepath.FromSlash(mustKey(t, e, docs[5].ID))))
	if string(plain) != string(pdfBytes("document F")) {
		t.Fatal("a plain document must not be touched")
	}

	// The endpoint answers the finished run's progress, and refuses non-admins.
	pr = e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/admin/documents/rotate-keys", Token: admin})
	pr.JSON(t, &mid)
	if mid.Progress.Status != "terminee" || mid.Progress.Rotated != 5 {
		t.Fatalf("final progress: %s", pr.Body)
	}
	if r := e.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/admin/documents/rotate-keys", Token: resp}); r.Status != http.StatusForbidden {
		t.Fatalf("responsable: %d", r.Status)
	}
	if r := e.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/admin/documents/rotate-keys", Token: admin, Body: map[string]int{"taille_lot": 5000}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad batch size: %d", r.Status)
	}
	// Starting again through the API runs a new rotation, with nothing left to do.
	r := e.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/admin/documents/rotate-keys", Token: admin, Body: map[string]int{"taille_lot": 10}})
	var started struct {
		WorkflowID string `json:"workflow_id"`
		RunID      string `json:"run_id"`
	}
	r.JSON(t, &started)
	if r.Status != http.StatusAccepted || started.WorkflowID != workflows.KeyRotationWorkflowID || started.RunID == run.GetRunID() {
		t.Fatalf("restart: %d %s", r.Status, r.Body)
	}
	if err := e.Temporal.GetWorkflow(ctx, started.WorkflowID, started.RunID).Get(waitCtx, &p); err != nil || p.Total != 0 || p.Status != "terminee" {
		t.Fatalf("second rotation: %+v %v", p, err)
	}
}

func mustKey(t *testing.T, e *docEnv, id int64) string {
	t.Helper()
	var k string
	if err := e.Store.Q().GetContext(context.Background(), &k, `SELECT chemin_fichier FROM documents WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return k
}

// recordRotationHistory replays the rotation's history (with its crashed attempt) with the
// current code, and with MIF_RECORD_HISTORIES=1 writes it to workflows/testdata, where the
// workflows package's replay test keeps checking it.
func recordRotationHistory(t *testing.T, e *docEnv, runID string) {
	t.Helper()
	ctx := context.Background()
	it := e.Temporal.GetWorkflowHistory(ctx, workflows.KeyRotationWorkflowID, runID, false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.KeyRotationWorkflow, workflow.RegisterOptions{Name: workflows.KeyRotationWorkflowName})
	if err := r.ReplayWorkflowHistory(nil, h); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if os.Getenv("MIF_RECORD_HISTORIES") != "1" {
		return
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "workflows", "testdata", "keyrotation.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKeyRotationBatchRefusedByAWorkerWithOtherKeys: during a rolling restart a worker may still
// have the old FERNET_KEYS; it must not take a batch and seal documents back with its own first
// key. It refuses (Temporal retries the batch elsewhere) and touches nothing.
func TestKeyRotationBatchRefusedByAWorkerWithOtherKeys(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t, apitest.WithoutWorker())
	ctx := context.Background()
	iv := e.intervention(t, "Presse hydraulique PH-001", "")
	r := e.upload(t, upload{file: pdfBytes("plan"), name: "plan.pdf", token: e.Token(apitest.Responsable),
		fields: map[string]string{"intervention_id": apitest.ID(iv), "type_document": "plan", "sensitive": "true"}})
	var d storage.Document
	r.JSON(t, &d)
	newKey := newFernetKey(t)
	rotated, err := documents.Open(e.dir, []string{newKey, e.keys[0]})
	if err != nil {
		t.Fatal(err)
	}
	// The activity heartbeats: run it in an activity environment, as a worker would.
	rotate := func(acts *activities.Activities) (activities.RotateDocumentKeysResult, error) {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestActivityEnvironment()
		env.RegisterActivity(acts)
		var res activities.RotateDocumentKeysResult
		v, err := env.ExecuteActivity(acts.RotateDocumentKeys, activities.RotateDocumentKeysInput{BatchSize: 10, KeyID: rotated.CurrentKeyID()})
		if err == nil {
			err = v.Get(&res)
		}
		return res, err
	}
	stale := &activities.Activities{Store: e.Store, Log: e.Log, Documents: e.vault} // old keys only
	if res, err := rotate(stale); err == nil || !strings.Contains(err.Error(), "autre clé") {
		t.Fatalf("stale worker: %+v %v", res, err)
	}
	var cle string
	if err := e.Store.Q().GetContext(ctx, &cle, `SELECT cle_id FROM documents WHERE id = $1`, d.ID); err != nil || cle != e.vault.CurrentKeyID() {
		t.Fatalf("cle_id = %q %v: the stale worker must not touch the document", cle, err)
	}
	// The worker with the new key does the batch.
	fresh := &activities.Activities{Store: e.Store, Log: e.Log, Documents: rotated}
	if res, err := rotate(fresh); err != nil || res.Rotated != 1 || res.Remaining != 0 {
		t.Fatalf("fresh worker: %+v %v", res, err)
	}
}

// TestKeyRotationProgressOfAFailedRun: a rotation that cannot run (this worker has no document
// storage) fails; its progress says so rather than "en_cours" for ever.
func TestKeyRotationProgressOfAFailedRun(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t, apitest.WithActivities(func(a *activities.Activities) { a.Documents = nil }))
	apitest.Exclusive(t, apitest.KeyRotation)
	admin := e.Token(apitest.Admin)
	r := e.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/admin/documents/rotate-keys", Token: admin})
	var started rotationAnswer
	r.JSON(t, &started)
	if r.Status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.Temporal.GetWorkflow(ctx, started.WorkflowID, started.RunID).Get(ctx, nil); err == nil {
		t.Fatal("want the rotation to fail without document storage")
	}
	var got rotationAnswer
	pr := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/admin/documents/rotate-keys", Token: admin})
	pr.JSON(t, &got)
	if pr.Status != http.StatusOK || got.Progress.Status != "interrompue" {
		t.Fatalf("progress of the failed run: %d %s", pr.Status, pr.Body)
	}
}

// rotationAnswer decodes the answers of /admin/documents/rotate-keys.
type rotationAnswer struct {
	WorkflowID string                        `json:"workflow_id"`
	RunID      string                        `json:"run_id"`
	Progress   workflows.KeyRotationProgress `json:"progression"`
}
