// Package handlers holds the typed Lambda handlers of leadflow's queue
// consumers and timer tasks. Each decodes its event, calls one pipeline
// service and encodes the result; the Lambda mains only wire them, and the
// local runtime calls the very same functions.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// SQSHandler is the signature of every queue consumer.
type SQSHandler func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error)

// TimerHandler is the signature of the timer tasks the state machines (or
// local durable timers) call.
type TimerHandler func(ctx context.Context, t pipeline.Timer) (pipeline.TimerResult, error)

// recordFunc handles one decoded event.
type recordFunc func(ctx context.Context, env events.Envelope, d events.Detail) error

// consumer turns a per-event function into a batch handler that reports
// each failed record, so one bad message never fails or blocks the others.
// A record whose lead no longer exists (erased) is acknowledged; a record
// that cannot be decoded fails every time and so ends in the dead-letter
// queue, where it can be inspected.
func consumer(name events.Consumer, log *slog.Logger, fn recordFunc) SQSHandler {
	return func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
		// Records run concurrently: their writes and publishes then share
		// commits (and PutEvents round trips) instead of queueing one by one.
		failed := make([]bool, len(ev.Records))
		var wg sync.WaitGroup
		for i, rec := range ev.Records {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := handleRecord(ctx, fn, rec); err != nil {
					log.WarnContext(ctx, "record failed", "consumer", string(name), "message_id", rec.MessageId, "code", lead.ErrorCode(err), "err", err.Error())
					failed[i] = true
				}
			}()
		}
		wg.Wait()
		var resp awsevents.SQSEventResponse
		for i, rec := range ev.Records {
			if failed[i] {
				resp.BatchItemFailures = append(resp.BatchItemFailures, awsevents.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			}
		}
		return resp, nil
	}
}

func handleRecord(ctx context.Context, fn recordFunc, rec awsevents.SQSMessage) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	env, d, err := events.ParseEnvelope([]byte(rec.Body))
	if err != nil {
		return err
	}
	err = fn(ctx, env, d)
	if lead.IsCode(err, lead.ENOTFOUND) {
		return nil // the lead was erased meanwhile: nothing left to do
	}
	return err
}

// Set is every handler of the pipeline, built once over one service.
type Set struct {
	Service *pipeline.Service
	Log     *slog.Logger
	// Extra consumers beyond the core chain (nurture, CRM sync) register here
	// keyed by consumer; they are built by their own packages.
	Extra map[events.Consumer]SQSHandler
}

// The queue handler of each consumer. Each is a method of its own, so a
// Lambda function, which calls just its own, links only its stage's code;
// Consumer, the local runtime's way in, links them all.

// Enrich handles the enrich queue: new leads and re-enrichment requests.
func (s *Set) Enrich() SQSHandler {
	return s.queue(events.ConsumerEnrich, func(ctx context.Context, _ events.Envelope, d events.Detail) error {
		trigger := pipeline.TriggerNew
		if r, ok := d.(*events.EnrichRequested); ok {
			trigger = r.Trigger
		}
		return s.Service.Enrich(ctx, d.Head().LeadID, trigger, d.Head().CorrelationID)
	})
}

// Score handles the score queue.
func (s *Set) Score() SQSHandler {
	return s.queue(events.ConsumerScore, func(ctx context.Context, _ events.Envelope, d events.Detail) error {
		return s.Service.Score(ctx, d.Head().LeadID, d.Head().CorrelationID)
	})
}

// Route handles the route queue: a lead that reached sql is routed.
func (s *Set) Route() SQSHandler {
	return s.queue(events.ConsumerRoute, func(ctx context.Context, _ events.Envelope, d events.Detail) error {
		sc, ok := d.(*events.StageChanged)
		if !ok || sc.To != lead.StageSQL {
			return nil
		}
		return s.Service.Route(ctx, sc.LeadID, sc.CorrelationID)
	})
}

// Notify handles the notify queue: the owner of a routed or reassigned
// lead is told.
func (s *Set) Notify() SQSHandler {
	return s.queue(events.ConsumerNotify, func(ctx context.Context, _ events.Envelope, d events.Detail) error {
		switch ev := d.(type) {
		case *events.Routed:
			return s.Service.NotifyRouted(ctx, *ev)
		case *events.Reassigned:
			return s.Service.NotifyReassigned(ctx, *ev)
		}
		return nil
	})
}

// Nurture handles the nurture queue: stage changes, enrichments and exit
// activities start or end a lead's cadence (the touches themselves run on
// the nurture timer, pipeline.Service.NurtureTouch).
func (s *Set) Nurture() SQSHandler {
	return s.queue(events.ConsumerNurture, func(ctx context.Context, _ events.Envelope, d events.Detail) error {
		return s.Service.NurtureEvent(ctx, d)
	})
}

// CRMSync handles the crmsync queue.
func (s *Set) CRMSync() SQSHandler { return s.queue(events.ConsumerCRMSync, s.Service.SyncCRM) }

// Consumer returns the queue handler of a consumer. Returns an error for a
// consumer that has no handler.
func (s *Set) Consumer(c events.Consumer) (SQSHandler, error) {
	build, ok := map[events.Consumer]func() SQSHandler{
		events.ConsumerEnrich: s.Enrich, events.ConsumerScore: s.Score, events.ConsumerRoute: s.Route,
		events.ConsumerNotify: s.Notify, events.ConsumerNurture: s.Nurture, events.ConsumerCRMSync: s.CRMSync,
	}[c]
	if ok {
		return build(), nil
	}
	if h, ok := s.Extra[c]; ok {
		return h, nil
	}
	return nil, fmt.Errorf("no handler for consumer %q", c)
}

func (s *Set) queue(c events.Consumer, fn recordFunc) SQSHandler { return consumer(c, s.log(), fn) }

// Timers returns the timer task of each timer kind.
func (s *Set) Timers() map[string]TimerHandler {
	return map[string]TimerHandler{pipeline.TimerSLA: s.Service.CheckSLA, pipeline.TimerNurture: s.Service.NurtureTouch}
}

func (s *Set) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
