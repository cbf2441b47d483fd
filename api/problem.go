package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/telemetry"
	"github.com/mifmaroc/mif/temporalerr"
)

// Problem is an RFC 9457 problem document. FastAPI clients read Detail; programs switch on Code.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Code      ProblemCode         `json:"code"`
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

// ProblemCode is the stable, machine-readable reason of a problem answer: clients switch on it,
// never on the French detail (which may be reworded). English snake_case, like every mechanism.
type ProblemCode string

// The codes a client may meet; the OpenAPI Problem schema lists them (tested).
const (
	CodeValidation           ProblemCode = "validation_failed"
	CodeBadRequest           ProblemCode = "bad_request"
	CodeUnauthenticated      ProblemCode = "unauthenticated"
	CodeTokenMissing         ProblemCode = "token_missing"
	CodeTokenInvalid         ProblemCode = "token_invalid"
	CodeTokenRevoked         ProblemCode = "token_revoked"
	CodeInvalidCredentials   ProblemCode = "invalid_credentials"
	CodeRefreshReused        ProblemCode = "refresh_token_reused"
	CodeRefreshInvalid       ProblemCode = "refresh_token_invalid"
	CodeSessionExpired       ProblemCode = "session_expired"
	CodeOIDCDisabled         ProblemCode = "oidc_disabled"
	CodeOIDCState            ProblemCode = "oidc_state_invalid"
	CodeOIDCRefused          ProblemCode = "oidc_refused"
	CodeForbidden            ProblemCode = "forbidden"
	CodeNotFound             ProblemCode = "not_found"
	CodeMethodNotAllowed     ProblemCode = "method_not_allowed"
	CodeConflict             ProblemCode = "conflict"
	CodeInvalidTransition    ProblemCode = "invalid_transition"
	CodePayloadTooLarge      ProblemCode = "payload_too_large"
	CodeUnsupportedMediaType ProblemCode = "unsupported_media_type"
	CodeRateLimited          ProblemCode = "rate_limited"
	CodeUnavailable          ProblemCode = "service_unavailable"
	// CodeDependencyUnavailable: PostgreSQL is down, starting or out of connections (503,
	// Retry-After); nothing was done, the same request may be sent again.
	CodeDependencyUnavailable ProblemCode = "dependency_unavailable"
	// CodeWorkflowUnavailable: Temporal cannot be reached, or no worker took the request within
	// MIF_WORKFLOW_WAIT, or the intervention's workflow is not started yet (503, Retry-After);
	// send it again with the same Idempotency-Key.
	CodeWorkflowUnavailable ProblemCode = "workflow_unavailable"
	CodeInternal            ProblemCode = "internal_error"
	// CodeOverloaded: the API is past its admission limit (admission.go); retry after Retry-After.
	CodeOverloaded ProblemCode = "overloaded"
)

// ProblemCodes lists every code (the contract test checks the OpenAPI enum against it).
var ProblemCodes = []ProblemCode{
	CodeValidation, CodeBadRequest, CodeUnauthenticated, CodeTokenMissing, CodeTokenInvalid, CodeTokenRevoked,
	CodeInvalidCredentials, CodeRefreshReused, CodeRefreshInvalid, CodeSessionExpired, CodeOIDCDisabled,
	CodeOIDCState, CodeOIDCRefused, CodeForbidden, CodeNotFound, CodeMethodNotAllowed, CodeConflict,
	CodeInvalidTransition, CodePayloadTooLarge, CodeUnsupportedMediaType, CodeRateLimited, CodeUnavailable,
	CodeInternal, CodeDependencyUnavailable, CodeWorkflowUnavailable, CodeOverloaded,
}

// statusCode is the code of a status when nothing more precise is known.
func statusCode(status int) ProblemCode {
	switch status {
	case http.StatusUnprocessableEntity:
		return CodeValidation
	case http.StatusUnauthorized:
		return CodeUnauthenticated
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case http.StatusConflict:
		return CodeConflict
	case http.StatusRequestEntityTooLarge:
		return CodePayloadTooLarge
	case http.StatusUnsupportedMediaType:
		return CodeUnsupportedMediaType
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusServiceUnavailable:
		return CodeUnavailable
	}
	if status >= 500 {
		return CodeInternal
	}
	return CodeBadRequest
}

// problem writes a problem+json answer whose code follows from its status.
func problem(w http.ResponseWriter, r *http.Request, status int, detail string, fields ...domain.FieldError) {
	problemCode(w, r, status, statusCode(status), detail, fields...)
}

// problemCode writes a problem+json answer with a precise code.
func problemCode(w http.ResponseWriter, r *http.Request, status int, code ProblemCode, detail string, fields ...domain.FieldError) {
	p := Problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail,
		Instance: r.URL.Path, RequestID: requestIDFrom(r.Context()), TraceID: telemetry.TraceID(r.Context()), Errors: fields,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// retryAfterSeconds is what a 503 for an unavailable dependency asks the client to wait: a
// restarting PostgreSQL or Temporal is back within seconds, and clients that all come back at
// once should not hammer it.
const retryAfterSeconds = "5"

// unavailable answers 503 with Retry-After for a dependency that is down or slow; logged as a
// warning (the operator's dashboards see the outage; it is not a bug).
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, code ProblemCode, detail string, err error) {
	s.log.Warn("dependency unavailable", zap.String("request_id", requestIDFrom(r.Context())), traceField(r),
		zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.String("code", string(code)), zap.Error(err))
	w.Header().Set("Retry-After", retryAfterSeconds)
	problemCode(w, r, http.StatusServiceUnavailable, code, detail)
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
	case errors.As(err, &ce) && errors.Is(ce, domain.ErrInvalidTransition):
		problemCode(w, r, http.StatusConflict, CodeInvalidTransition, ce.Reason)
	case errors.As(err, &ce):
		problem(w, r, http.StatusConflict, ce.Reason)
	case errors.Is(err, domain.ErrNotFound):
		problem(w, r, http.StatusNotFound, "ressource introuvable")
	case errors.Is(err, domain.ErrForbidden):
		problem(w, r, http.StatusForbidden, "action non autorisée pour votre rôle")
	case errors.Is(err, domain.ErrUnauthenticated):
		problem(w, r, http.StatusUnauthorized, "authentification requise")
	case storage.IsInvalidText(err):
		// Text the decoders should have refused reached PostgreSQL: invalid input, not a fault of
		// the server. Logged without the query or its arguments.
		s.log.Warn("invalid text reached the database", zap.String("request_id", requestIDFrom(r.Context())),
			zap.String("method", r.Method), zap.String("path", r.URL.Path))
		problem(w, r, http.StatusUnprocessableEntity, "données invalides: caractères invalides (octet NUL ou UTF-8 invalide)",
			domain.FieldError{Field: "body", Message: invalidTextMessage})
	case overloadedRead(r): // admission.go: the read outlived its budget, pool wait included
		s.admission.refuse(w, r)
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		problem(w, r, http.StatusServiceUnavailable, "requête interrompue")
	case storage.Unavailable(err):
		s.unavailable(w, r, CodeDependencyUnavailable, "base de données momentanément indisponible; réessayez dans quelques secondes", err)
	case temporalerr.TimedOut(err):
		s.unavailable(w, r, CodeWorkflowUnavailable, "le traitement n'a pas été pris en charge dans le délai; "+
			"réessayez avec la même Idempotency-Key", err)
	case temporalerr.Unavailable(err):
		s.unavailable(w, r, CodeWorkflowUnavailable, "moteur de workflows momentanément indisponible; réessayez dans quelques secondes", err)
	default:
		s.log.Error("request failed", zap.String("request_id", requestIDFrom(r.Context())), traceField(r),
			zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Error(err))
		problem(w, r, http.StatusInternalServerError, "erreur interne; l'incident est journalisé")
	}
}
