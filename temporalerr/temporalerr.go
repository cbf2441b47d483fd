// Package temporalerr carries domain errors across Temporal: activities turn them into typed
// application errors (non-retryable when retrying cannot help), and callers of workflows turn
// those back into domain errors so that the API answers 404/409/422 as if it had called storage.
package temporalerr

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/mifmaroc/mif/domain"
)

// Application error types.
const (
	TypeValidation        = "ValidationError"
	TypeNotFound          = "NotFound"
	TypeConflict          = "Conflict"
	TypeInvalidTransition = "InvalidTransition"
	TypeForbidden         = "Forbidden"
)

// Wrap converts a domain error into a Temporal application error; errors that are not domain
// errors are returned unchanged (and so are retried).
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	var ve *domain.ValidationError
	var ce *domain.ConflictError
	switch {
	case errors.As(err, &ve):
		return temporal.NewNonRetryableApplicationError(ve.Error(), TypeValidation, nil, ve.Fields)
	case errors.Is(err, domain.ErrInvalidTransition):
		return temporal.NewNonRetryableApplicationError(reason(err, ce), TypeInvalidTransition, nil)
	case errors.Is(err, domain.ErrConflict):
		return temporal.NewNonRetryableApplicationError(reason(err, ce), TypeConflict, nil)
	case errors.Is(err, domain.ErrNotFound):
		return temporal.NewNonRetryableApplicationError("introuvable", TypeNotFound, nil)
	case errors.Is(err, domain.ErrForbidden):
		return temporal.NewNonRetryableApplicationError("interdit", TypeForbidden, nil)
	}
	return err
}

func reason(err error, ce *domain.ConflictError) string {
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return err.Error()
}

// Unwrap converts an error returned by a workflow, update or activity back into a domain error.
// The second result is false when err carries no domain meaning (an infrastructure failure).
func Unwrap(err error) (error, bool) {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		return err, false
	}
	switch ae.Type() {
	case TypeValidation:
		var fields []domain.FieldError
		if ae.HasDetails() {
			_ = ae.Details(&fields)
		}
		return &domain.ValidationError{Fields: fields}, true
	case TypeNotFound:
		return domain.ErrNotFound, true
	case TypeConflict:
		return &domain.ConflictError{Reason: ae.Message(), Err: domain.ErrConflict}, true
	case TypeInvalidTransition:
		return &domain.ConflictError{Reason: ae.Message(), Err: domain.ErrInvalidTransition}, true
	case TypeForbidden:
		return domain.ErrForbidden, true
	}
	return err, false
}
