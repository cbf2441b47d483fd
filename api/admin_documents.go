package api

import (
	"errors"
	"net/http"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/workflows"
)

// KeyRotationRequest is the optional body of POST /admin/documents/rotate-keys.
type KeyRotationRequest struct {
	TailleLot int `json:"taille_lot"`
}

// KeyRotationAnswer describes the rotation workflow and its progress.
type KeyRotationAnswer struct {
	WorkflowID string                         `json:"workflow_id"`
	RunID      string                         `json:"run_id"`
	Progress   *workflows.KeyRotationProgress `json:"progression,omitempty"`
}

// startKeyRotation starts the rotation workflow, or joins the one already running (its ID is
// fixed), and answers 202: the work goes on in Temporal, visible in its Web UI and through GET.
func (s *Server) startKeyRotation(w http.ResponseWriter, r *http.Request) {
	var req KeyRotationRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if req.TailleLot != 0 && (req.TailleLot < 1 || req.TailleLot > 1000) {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "taille_lot", Message: "entier entre 1 et 1000"}}})
		return
	}
	run, err := s.wf.KeyRotation.Start(r.Context(), req.TailleLot)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/admin/documents/rotate-keys")
	writeJSON(w, http.StatusAccepted, KeyRotationAnswer{WorkflowID: run.WorkflowID, RunID: run.RunID})
}

// keyRotationProgress answers the latest rotation's progress: from its workflow Query while it
// runs, from its result once it completed (no worker needed to read it), and as "interrompue"
// when the run failed or was stopped (with its last progress when a worker can still answer).
func (s *Server) keyRotationProgress(w http.ResponseWriter, r *http.Request) {
	run, p, err := s.wf.KeyRotation.Latest(r.Context())
	if errors.Is(err, orchestration.ErrWorkflowNotFound) {
		problem(w, r, http.StatusNotFound, "aucune rotation de clés lancée")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, KeyRotationAnswer{WorkflowID: run.WorkflowID, RunID: run.RunID, Progress: &p})
}
