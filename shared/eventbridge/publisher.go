// Package eventbridge implements the Publisher port on an EventBridge bus.
package eventbridge

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/internal/awserr"
	"github.com/leadflow/leadflow/shared/internal/backoff"
	"github.com/leadflow/leadflow/shared/internal/chunk"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// PutEvents limits, from the EventBridge quotas.
const (
	MaxEntries   = 10
	MaxBatchSize = 256 * 1024
)

// attempts bounds how often an entry is sent before Publish gives up on it.
const attempts = 5

// API is the part of the EventBridge client the publisher calls;
// *eventbridge.Client implements it.
type API interface {
	PutEvents(ctx context.Context, in *eb.PutEventsInput, opts ...func(*eb.Options)) (*eb.PutEventsOutput, error)
}

// Publisher puts leadflow events on one bus. It is safe for concurrent use.
type Publisher struct {
	client API
	bus    string
}

var _ pipeline.Publisher = (*Publisher)(nil)

// New returns a Publisher on the named bus (the stack passes its name in
// LEADFLOW_BUS). The client is built once at cold start.
func New(client API, bus string) *Publisher {
	return &Publisher{client: client, bus: bus}
}

// Publish puts envs on the bus with source "leadflow", their detail-type and
// their detail, in calls of at most MaxEntries entries and MaxBatchSize
// bytes. Entries the bus reports as failed are sent again with backoff, a
// bounded number of times. Delivery is at-least-once: after an error some
// envs may have been published, and the caller retries all of them.
//
// EventBridge assigns its own event id: consumers deduplicate by the detail
// (lead id, activity id), never by the envelope id.
//
// Returns EINVALID for an envelope without a detail-type or whose detail is
// not a JSON object, ETOOLARGE if one event alone exceeds MaxBatchSize
// (nothing is published then), EUNAVAILABLE if entries still fail after the
// retries or the bus cannot be reached, EINTERNAL for a request the bus
// refuses as malformed.
func (p *Publisher) Publish(ctx context.Context, envs ...events.Envelope) error {
	pending := make([]types.PutEventsRequestEntry, 0, len(envs))
	for _, env := range envs {
		if err := env.Check(); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		e := p.entry(env)
		if size := entrySize(e); size > MaxBatchSize {
			return lead.Errorf(lead.ETOOLARGE, "publish %s: event of %d bytes exceeds %d", env.DetailType, size, MaxBatchSize)
		}
		pending = append(pending, e)
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		if attempt > 1 {
			if err := backoff.Sleep(ctx, backoff.Delay(attempt-1)); err != nil {
				return &lead.Error{Code: lead.EUNAVAILABLE, Message: "publish", Err: err}
			}
		}
		var failed []types.PutEventsRequestEntry
		var lastCode string
		for _, batch := range chunk.Split(pending, MaxEntries, MaxBatchSize, entrySize) {
			out, err := p.client.PutEvents(ctx, &eb.PutEventsInput{Entries: batch})
			if err != nil {
				return awserr.Translate(fmt.Sprintf("put %d events on bus %s", len(batch), p.bus), err)
			}
			if out.FailedEntryCount == 0 {
				continue
			}
			// Result entries are in request order; a failed one has an error code.
			for i, r := range out.Entries {
				if r.ErrorCode != nil && i < len(batch) {
					failed = append(failed, batch[i])
					lastCode = aws.ToString(r.ErrorCode) + ": " + aws.ToString(r.ErrorMessage)
				}
			}
		}
		if len(failed) > 0 && attempt == attempts {
			return lead.Errorf(lead.EUNAVAILABLE, "publish on bus %s: %d events still failing after %d attempts (last: %s)", p.bus, len(failed), attempts, lastCode)
		}
		pending = failed
	}
	return nil
}

func (p *Publisher) entry(env events.Envelope) types.PutEventsRequestEntry {
	e := types.PutEventsRequestEntry{
		EventBusName: aws.String(p.bus),
		Source:       aws.String(events.Source),
		DetailType:   aws.String(string(env.DetailType)),
		Detail:       aws.String(string(env.Detail)),
		Resources:    env.Resources,
	}
	if !env.Time.IsZero() {
		e.Time = aws.Time(env.Time)
	}
	return e
}

// entrySize is an entry's size as EventBridge counts it against the
// request limit.
func entrySize(e types.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}
