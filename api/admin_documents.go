package api

import (
	"errors"
	"net/http"

	"go.temporal.io/api/serviceerror"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

func (s *Server) registerAdminDocumentRoutes() {
	const path = "/api/v1/admin/documents/rotate-keys"
	// "admin:*" is held by the admin role only (its policy line is "*, *").
	s.handle(http.MethodPost, path, "admin:rotate_keys", s.startKeyRotation)
	s.handle(http.MethodGet, path, "admin:rotate_keys", s.keyRotationProgress)
}

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
	run, err := workflows.StartKeyRotation(r.Context(), s.temporal, s.cfg.Temporal.TaskQueue, req.TailleLot)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/admin/documents/rotate-keys")
	writeJSON(w, http.StatusAccepted, KeyRotationAnswer{WorkflowID: run.GetID(), RunID: run.GetRunID()})
}

// keyRotationProgress answers the latest rotation's progress from its workflow Query (it works
// on a finished run too).
func (s *Server) keyRotationProgress(w http.ResponseWriter, r *http.Request) {
	v, err := s.temporal.QueryWorkflow(r.Context(), workflows.KeyRotationWorkflowID, "", workflows.QueryKeyRotationProgress)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		problem(w, r, http.StatusNotFound, "aucune rotation de clés lancée")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var p workflows.KeyRotationProgress
	if err := v.Get(&p); err != nil {
		s.fail(w, r, err)
		return
	}
	desc, err := s.temporal.DescribeWorkflow(r.Context(), workflows.KeyRotationWorkflowID, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	exec := desc.RawResponse.GetWorkflowExecutionInfo().GetExecution()
	writeJSON(w, http.StatusOK, KeyRotationAnswer{WorkflowID: exec.GetWorkflowId(), RunID: exec.GetRunId(), Progress: &p})
}
