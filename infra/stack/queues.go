package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/leadflow/leadflow/events"
)

// maxReceiveCount is how often a message is tried before it is dead-lettered.
const maxReceiveCount = 5

// newConsumerQueue makes route's queue, its dead-letter queue with an
// alarm, and the bus rule that feeds the queue exactly route's detail types.
func newConsumerQueue(stack awscdk.Stack, r *resources, alarms alarmTopic, route events.Route) {
	scope := r.group(stack, string(route.Consumer))
	dlq := awssqs.NewQueue(scope, jsii.String("DeadLetters"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	queue := awssqs.NewQueue(scope, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * consumerTimeoutSeconds)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(maxReceiveCount)},
	})
	detailTypes := make([]*string, len(route.DetailTypes))
	for i, dt := range route.DetailTypes {
		detailTypes[i] = jsii.String(string(dt))
	}
	awsevents.NewRule(scope, jsii.String("Rule"), &awsevents.RuleProps{
		Description: jsii.String("leadflow events consumed by " + string(route.Consumer)),
		EventBus:    r.bus,
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(events.Source),
			DetailType: &detailTypes,
		},
		// Events the bus cannot deliver land in the same dead-letter queue
		// as messages the consumer cannot process: nothing is lost silently.
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSqsQueue(queue, &awseventstargets.SqsQueueProps{DeadLetterQueue: dlq})},
	})
	alarms.on(scope, "DeadLettersAlarm", dlq.MetricApproximateNumberOfMessagesVisible(nil), 0,
		"leadflow "+string(route.Consumer)+": messages in the dead-letter queue; inspect, fix, then redrive")
	r.queues[route.Consumer] = queue
	r.deadQs[route.Consumer] = dlq
}

// subscribe makes fn consume queue in batches, reporting failed items so
// only they are retried.
func subscribe(fn awslambda.Function, queue awssqs.IQueue) {
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(10),
		ReportBatchItemFailures: jsii.Bool(true),
	}))
}
