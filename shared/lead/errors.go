package lead

import (
	"errors"
	"fmt"
)

// Error codes. Callers act on the code, never on the message: the HTTP layer
// maps codes to statuses, queue consumers decide retry or dead-letter.
const (
	EINVALID       = "invalid"       // bad input: 400
	EUNPROCESSABLE = "unprocessable" // well-formed but refused (missing reason): 422
	ENOTFOUND      = "not_found"     // 404
	ECONFLICT      = "conflict"      // a conditional write lost: retry after re-reading
	ETOOLARGE      = "too_large"     // 413
	EUNSUPPORTED   = "unsupported"   // media type: 415
	EUNAUTHORIZED  = "unauthorized"  // 401
	ERATELIMIT     = "rate_limited"  // 429
	EUNAVAILABLE   = "unavailable"   // transient dependency failure: retry
	EINTERNAL      = "internal"      // a bug or unexpected failure
)

// Error is a domain error with a code, a message safe to show a client and,
// for validation, the field at fault.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error // the underlying cause, never shown to clients
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error naming field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// IsCode reports whether err carries code.
func IsCode(err error, code string) bool { return err != nil && ErrorCode(err) == code }

// Retryable reports whether a failed operation may succeed when repeated.
func Retryable(err error) bool {
	switch ErrorCode(err) {
	case EUNAVAILABLE, ECONFLICT, ERATELIMIT, EINTERNAL:
		return true
	}
	return false
}
