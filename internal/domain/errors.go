package domain

import (
	"errors"
	"fmt"
)

// Sentinel errors that services return and the HTTP edge maps to statuses and codes.
var (
	ErrNotFound       = errors.New("not found")
	ErrForbidden      = errors.New("forbidden")
	ErrUnauthorized   = errors.New("unauthorized")
	ErrConflict       = errors.New("conflict")
	ErrAlreadyClaimed = errors.New("already claimed")
	ErrClosed         = errors.New("conversation is closed")
	// ErrCSRF is a request signed in by the console's cookie whose CSRF token is missing or wrong.
	ErrCSRF = errors.New("the CSRF token is missing or wrong")
)

// ValidationError is bad input: the field, a machine-readable code and words for a person.
type ValidationError struct {
	Code    string
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

func Invalid(code, field, format string, args ...any) error {
	return &ValidationError{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ClaimedError says who won a claim race, so the losers can be told.
type ClaimedError struct {
	Owner Person
}

func (e *ClaimedError) Error() string { return "already claimed by " + e.Owner.Name }
func (e *ClaimedError) Unwrap() error { return ErrAlreadyClaimed }
