package awserr

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/leadflow/leadflow/shared/lead"
)

func TestTranslate(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"throttled", &smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultClient}, lead.EUNAVAILABLE},
		{"server fault", &smithy.GenericAPIError{Code: "InternalFailure", Fault: smithy.FaultServer}, lead.EUNAVAILABLE},
		{"missing queue", &smithy.GenericAPIError{Code: "AWS.SimpleQueueService.NonExistentQueue", Fault: smithy.FaultClient}, lead.EUNAVAILABLE},
		{"missing state machine", &smithy.GenericAPIError{Code: "StateMachineDoesNotExist", Fault: smithy.FaultClient}, lead.EUNAVAILABLE},
		{"malformed request", &smithy.GenericAPIError{Code: "ValidationException", Fault: smithy.FaultClient}, lead.EINTERNAL},
		{"deadline", fmt.Errorf("send: %w", context.DeadlineExceeded), lead.EUNAVAILABLE},
		{"network", errors.New("dial tcp: connection refused"), lead.EUNAVAILABLE},
		{"already coded", lead.Errorf(lead.ETOOLARGE, "too big"), lead.ETOOLARGE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Translate("op", tc.err)
			if got := lead.ErrorCode(err); got != tc.want {
				t.Errorf("code = %q (%v), want %q", got, err, tc.want)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("translated error %v does not wrap %v", err, tc.err)
			}
		})
	}
}
