package sfn_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/internal/motoserver"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/sfn"
)

func TestMain(m *testing.M) { os.Exit(motoserver.Run(m)) }

// waitDefinition is the shape of the stack's timer machines, minus the
// Lambda call: wait until the timer's "at".
const waitDefinition = `{"StartAt":"Wait","States":{"Wait":{"Type":"Wait","TimestampPath":"$.at","End":true}}}`

func TestExecutionName(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	long := strings.Repeat("nurture-01JQ8N4W6E5H2R7K9T3M000001-", 4)
	tests := []struct {
		key, want string
	}{
		{"sla-01JQ8N4W6E5H2R7K9T3M000001-4h", "sla-01JQ8N4W6E5H2R7K9T3M000001-4h"},
		{"sla:lead-1:4h", ""},
		{"sla_lead-1_4h", "sla_lead-1_4h"},
		{long, ""},
		{long + "x", ""},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		got := sfn.ExecutionName(tc.key)
		if !valid.MatchString(got) {
			t.Errorf("ExecutionName(%q) = %q, not a valid execution name", tc.key, got)
		}
		if tc.want != "" && got != tc.want {
			t.Errorf("ExecutionName(%q) = %q, want %q", tc.key, got, tc.want)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("keys %q and %q share the name %q", other, tc.key, got)
		}
		seen[got] = tc.key
	}
}

func TestScheduleAndCancel(t *testing.T) {
	ctx := t.Context()
	client := awssfn.NewFromConfig(motoserver.Config(t))
	machines := map[string]string{}
	for _, kind := range []string{pipeline.TimerSLA, pipeline.TimerNurture} {
		out, err := client.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{
			Name:       aws.String("leadflow-" + kind),
			Definition: aws.String(waitDefinition),
			RoleArn:    aws.String("arn:aws:iam::" + motoserver.Account + ":role/leadflow-timers"),
		})
		if err != nil {
			t.Fatal(err)
		}
		machines[kind] = aws.ToString(out.StateMachineArn)
	}
	s := sfn.NewFromConfig(motoserver.Config(t), machines)
	timer := pipeline.Timer{Key: "sla:lead-1:4h", Kind: pipeline.TimerSLA, LeadID: "lead-1", At: time.Date(2025, 3, 14, 13, 26, 53, 0, time.UTC), Data: "warn"}
	execARN := strings.Replace(machines[pipeline.TimerSLA], ":stateMachine:", ":execution:", 1) + ":" + sfn.ExecutionName(timer.Key)
	status := func(t *testing.T) types.ExecutionStatus {
		t.Helper()
		out, err := client.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: &execARN})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		var got pipeline.Timer
		if err := json.Unmarshal([]byte(aws.ToString(out.Input)), &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(timer, got); diff != "" {
			t.Errorf("execution input (-want +got):\n%s", diff)
		}
		return out.Status
	}

	steps := []struct {
		name string
		run  func() error
		want types.ExecutionStatus
	}{
		{"schedule starts an execution", func() error { return s.Schedule(ctx, timer) }, types.ExecutionStatusRunning},
		{"scheduling again keeps it", func() error { return s.Schedule(ctx, timer) }, types.ExecutionStatusRunning},
		{"the same key with other data is a no-op", func() error {
			other := timer
			other.Data = "reassign"
			return s.Schedule(ctx, other)
		}, types.ExecutionStatusRunning},
		{"cancel stops it", func() error { return s.Cancel(ctx, timer.Key) }, types.ExecutionStatusAborted},
		{"cancel again is fine", func() error { return s.Cancel(ctx, timer.Key) }, types.ExecutionStatusAborted},
		{"a cancelled key stays used", func() error { return s.Schedule(ctx, timer) }, types.ExecutionStatusAborted},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.run(); err != nil {
				t.Fatal(err)
			}
			if got := status(t); got != st.want {
				t.Errorf("status = %s, want %s", got, st.want)
			}
		})
	}

	t.Run("unknown key cancels fine", func(t *testing.T) {
		if err := s.Cancel(ctx, "never-scheduled"); err != nil {
			t.Errorf("Cancel(never-scheduled) = %v, want nil", err)
		}
	})
	t.Run("a kind without machine is invalid", func(t *testing.T) {
		err := s.Schedule(ctx, pipeline.Timer{Key: "x", Kind: "digest", LeadID: "lead-1", At: timer.At})
		if lead.ErrorCode(err) != lead.EINVALID {
			t.Errorf("Schedule(kind digest) = %v, want EINVALID", err)
		}
	})
	t.Run("a missing machine is unavailable", func(t *testing.T) {
		broken := sfn.NewFromConfig(motoserver.Config(t), map[string]string{pipeline.TimerSLA: "arn:aws:states:us-east-1:" + motoserver.Account + ":stateMachine:gone"})
		err := broken.Schedule(ctx, pipeline.Timer{Key: "y", Kind: pipeline.TimerSLA, LeadID: "lead-1", At: timer.At})
		if lead.ErrorCode(err) != lead.EUNAVAILABLE {
			t.Errorf("Schedule on a missing machine = %v, want EUNAVAILABLE", err)
		}
	})
}
