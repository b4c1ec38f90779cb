// Package awserr translates AWS SDK errors into lead error codes, so that
// callers act on a code (retry, dead-letter, refuse) and never on an SDK
// type or message.
package awserr

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/leadflow/leadflow/shared/lead"
)

// Translate wraps err with op as context and the code that fits it:
//   - EUNAVAILABLE for what may pass: throttling, server faults, a missing
//     resource (a deployment in progress or a misconfiguration an operator
//     fixes, after which a redrive succeeds), a cancelled or timed-out
//     context, and failures without an API answer (network, DNS);
//   - EINTERNAL for a request the service refused as malformed: a bug.
//
// It returns nil for nil and err unchanged if it already carries a code.
func Translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var coded *lead.Error
	if errors.As(err, &coded) {
		return err
	}
	var api smithy.APIError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &lead.Error{Code: lead.EUNAVAILABLE, Message: op, Err: err}
	case errors.As(err, &api):
		code := api.ErrorCode()
		if api.ErrorFault() == smithy.FaultServer || Throttled(code) || Missing(code) {
			return &lead.Error{Code: lead.EUNAVAILABLE, Message: op + ": " + code, Err: err}
		}
		return &lead.Error{Code: lead.EINTERNAL, Message: op + ": " + code, Err: err}
	}
	return &lead.Error{Code: lead.EUNAVAILABLE, Message: op, Err: err}
}

// Throttled reports whether an API error code means "slow down".
func Throttled(code string) bool {
	switch code {
	case "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
		"RequestLimitExceeded", "RequestThrottled", "RequestThrottledException",
		"ProvisionedThroughputExceededException", "LimitExceededException",
		"TransactionConflictException", "TransactionInProgressException", "SlowDown":
		return true
	}
	return false
}

// Missing reports whether an API error code names a resource that does not
// exist (a table, queue, bus, state machine, secret).
func Missing(code string) bool {
	return strings.Contains(code, "NotFound") || strings.Contains(code, "DoesNotExist") || strings.Contains(code, "NonExistent")
}
