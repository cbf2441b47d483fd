// Package domain holds the business vocabulary of the platform: entities, enums, status rules,
// validation and typed errors. It performs no I/O and imports nothing of ours.
package domain

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors that every layer speaks. Storage maps driver errors onto them and the API maps
// them onto HTTP status codes, so no layer needs to know another's internals.
var (
	ErrNotFound          = errors.New("not found")
	ErrConflict          = errors.New("conflict")
	ErrInvalidTransition = errors.New("invalid status transition")
	ErrForbidden         = errors.New("forbidden")
	ErrUnauthenticated   = errors.New("unauthenticated")
)

// FieldError is one invalid field of an input.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of an input, so that a client can fix them all at once.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "données invalides: " + strings.Join(parts, "; ")
}

// Validator accumulates field errors; the zero value is ready to use.
type Validator struct {
	fields []FieldError
}

// Add records an error for field.
func (v *Validator) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Check records an error for field when ok is false.
func (v *Validator) Check(ok bool, field, format string, args ...any) {
	if !ok {
		v.Add(field, format, args...)
	}
}

// Err returns a *ValidationError when any error was recorded, nil otherwise.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	sort.SliceStable(v.fields, func(i, j int) bool { return v.fields[i].Field < v.fields[j].Field })
	return &ValidationError{Fields: v.fields}
}

// ConflictError explains a conflict (a duplicate key, an invalid transition) in words a user reads.
type ConflictError struct {
	Reason string
	Err    error // ErrConflict or ErrInvalidTransition
}

func (e *ConflictError) Error() string { return e.Reason }
func (e *ConflictError) Unwrap() error { return e.Err }

// Conflictf builds a ConflictError that matches ErrConflict.
func Conflictf(format string, args ...any) error {
	return &ConflictError{Reason: fmt.Sprintf(format, args...), Err: ErrConflict}
}
