package sfn_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/leadflow/leadflow/shared/internal/motoserver"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/sfn"
	"github.com/leadflow/leadflow/shared/timertest"
)

var machineSets atomic.Int64

// TestConformance runs the Scheduler conformance suite on Step Functions in
// moto: a timer is pending while its execution runs.
func TestConformance(t *testing.T) {
	client := awssfn.NewFromConfig(motoserver.Config(t))
	timertest.Run(t, func(t *testing.T) timertest.Timers {
		ctx := t.Context()
		set := machineSets.Add(1)
		machines := map[string]string{}
		for _, kind := range []string{pipeline.TimerSLA, pipeline.TimerNurture} {
			out, err := client.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{
				Name:       aws.String(fmt.Sprintf("conformance-%d-%s", set, kind)),
				Definition: aws.String(waitDefinition),
				RoleArn:    aws.String("arn:aws:iam::" + motoserver.Account + ":role/leadflow-timers"),
			})
			if err != nil {
				t.Fatal(err)
			}
			machines[kind] = aws.ToString(out.StateMachineArn)
		}
		pending := func(t *testing.T, want pipeline.Timer) (pipeline.Timer, bool) {
			machine, ok := machines[want.Kind]
			if !ok {
				return pipeline.Timer{}, false
			}
			arn := strings.Replace(machine, ":stateMachine:", ":execution:", 1) + ":" + sfn.ExecutionName(want.Key)
			out, err := client.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: &arn})
			var missing *types.ExecutionDoesNotExist
			if errors.As(err, &missing) {
				return pipeline.Timer{}, false
			}
			if err != nil {
				t.Fatalf("DescribeExecution(%s): %v", want.Key, err)
			}
			var got pipeline.Timer
			if err := json.Unmarshal([]byte(aws.ToString(out.Input)), &got); err != nil {
				t.Fatalf("execution input: %v", err)
			}
			return got, out.Status == types.ExecutionStatusRunning
		}
		return timertest.Timers{Scheduler: sfn.NewFromConfig(motoserver.Config(t), machines), Pending: pending}
	})
}
