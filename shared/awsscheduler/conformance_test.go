package awsscheduler_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssched "github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/leadflow/leadflow/shared/awsscheduler"
	"github.com/leadflow/leadflow/shared/internal/motoserver"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/timertest"
)

var groups atomic.Int64

// TestConformance runs the Scheduler conformance suite on EventBridge
// Scheduler in moto, each test in a schedule group of its own: a timer is
// pending while its schedule exists.
func TestConformance(t *testing.T) {
	client := awssched.NewFromConfig(motoserver.Config(t))
	timertest.Run(t, func(t *testing.T) timertest.Timers {
		ctx := t.Context()
		group := fmt.Sprintf("conformance-%d", groups.Add(1))
		if _, err := client.CreateScheduleGroup(ctx, &awssched.CreateScheduleGroupInput{Name: aws.String(group)}); err != nil {
			t.Fatal(err)
		}
		target := awsscheduler.Target{
			FunctionARN: "arn:aws:lambda:us-east-1:" + motoserver.Account + ":function:leadflow-timer",
			RoleARN:     "arn:aws:iam::" + motoserver.Account + ":role/leadflow-scheduler",
			Group:       group,
		}
		pending := func(t *testing.T, want pipeline.Timer) (pipeline.Timer, bool) {
			out, err := client.GetSchedule(ctx, &awssched.GetScheduleInput{Name: aws.String(awsscheduler.ScheduleName(want.Key)), GroupName: aws.String(group)})
			var missing *types.ResourceNotFoundException
			if errors.As(err, &missing) {
				return pipeline.Timer{}, false
			}
			if err != nil {
				t.Fatalf("GetSchedule(%s): %v", want.Key, err)
			}
			var got pipeline.Timer
			if err := json.Unmarshal([]byte(aws.ToString(out.Target.Input)), &got); err != nil {
				t.Fatalf("schedule input: %v", err)
			}
			return got, true
		}
		return timertest.Timers{
			Scheduler: awsscheduler.New(client, target, func() time.Time { return now }),
			Pending:   pending,
			// A deleted schedule leaves no trace of its name.
			ReusesKeys: true,
		}
	})
}
