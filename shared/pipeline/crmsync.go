package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// CRMUpdate is a lead's current state as the CRM should show it. It carries
// only what a CRM mapping may send: no names, phones or free-form fields.
type CRMUpdate struct {
	// Key is the idempotency key: the id of the event that caused the
	// update, so a redelivered event is deduplicated by the CRM.
	Key     string
	Event   events.DetailType
	LeadID  string
	Version int64 // the lead's version: a receiver may drop older states
	Email   string
	Stage   lead.Stage
	Owner   string // rep id; "" while unrouted or in a team queue
	Team    string
	Queue   string
	Score   float64
	// DisqualifyReason is set while the lead is disqualified.
	DisqualifyReason string
	Outcome          string
	UpdatedAt        time.Time
}

// CRMErasure asks the CRM to delete a lead's record. It names the lead by id
// only: the lead and its email are gone when it is sent.
type CRMErasure struct {
	Key    string // the lead.erased event id
	LeadID string
	At     time.Time
}

// CRM is the team's CRM as the sync sees it. Both methods are idempotent by
// Key. Errors carry lead codes: EUNAVAILABLE or ERATELIMIT when the CRM could
// not take the request now (the queue retries), EINVALID when it refused it
// for good or the mapping cannot express it (the record ends in the
// dead-letter queue).
type CRM interface {
	Upsert(ctx context.Context, u CRMUpdate) error
	Erase(ctx context.Context, e CRMErasure) error
}

// SyncCRM pushes what an event changed to the CRM: for a stage change, a
// routing or a reassignment it sends the lead's current state (so events
// delivered out of order still leave the CRM at the latest state), for an
// erasure a deletion request. With no CRM configured it acknowledges and
// counts crm_sync_skipped. Returns ENOTFOUND when the lead was erased
// meanwhile (its erasure event deletes the CRM record), and the CRM's error
// otherwise.
func (s *Service) SyncCRM(ctx context.Context, env events.Envelope, d events.Detail) error {
	if s.CRM == nil {
		s.count("crm_sync_skipped", 1, "type", string(d.Type()))
		return nil
	}
	id := d.Head().LeadID
	switch d.Type() {
	case events.LeadErased:
		return s.crmErase(ctx, CRMErasure{Key: env.ID, LeadID: id, At: d.Head().OccurredAt}, d.Type())
	case events.LeadStageChanged, events.LeadRouted, events.LeadReassigned:
	default:
		return nil // not a change the CRM mirrors
	}
	l, err := s.Store.GetLead(ctx, id)
	if err != nil {
		return fmt.Errorf("read lead %s for CRM sync: %w", id, err)
	}
	if err := s.CRM.Upsert(ctx, crmUpdate(env.ID, d.Type(), l)); err != nil {
		s.count("crm_sync_failed", 1, "code", lead.ErrorCode(err))
		return fmt.Errorf("CRM sync of lead %s (%s): %w", id, d.Type(), err)
	}
	s.count("crm_sync_sent", 1, "type", string(d.Type()))
	// The lead may have been erased, and its erasure sent, while the update
	// was in flight; the update would then recreate the record. Erasing once
	// more after the update leaves the CRM without it whichever came first.
	if _, err := s.Store.GetLead(ctx, id); lead.IsCode(err, lead.ENOTFOUND) {
		return s.crmErase(ctx, CRMErasure{Key: env.ID + ":erased", LeadID: id, At: s.Clock.Now().UTC()}, events.LeadErased)
	} else if err != nil {
		return fmt.Errorf("re-read lead %s after CRM sync: %w", id, err)
	}
	return nil
}

func (s *Service) crmErase(ctx context.Context, e CRMErasure, t events.DetailType) error {
	if err := s.CRM.Erase(ctx, e); err != nil {
		s.count("crm_sync_failed", 1, "code", lead.ErrorCode(err))
		return fmt.Errorf("CRM erasure of lead %s: %w", e.LeadID, err)
	}
	s.count("crm_sync_sent", 1, "type", string(t))
	return nil
}

// crmUpdate is the state of l the CRM mirrors.
func crmUpdate(key string, t events.DetailType, l *lead.Lead) CRMUpdate {
	u := CRMUpdate{
		Key: key, Event: t, LeadID: l.ID, Version: l.Version, Email: l.Email, Stage: l.Stage,
		Owner: l.Owner, Team: l.Team, Queue: l.Queue, Score: l.Score.Total, Outcome: l.Outcome, UpdatedAt: l.UpdatedAt.UTC(),
	}
	if l.Stage == lead.StageDisqualified {
		u.DisqualifyReason = l.DisqualifyReason
	}
	return u
}
