package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/telemetry"
	"github.com/mifmaroc/mif/temporalerr"
)

// Problem is an RFC 9457 problem document. FastAPI clients read Detail.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	TraceID   string              `json:"trace_id,omitempty"`
	Errors    []domain.FieldError `json:"errors,omitempty"`
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// problem writes a problem+json answer.
func problem(w http.ResponseWriter, r *http.Request, status int, detail string, fields ...domain.FieldError) {
	p := Problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail,
		Instance: r.URL.Path, RequestID: requestIDFrom(r.Context()), TraceID: telemetry.TraceID(r.Context()), Errors: fields,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// fail maps an error from any layer onto an HTTP answer. Unknown errors are logged with the
// request's fields and answered 500 without detail: no SQL, stack or secret leaves the server.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if de, ok := temporalerr.Unwrap(err); ok {
		err = de
	}
	var ve *domain.ValidationError
	var ce *domain.ConflictError
	switch {
	case errors.As(err, &ve):
		problem(w, r, http.StatusUnprocessableEntity, ve.Error(), ve.Fields...)
	case errors.As(err, &ce):
		problem(w, r, http.StatusConflict, ce.Reason)
	case errors.Is(err, domain.ErrNotFound):
		problem(w, r, http.StatusNotFound, "ressource introuvable")
	case errors.Is(err, domain.ErrForbidden):
		problem(w, r, http.StatusForbidden, "action non autorisée pour votre rôle")
	case errors.Is(err, domain.ErrUnauthenticated):
		problem(w, r, http.StatusUnauthorized, "authentification requise")
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		problem(w, r, http.StatusServiceUnavailable, "requête interrompue")
	default:
		s.log.Error("request failed", zap.String("request_id", requestIDFrom(r.Context())), traceField(r),
			zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Error(err))
		problem(w, r, http.StatusInternalServerError, "erreur interne; l'incident est journalisé")
	}
}
