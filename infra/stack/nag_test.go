package stack_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
)

// TestNagAwsSolutions: every cdk-nag AwsSolutions finding is either fixed or
// suppressed with a reason; an unsuppressed one is an error annotation.
func TestNagAwsSolutions(t *testing.T) {
	s := synth(t)
	t.Logf("config check and build %s, synthesis %s (placeholder functions: %v)", s.built, s.took, s.placeholders)
	for _, m := range s.messages {
		switch m.Level {
		case cxapi.SynthesisMessageLevel_ERROR:
			t.Errorf("%s: %v", *m.Id, m.Entry.Data)
		case cxapi.SynthesisMessageLevel_WARNING:
			t.Logf("warning %s: %v", *m.Id, m.Entry.Data)
		}
	}
}
