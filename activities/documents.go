package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/temporalerr"
)

// errNoVault is returned when the worker was started without document storage: retrying cannot
// help, so it is not retried.
func errNoVault() error {
	return temporal.NewNonRetryableApplicationError("stockage de documents non configuré sur ce worker", "DocumentsNotConfigured", nil)
}

// KeyRotationStatusInput is empty; the struct keeps the signature open.
type KeyRotationStatusInput struct{}

// KeyRotationStatus says how many encrypted documents are not sealed with the current key.
type KeyRotationStatus struct {
	CurrentKeyID string
	Remaining    int
}

// DocumentKeyRotationStatus counts the documents that a rotation still has to re-encrypt.
func (a *Activities) DocumentKeyRotationStatus(ctx context.Context, _ KeyRotationStatusInput) (KeyRotationStatus, error) {
	if a.Documents == nil {
		return KeyRotationStatus{}, errNoVault()
	}
	id := a.Documents.CurrentKeyID()
	if id == "" {
		return KeyRotationStatus{}, temporal.NewNonRetryableApplicationError("FERNET_KEYS vide: aucune clé pour chiffrer", "NoKeys", nil)
	}
	n, err := a.Store.CountDocumentsToRotate(ctx, id)
	return KeyRotationStatus{CurrentKeyID: id, Remaining: n}, temporalerr.Wrap(err)
}

// RotateDocumentKeysInput asks for one batch of re-encryption after document AfterID.
type RotateDocumentKeysInput struct {
	AfterID   int64
	BatchSize int
	// KeyID is the fingerprint of the key the rotation moves to (KeyRotationStatus.CurrentKeyID).
	// A worker whose first key differs (not restarted yet with the new FERNET_KEYS) refuses the
	// batch instead of sealing documents back with its own key; Temporal retries it, on a worker
	// that has the right key. Empty: whatever this worker's first key is.
	KeyID string
}

// RotateDocumentKeysResult reports one batch. LastID is the highest document id looked at (the
// next batch starts after it); More is false when the batch was the last one.
type RotateDocumentKeysResult struct {
	Rotated int
	// Failed lists documents that could not be re-encrypted (file missing or altered, or sealed
	// by a key no longer configured): they are left as they are and reported, not retried forever.
	Failed []int64
	LastID int64
	More   bool
	// Remaining counts the encrypted documents still not on the current key after this batch
	// (failures included): progress is measured on the data, so work done by an attempt that
	// crashed before reporting is counted too.
	Remaining int
}

// RotateDocumentKeys re-encrypts up to BatchSize documents with the current first key. Each
// file is replaced atomically and its row then records the new key, so an interruption at any
// point leaves every file readable, and the next attempt skips the documents already done
// (their key is the current one). Progress is heartbeated: a crashed worker is noticed after the
// heartbeat timeout and the batch resumes on another worker.
func (a *Activities) RotateDocumentKeys(ctx context.Context, in RotateDocumentKeysInput) (RotateDocumentKeysResult, error) {
	if a.Documents == nil {
		return RotateDocumentKeysResult{}, errNoVault()
	}
	if in.BatchSize <= 0 {
		in.BatchSize = 100
	}
	keyID := a.Documents.CurrentKeyID()
	if in.KeyID != "" && in.KeyID != keyID {
		return RotateDocumentKeysResult{}, temporal.NewApplicationError(
			"ce worker chiffre avec une autre clé que celle de la rotation (FERNET_KEYS différent): lot laissé à un autre worker",
			"RotationKeyMismatch")
	}
	docs, err := a.Store.DocumentsToRotate(ctx, keyID, in.AfterID, in.BatchSize)
	if err != nil {
		return RotateDocumentKeysResult{}, temporalerr.Wrap(err)
	}
	res := RotateDocumentKeysResult{LastID: in.AfterID, More: len(docs) == in.BatchSize}
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		id, err := a.Documents.ReencryptContext(ctx, d.CheminFichier, d.Checksum)
		switch {
		case errors.Is(err, documents.ErrIntegrity), errors.Is(err, documents.ErrNoKeys):
			a.Log.Error("document not re-encrypted", zap.Int64("document_id", d.ID), zap.Error(err))
			res.Failed = append(res.Failed, d.ID)
		case err != nil:
			if documents.IsMissing(err) {
				a.Log.Error("document file missing", zap.Int64("document_id", d.ID))
				res.Failed = append(res.Failed, d.ID)
				break
			}
			return res, err
		default:
			if err := a.Store.SetDocumentKey(ctx, d.ID, id); err != nil {
				return res, temporalerr.Wrap(err)
			}
			res.Rotated++
		}
		res.LastID = d.ID
		activity.RecordHeartbeat(ctx, d.ID)
	}
	if res.Remaining, err = a.Store.CountDocumentsToRotate(ctx, keyID); err != nil {
		return res, temporalerr.Wrap(err)
	}
	return res, nil
}
