package eventbridge_test

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/bustest"
	"github.com/leadflow/leadflow/shared/eventbridge"
	"github.com/leadflow/leadflow/shared/internal/motoserver"
	lfsqs "github.com/leadflow/leadflow/shared/sqs"
)

var buses atomic.Int64

// TestConformance runs the bus conformance suite on EventBridge and SQS in
// moto, wired as the stack wires them: one queue and one rule per entry of
// events.Routes.
func TestConformance(t *testing.T) {
	cfg := motoserver.Config(t)
	bus, q := eb.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	bustest.Run(t, func(t *testing.T) bustest.Bus {
		ctx := t.Context()
		name := fmt.Sprintf("conformance-%d", buses.Add(1))
		if _, err := bus.CreateEventBus(ctx, &eb.CreateEventBusInput{Name: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		urls := map[events.Consumer]string{}
		for _, r := range events.Routes {
			queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-" + string(r.Consumer))})
			if err != nil {
				t.Fatal(err)
			}
			attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
			if err != nil {
				t.Fatal(err)
			}
			pattern, err := json.Marshal(map[string]any{"source": []string{events.Source}, "detail-type": r.DetailTypes})
			if err != nil {
				t.Fatal(err)
			}
			rule := aws.String(string(r.Consumer))
			if _, err := bus.PutRule(ctx, &eb.PutRuleInput{Name: rule, EventBusName: aws.String(name), EventPattern: aws.String(string(pattern))}); err != nil {
				t.Fatal(err)
			}
			if _, err := bus.PutTargets(ctx, &eb.PutTargetsInput{Rule: rule, EventBusName: aws.String(name), Targets: []ebtypes.Target{
				{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])},
			}}); err != nil {
				t.Fatal(err)
			}
			urls[r.Consumer] = aws.ToString(queue.QueueUrl)
		}
		drain := func(t *testing.T, c events.Consumer, want int) []events.Envelope {
			deadline := time.Now().Add(5 * time.Second)
			var got []events.Envelope
			for {
				var wait int32 // once want have arrived, only what is already there
				if len(got) < want {
					wait = 1
				}
				out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(urls[c]), MaxNumberOfMessages: 10, WaitTimeSeconds: wait})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range out.Messages {
					var env events.Envelope
					if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
						t.Errorf("queue %s: body is not an envelope: %v", c, err)
					}
					got = append(got, env)
					if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(urls[c]), ReceiptHandle: m.ReceiptHandle}); err != nil {
						t.Fatal(err)
					}
				}
				if len(out.Messages) == 0 && (len(got) >= want || time.Now().After(deadline)) {
					return got
				}
			}
		}
		return bustest.Bus{Publisher: eventbridge.New(bus, name), Sender: lfsqs.New(q, urls), Drain: drain}
	})
}
