package cloudbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/wire/lambdas"
)

// Invoker runs one invocation of the named function with a JSON event and
// returns its JSON response, as Lambda's Invoke API does. An error is a
// failed invocation (a function error or a failed init).
type Invoker func(ctx context.Context, function string, event []byte) ([]byte, error)

// InProcess returns an Invoker that runs each function's handler in this
// process: lambdas.Handler builds it at its first invocation (the cold
// start) from env(function), and lambda.NewHandler feeds it the event
// through the same JSON path the runtime uses.
func InProcess(env func(function string) map[string]string) Invoker {
	var mu sync.Mutex
	handlers := map[string]lambda.Handler{}
	return func(ctx context.Context, function string, event []byte) ([]byte, error) {
		mu.Lock()
		h, ok := handlers[function]
		if !ok {
			vars := env(function)
			fn, err := lambdas.Handler(ctx, function, func(k string) string { return vars[k] })
			if err != nil {
				mu.Unlock()
				return nil, fmt.Errorf("init %s: %w", function, err)
			}
			h = lambda.NewHandler(fn)
			handlers[function] = h
		}
		mu.Unlock()
		return h.Invoke(ctx, event)
	}
}

// Invocation is one invocation the Driver made.
type Invocation struct {
	Function string
	// Records and Failed count a queue batch's records and those reported
	// in BatchItemFailures.
	Records, Failed int
	Took            time.Duration
}

// Driver plays Lambda's part around the deployed resources: API Gateway's
// call of the HTTP functions, and each event source mapping's poll of its
// consumer's queue.
type Driver struct {
	invoke Invoker
	sqs    *awssqs.Client
	queues map[events.Consumer]string
	// Invocations lists every invocation, in order.
	Invocations []Invocation
	// Receives counts ReceiveMessage calls that returned messages, and
	// Deletes DeleteMessageBatch calls: the queue requests a mapping makes
	// per batch (its idle polling is not counted).
	Receives, Deletes int
}

// NewDriver returns a Driver for the consumer queues of st (its
// QueueUrl<Consumer> outputs), reached through cfg. Returns an error naming
// a consumer whose queue is not among the outputs.
func NewDriver(cfg aws.Config, st *Stack, invoke Invoker) (*Driver, error) {
	d := &Driver{invoke: invoke, sqs: awssqs.NewFromConfig(cfg), queues: map[events.Consumer]string{}}
	for _, r := range events.Routes {
		key := "QueueUrl" + strings.ToUpper(string(r.Consumer[:1])) + string(r.Consumer[1:])
		url := st.Outputs[key]
		if url == "" {
			return nil, fmt.Errorf("stack %s has no output %s", st.Name, key)
		}
		d.queues[r.Consumer] = url
	}
	return d, nil
}

// HTTP sends function the API Gateway HTTP API (payload v2) event of one
// request and returns the response. Returns an error if the invocation fails.
func (d *Driver) HTTP(ctx context.Context, function, method, path string, headers map[string]string, body string) (awsevents.APIGatewayV2HTTPResponse, error) {
	req := awsevents.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "$default",
		RawPath:  path,
		Headers:  headers,
		Body:     body,
		RequestContext: awsevents.APIGatewayV2HTTPRequestContext{
			RequestID: fmt.Sprintf("cloudbox-%d", len(d.Invocations)),
			Stage:     "$default",
			HTTP:      awsevents.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "cloudbox"},
			TimeEpoch: time.Now().UnixMilli(),
		},
	}
	var resp awsevents.APIGatewayV2HTTPResponse
	event, err := json.Marshal(req)
	if err != nil {
		return resp, err
	}
	start := time.Now()
	out, err := d.invoke(ctx, function, event)
	d.Invocations = append(d.Invocations, Invocation{Function: function, Took: time.Since(start)})
	if err != nil {
		return resp, fmt.Errorf("invoke %s: %w", function, err)
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, fmt.Errorf("invoke %s: response: %w", function, err)
	}
	return resp, nil
}

// Settle polls every consumer queue, invokes the consumer with each batch
// and deletes the records it did not report as failed, until a whole round
// finds every queue empty. Failed records stay invisible for the queue's
// visibility timeout, as in AWS; Failures counts them. Returns an error if
// an invocation fails or the queues are still busy after maxRounds rounds.
func (d *Driver) Settle(ctx context.Context, maxRounds int) error {
	for round := 0; round < maxRounds; round++ {
		busy := false
		for _, r := range events.Routes {
			n, err := d.poll(ctx, r.Consumer)
			if err != nil {
				return err
			}
			busy = busy || n > 0
		}
		if !busy {
			return nil
		}
	}
	return fmt.Errorf("queues still busy after %d rounds", maxRounds)
}

// Failures counts the records consumers reported failed.
func (d *Driver) Failures() int {
	n := 0
	for _, inv := range d.Invocations {
		n += inv.Failed
	}
	return n
}

// poll runs one batch of c's queue and returns how many records it had.
func (d *Driver) poll(ctx context.Context, c events.Consumer) (int, error) {
	url := d.queues[c]
	out, err := d.sqs.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{
		QueueUrl:                    &url,
		MaxNumberOfMessages:         10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		return 0, fmt.Errorf("receive from %s queue: %w", c, err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	d.Receives++
	ev := awsevents.SQSEvent{Records: make([]awsevents.SQSMessage, len(out.Messages))}
	for i, m := range out.Messages {
		ev.Records[i] = awsevents.SQSMessage{
			MessageId:      aws.ToString(m.MessageId),
			ReceiptHandle:  aws.ToString(m.ReceiptHandle),
			Body:           aws.ToString(m.Body),
			Md5OfBody:      aws.ToString(m.MD5OfBody),
			Attributes:     m.Attributes,
			EventSource:    "aws:sqs",
			EventSourceARN: queueARN(url),
			AWSRegion:      Region,
		}
	}
	event, err := json.Marshal(ev)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	raw, err := d.invoke(ctx, string(c), event)
	inv := Invocation{Function: string(c), Records: len(ev.Records), Took: time.Since(start)}
	if err != nil {
		d.Invocations = append(d.Invocations, inv)
		return 0, fmt.Errorf("invoke %s: %w", c, err)
	}
	var resp awsevents.SQSEventResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return 0, fmt.Errorf("invoke %s: response: %w", c, err)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	inv.Failed = len(failed)
	d.Invocations = append(d.Invocations, inv)
	var done []sqstypes.DeleteMessageBatchRequestEntry
	for _, m := range ev.Records {
		if !failed[m.MessageId] {
			done = append(done, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(m.MessageId), ReceiptHandle: aws.String(m.ReceiptHandle)})
		}
	}
	if len(done) > 0 {
		d.Deletes++
		res, err := d.sqs.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: done})
		if err != nil {
			return 0, fmt.Errorf("delete from %s queue: %w", c, err)
		}
		if len(res.Failed) > 0 {
			return 0, fmt.Errorf("delete from %s queue: %d entries failed", c, len(res.Failed))
		}
	}
	return len(ev.Records), nil
}

// queueARN derives a queue's ARN from its URL (.../<account>/<name>).
func queueARN(url string) string {
	parts := strings.Split(strings.TrimSuffix(url, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return "arn:aws:sqs:" + Region + ":" + parts[len(parts)-2] + ":" + parts[len(parts)-1]
}
