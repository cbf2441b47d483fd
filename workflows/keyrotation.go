package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
)

// Names of the document key rotation.
const (
	KeyRotationWorkflowName = "DocumentKeyRotationWorkflow"
	// KeyRotationWorkflowID is fixed: two requests to rotate join the same run instead of racing.
	KeyRotationWorkflowID = "documents/rotate-keys"
	// QueryKeyRotationProgress returns a KeyRotationProgress.
	QueryKeyRotationProgress = "progress"
)

// KeyRotationInput starts a rotation; Progress carries the state across continue-as-new.
type KeyRotationInput struct {
	BatchSize int
	// HeartbeatTimeout bounds how long a crashed worker holds a batch before another worker
	// resumes it (default 30s).
	HeartbeatTimeout time.Duration
	Progress         *KeyRotationProgress `json:",omitempty"`
}

// KeyRotationProgress is the rotation's state, answered by the "progress" query and returned at
// the end.
type KeyRotationProgress struct {
	Status       string `json:"statut"` // en_cours, terminee (the API says interrompue for a run that failed)
	CurrentKeyID string `json:"cle_courante"`
	Total        int    `json:"total"`
	Rotated      int    `json:"rechiffres"` // Total minus what is still on an old key

	Failed  []int64 `json:"echecs"`
	LastID  int64   `json:"dernier_id"`
	Batches int     `json:"lots"`
}

// batchesPerRun bounds the history of one run; the rotation continues as new after that many.
const batchesPerRun = 200

// KeyRotationWorkflow re-encrypts every encrypted document with the current first Fernet key,
// batch after batch in id order. Each batch is an idempotent activity (documents already on the
// current key are skipped), so a worker crash only repeats the unfinished part of one batch.
func KeyRotationWorkflow(ctx workflow.Context, in KeyRotationInput) (KeyRotationProgress, error) {
	if in.BatchSize <= 0 {
		in.BatchSize = 100
	}
	if in.HeartbeatTimeout <= 0 {
		in.HeartbeatTimeout = 30 * time.Second
	}
	p := KeyRotationProgress{Status: "en_cours", Failed: []int64{}}
	if in.Progress != nil {
		p = *in.Progress
	}
	if err := workflow.SetQueryHandler(ctx, QueryKeyRotationProgress, func() (KeyRotationProgress, error) { return p, nil }); err != nil {
		return p, err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    in.HeartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	var a *activities.Activities
	if in.Progress == nil {
		var st activities.KeyRotationStatus
		if err := workflow.ExecuteActivity(ctx, a.DocumentKeyRotationStatus, activities.KeyRotationStatusInput{}).Get(ctx, &st); err != nil {
			return p, err
		}
		p.CurrentKeyID, p.Total = st.CurrentKeyID, st.Remaining
	}
	for run := 0; ; run++ {
		if run == batchesPerRun {
			in.Progress = &p
			return p, workflow.NewContinueAsNewError(ctx, KeyRotationWorkflowName, in)
		}
		var r activities.RotateDocumentKeysResult
		err := workflow.ExecuteActivity(ctx, a.RotateDocumentKeys, activities.RotateDocumentKeysInput{AfterID: p.LastID, BatchSize: in.BatchSize, KeyID: p.CurrentKeyID}).Get(ctx, &r)
		if err != nil {
			return p, err
		}
		p.Batches++
		p.Rotated = max(p.Total-r.Remaining, 0)
		p.Failed = append(p.Failed, r.Failed...)
		p.LastID = r.LastID
		// Shown on the workflow's page in the Temporal Web UI ("current details"), this batch's
		// failures included. (Metadata, not a command: replay is unaffected.)
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("%d/%d documents rechiffrés, %d échec(s), %d lot(s)", p.Rotated, p.Total, len(p.Failed), p.Batches))
		if !r.More {
			break
		}
	}
	p.Status = "terminee"
	workflow.GetLogger(ctx).Info("document key rotation done", "rotated", p.Rotated, "failed", len(p.Failed))
	return p, nil
}
