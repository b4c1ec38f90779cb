package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/routing"
)

// Scorer is the compiled scoring model of the config.
type Scorer interface {
	// Score computes the explainable score of a lead at now.
	Score(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) lead.Score
	// NextStage returns the stage the score moves the lead to, with a cause;
	// it returns the current stage and "" when nothing changes.
	NextStage(current lead.Stage, s lead.Score, routed bool, acts []lead.Activity, now time.Time) (lead.Stage, string)
}

// Form is a capture form: how its fields map to lead fields.
type Form struct {
	Name     string
	Source   string            // the lead source it sets, web_form by default
	FieldMap map[string]string // posted name → lead field
	Required []string          // lead fields that must be present
	Honeypot string            // a field humans never fill: if set, the post is dropped
}

// SLA holds the speed-to-contact thresholds of SPEC §6.
type SLA struct {
	AlertAfter    time.Duration
	ReassignAfter time.Duration
}

// Rules is what the pipeline needs of a loaded config.
type Rules struct {
	Version    string
	Forms      map[string]Form
	Sources    map[string]Form // non-form sources (linkedin) with their field maps
	Scorer     Scorer
	Router     *routing.Router
	SLA        SLA
	RuleFields []string // fields some rule reads: enrichment requests only these
	Nurture    NurtureRules
}

// Service runs the pipeline's use cases over the ports. Every method is
// idempotent: queue consumers may call it again with the same input.
type Service struct {
	Rules     Rules
	Store     Store
	Publisher Publisher
	Sender    Sender // direct queue sends (the sweep)
	Scheduler Scheduler
	Notifier  Notifier
	Mailer    Mailer
	Enricher  Enricher // nil: leads go on unenriched
	CRM       CRM      // nil: CRM sync acknowledges without sending
	// Phones formats a phone number of a country (phone.E164) at the enrich
	// stage, the first after capture: the numbering plans it needs are
	// large, and capture, which answers the form post, stays small and
	// starts fast without them. nil keeps phones as given.
	Phones  func(phone, country string) string
	Clock   Clock
	IDs     IDs
	Log     *slog.Logger
	Metrics Metrics

	inflight sync.Map // ids of events this process is publishing
}

// formatPhone applies Phones to l.
func (s *Service) formatPhone(l *lead.Lead) {
	if s.Phones != nil {
		l.Phone = s.Phones(l.Phone, l.Country)
	}
}

// Metrics counts what operators watch (embedded metric format in AWS).
type Metrics interface {
	Count(name string, n float64, dims ...string)
	Observe(name string, d time.Duration, dims ...string)
}

const maxConflictRetries = 8

// mutate reads a lead, applies fn and writes it back with the events fn
// returns, retrying on a lost conditional write. fn returning (nil, false)
// means nothing to change. The events are written with the state change
// (Lead.Pending) and published after, so a crash between the two loses
// nothing: the next call for the lead publishes what is pending. A store
// that publishes them in the write itself leaves none to publish after.
func (s *Service) mutate(ctx context.Context, id string, fn func(l *lead.Lead) ([]events.Detail, bool, error)) (*lead.Lead, error) {
	return s.mutateFrom(ctx, id, nil, fn)
}

// mutateFrom is mutate starting from a copy of the lead the caller has just
// read, saving a read; a conflict re-reads it.
func (s *Service) mutateFrom(ctx context.Context, id string, read *lead.Lead, fn func(l *lead.Lead) ([]events.Detail, bool, error)) (*lead.Lead, error) {
	for attempt := 0; ; attempt++ {
		l, err := read, error(nil)
		if l == nil || attempt > 0 {
			l, err = s.Store.GetLead(ctx, id)
		}
		if err != nil {
			return nil, err
		}
		if err := s.flush(ctx, l); err != nil {
			return nil, err
		}
		details, changed, err := fn(l)
		if err != nil || !changed {
			return l, err
		}
		if err := s.stage(l, details); err != nil {
			return nil, err
		}
		l.UpdatedAt = s.Clock.Now()
		err = s.Store.UpdateLead(ctx, l)
		if lead.IsCode(err, lead.ECONFLICT) && attempt < maxConflictRetries {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update lead %s: %w", id, err)
		}
		return l, s.flush(ctx, l)
	}
}

// stage encodes details into the lead's pending events.
func (s *Service) stage(l *lead.Lead, details []events.Detail) error {
	for _, d := range details {
		env, err := events.Wrap(s.IDs.NewID(), d)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(env)
		if err != nil {
			return fmt.Errorf("encode envelope: %w", err)
		}
		l.Pending = append(l.Pending, raw)
	}
	return nil
}

// flush publishes the lead's pending events and clears them from the lead.
// Events another goroutine of this process is already publishing are left
// to it, so concurrent handlers of one lead do not publish them twice; events
// left by a crashed process are published by whoever reads them next.
func (s *Service) flush(ctx context.Context, l *lead.Lead) error {
	if len(l.Pending) == 0 {
		return nil
	}
	var envs []events.Envelope
	mine := map[string]bool{}
	for _, raw := range l.Pending {
		var env events.Envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			return fmt.Errorf("decode pending event of lead %s: %w", l.ID, err)
		}
		if _, busy := s.inflight.LoadOrStore(env.ID, true); busy {
			continue
		}
		mine[env.ID] = true
		envs = append(envs, env)
	}
	defer func() {
		for id := range mine {
			s.inflight.Delete(id)
		}
	}()
	if len(envs) == 0 {
		return nil
	}
	if err := s.Publisher.Publish(ctx, envs...); err != nil {
		return fmt.Errorf("publish events of lead %s: %w", l.ID, err)
	}
	for attempt := 0; attempt < maxConflictRetries; attempt++ {
		rest := without(l.Pending, mine)
		if len(rest) == len(l.Pending) {
			return nil
		}
		l.Pending = rest
		err := s.Store.UpdateLead(ctx, l)
		if err == nil {
			return nil
		}
		if !lead.IsCode(err, lead.ECONFLICT) {
			return fmt.Errorf("clear published events of lead %s: %w", l.ID, err)
		}
		fresh, err := s.Store.GetLead(ctx, l.ID)
		if err != nil {
			return fmt.Errorf("re-read lead %s: %w", l.ID, err)
		}
		*l = *fresh
	}
	// Still pending after repeated conflicts: a later flush publishes them
	// again, which consumers tolerate.
	return nil
}

// without returns the pending events whose ids are not in ids.
func without(pending []json.RawMessage, ids map[string]bool) []json.RawMessage {
	out := pending[:0:0]
	for _, raw := range pending {
		var env struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &env) == nil && ids[env.ID] {
			continue
		}
		out = append(out, raw)
	}
	return out
}

// header returns the common header of an event about l.
func (s *Service) header(l *lead.Lead, correlation string) events.Header {
	return events.Header{LeadID: l.ID, OccurredAt: s.Clock.Now().UTC(), Version: events.Version, CorrelationID: correlation}
}

// history appends a change to the lead's history, bounded so a lead item
// stays small; the oldest entries go first.
func history(l *lead.Lead, at time.Time, kind, from, to, cause string) {
	const maxHistory = 200
	l.History = append(l.History, lead.Change{At: at.UTC(), Kind: kind, From: from, To: to, Cause: cause})
	if n := len(l.History); n > maxHistory {
		l.History = append([]lead.Change(nil), l.History[n-maxHistory:]...)
	}
}

func (s *Service) count(name string, n float64, dims ...string) {
	if s.Metrics != nil {
		s.Metrics.Count(name, n, dims...)
	}
}

func (s *Service) observe(name string, d time.Duration, dims ...string) {
	if s.Metrics != nil {
		s.Metrics.Observe(name, d, dims...)
	}
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
