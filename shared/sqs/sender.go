// Package sqs implements the Sender port: envelopes straight onto a
// consumer's SQS queue, bypassing the bus (the daily sweep uses it).
package sqs

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/internal/awserr"
	"github.com/leadflow/leadflow/shared/internal/backoff"
	"github.com/leadflow/leadflow/shared/internal/chunk"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// SendMessageBatch limits: entries and bytes per call (a message alone is
// bounded by events.MaxSize, the same size).
const (
	MaxEntries   = 10
	MaxBatchSize = 256 * 1024
)

// attempts bounds how often a message is sent before Send gives up on it.
const attempts = 5

// API is the part of the SQS client the sender calls; *sqs.Client
// implements it.
type API interface {
	SendMessageBatch(ctx context.Context, in *awssqs.SendMessageBatchInput, opts ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error)
}

// Sender sends envelopes to consumer queues. It is safe for concurrent use.
type Sender struct {
	client API
	queues map[events.Consumer]string
}

var _ pipeline.Sender = (*Sender)(nil)

// New returns a Sender that sends to the queue URLs in queues (consumer →
// URL, see QueueURLs). The client is built once at cold start.
func New(client API, queues map[events.Consumer]string) *Sender {
	return &Sender{client: client, queues: queues}
}

// QueueURLs reads the queue URL of every consumer of events.Routes from the
// environment variables the stack sets (awsenv.Queue), skipping unset ones:
// a function is given only the queues it may send to.
func QueueURLs(getenv func(string) string) map[events.Consumer]string {
	out := make(map[events.Consumer]string)
	for _, r := range events.Routes {
		if url := getenv(awsenv.Queue(r.Consumer)); url != "" {
			out[r.Consumer] = url
		}
	}
	return out
}

// Send puts each envelope, as the JSON body EventBridge would deliver, on
// the queue of consumer to, in calls of at most MaxEntries messages and
// MaxBatchSize bytes. Messages SQS reports as failed on its side are sent
// again with backoff, a bounded number of times. Delivery is at-least-once:
// after an error some envelopes may have been sent, and the caller retries.
//
// Returns EINVALID for a consumer without a queue or an envelope
// events.Encode refuses, ETOOLARGE for one over events.MaxSize (nothing is
// sent then), EUNAVAILABLE if messages still fail after the retries or the
// queue cannot be reached, EINTERNAL if SQS refuses a message as malformed.
func (s *Sender) Send(ctx context.Context, to events.Consumer, envs ...events.Envelope) error {
	url, ok := s.queues[to]
	if !ok {
		return lead.Errorf(lead.EINVALID, "send to %s: no queue configured", to)
	}
	pending := make([]types.SendMessageBatchRequestEntry, 0, len(envs))
	for i, env := range envs {
		body, err := events.Encode(env)
		if err != nil {
			return fmt.Errorf("send to %s: %w", to, err)
		}
		// The id only pairs results with entries within one call.
		pending = append(pending, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body))})
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		if attempt > 1 {
			if err := backoff.Sleep(ctx, backoff.Delay(attempt-1)); err != nil {
				return &lead.Error{Code: lead.EUNAVAILABLE, Message: "send to " + string(to), Err: err}
			}
		}
		var retry []types.SendMessageBatchRequestEntry
		var last string
		for _, batch := range chunk.Split(pending, MaxEntries, MaxBatchSize, bodySize) {
			out, err := s.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: batch})
			if err != nil {
				return awserr.Translate(fmt.Sprintf("send %d messages to %s", len(batch), to), err)
			}
			byID := make(map[string]types.SendMessageBatchRequestEntry, len(batch))
			for _, e := range batch {
				byID[aws.ToString(e.Id)] = e
			}
			for _, f := range out.Failed {
				last = aws.ToString(f.Code) + ": " + aws.ToString(f.Message)
				if f.SenderFault {
					return lead.Errorf(lead.EINTERNAL, "send to %s: message refused (%s)", to, last)
				}
				retry = append(retry, byID[aws.ToString(f.Id)])
			}
		}
		if len(retry) > 0 && attempt == attempts {
			return lead.Errorf(lead.EUNAVAILABLE, "send to %s: %d messages still failing after %d attempts (last: %s)", to, len(retry), attempts, last)
		}
		pending = retry
	}
	return nil
}

// bodySize is a message's size as SQS counts it against the call's limit.
func bodySize(e types.SendMessageBatchRequestEntry) int { return len(aws.ToString(e.MessageBody)) }
