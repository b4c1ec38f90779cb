package awsscheduler_test

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssched "github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/awsscheduler"
	"github.com/leadflow/leadflow/shared/internal/motoserver"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

func TestMain(m *testing.M) { os.Exit(motoserver.Run(m)) }

var now = time.Date(2025, 3, 14, 9, 26, 53, 250_000_000, time.UTC)

func TestScheduleName(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	long := strings.Repeat("nurture.01JQ8N4W6E5H2R7K9T3M000001.", 3)
	tests := []struct{ key, want string }{
		{"sla.01JQ8N4W6E5H2R7K9T3M000001.4h", "sla.01JQ8N4W6E5H2R7K9T3M000001.4h"},
		{"sla:01JQ8N4W6E5H2R7K9T3M000001:4h", ""},
		{long, ""},
		{long + "x", ""},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		got := awsscheduler.ScheduleName(tc.key)
		if !valid.MatchString(got) || (tc.want != "" && got != tc.want) {
			t.Errorf("ScheduleName(%q) = %q, want a valid name equal to %q when given", tc.key, got, tc.want)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("keys %q and %q share the name %q", other, tc.key, got)
		}
		seen[got] = tc.key
	}
}

func TestScheduleAndCancel(t *testing.T) {
	ctx := t.Context()
	client := awssched.NewFromConfig(motoserver.Config(t))
	target := awsscheduler.Target{
		FunctionARN: "arn:aws:lambda:us-east-1:" + motoserver.Account + ":function:leadflow-timer",
		RoleARN:     "arn:aws:iam::" + motoserver.Account + ":role/leadflow-scheduler",
	}
	s := awsscheduler.New(client, target, func() time.Time { return now })

	get := func(t *testing.T, key string) *awssched.GetScheduleOutput {
		t.Helper()
		out, err := client.GetSchedule(ctx, &awssched.GetScheduleInput{Name: aws.String(awsscheduler.ScheduleName(key))})
		if err != nil {
			t.Fatalf("GetSchedule(%s): %v", key, err)
		}
		return out
	}
	type schedule struct {
		Expression, Timezone, Arn, Role string
		After                           types.ActionAfterCompletion
		Input                           pipeline.Timer
	}
	describe := func(t *testing.T, out *awssched.GetScheduleOutput) schedule {
		t.Helper()
		var in pipeline.Timer
		if err := json.Unmarshal([]byte(aws.ToString(out.Target.Input)), &in); err != nil {
			t.Fatalf("schedule input: %v", err)
		}
		return schedule{aws.ToString(out.ScheduleExpression), aws.ToString(out.ScheduleExpressionTimezone), aws.ToString(out.Target.Arn), aws.ToString(out.Target.RoleArn), out.ActionAfterCompletion, in}
	}

	due := pipeline.Timer{Key: "sla:lead-1:4h", Kind: pipeline.TimerSLA, LeadID: "lead-1", At: time.Date(2025, 3, 14, 14, 26, 53, 0, time.FixedZone("CET", 3600)), Data: "warn"}
	past := pipeline.Timer{Key: "nurture:lead-2:3", Kind: pipeline.TimerNurture, LeadID: "lead-2", At: now.Add(-time.Hour)}
	tests := []struct {
		timer          pipeline.Timer
		wantExpression string
	}{
		{due, "at(2025-03-14T13:26:53)"},
		{past, "at(2025-03-14T09:26:54)"},
	}
	for _, tc := range tests {
		t.Run(tc.timer.Key, func(t *testing.T) {
			if err := s.Schedule(ctx, tc.timer); err != nil {
				t.Fatalf("Schedule: %v", err)
			}
			want := schedule{tc.wantExpression, "UTC", target.FunctionARN, target.RoleARN, types.ActionAfterCompletionDelete, tc.timer}
			if diff := cmp.Diff(want, describe(t, get(t, tc.timer.Key))); diff != "" {
				t.Errorf("schedule (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("scheduling a key again keeps the first", func(t *testing.T) {
		again := due
		again.Data = "reassign"
		if err := s.Schedule(ctx, again); err != nil {
			t.Fatalf("Schedule again: %v", err)
		}
		if got := describe(t, get(t, due.Key)).Input.Data; got != "warn" {
			t.Errorf("input data = %q, want the first schedule's %q", got, "warn")
		}
	})
	t.Run("cancel deletes, twice is fine", func(t *testing.T) {
		for range 2 {
			if err := s.Cancel(ctx, due.Key); err != nil {
				t.Fatalf("Cancel: %v", err)
			}
		}
		_, err := client.GetSchedule(ctx, &awssched.GetScheduleInput{Name: aws.String(awsscheduler.ScheduleName(due.Key))})
		var missing *types.ResourceNotFoundException
		if !errors.As(err, &missing) {
			t.Errorf("GetSchedule after Cancel = %v, want ResourceNotFound", err)
		}
	})
	t.Run("a missing group is unavailable", func(t *testing.T) {
		grouped := target
		grouped.Group = "no-such-group"
		err := awsscheduler.New(client, grouped, func() time.Time { return now }).Schedule(ctx, due)
		if lead.ErrorCode(err) != lead.EUNAVAILABLE {
			t.Errorf("Schedule in a missing group = %v, want EUNAVAILABLE", err)
		}
	})
}
