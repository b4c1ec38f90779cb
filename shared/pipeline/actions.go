package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// Contacted records that the owner reached the lead and stops its SLA timer.
// Returns ENOTFOUND for an unknown lead and EUNPROCESSABLE when the lead has
// no owner.
func (s *Service) Contacted(ctx context.Context, leadID string) (*lead.Lead, error) {
	now := s.Clock.Now().UTC()
	l, err := s.mutate(ctx, leadID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if cur.Owner == "" {
			return nil, false, lead.Errorf(lead.EUNPROCESSABLE, "the lead has no owner to contact it")
		}
		if !cur.ContactedAt.IsZero() {
			return nil, false, nil
		}
		cur.ContactedAt = now
		history(cur, now, "contact", "", cur.Owner, "owner marked contacted")
		return nil, true, nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.Scheduler.Cancel(ctx, slaKey(l)); err != nil {
		return nil, fmt.Errorf("stop SLA timer of lead %s: %w", l.ID, err)
	}
	s.observe("speed_to_contact", now.Sub(l.RoutedAt))
	return l, nil
}

// Disqualify moves a lead to disqualified. A reason is required: returns
// EUNPROCESSABLE naming the field without one, ENOTFOUND for an unknown lead.
func (s *Service) Disqualify(ctx context.Context, leadID, reason string) (*lead.Lead, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, &lead.Error{Code: lead.EUNPROCESSABLE, Field: "reason", Message: "a reason is required to disqualify a lead"}
	}
	if len(reason) > 1000 {
		return nil, lead.FieldError("reason", "at most 1000 bytes")
	}
	return s.moveStage(ctx, leadID, lead.StageDisqualified, "disqualified: "+reason, func(l *lead.Lead) { l.DisqualifyReason = reason })
}

// Reassign moves a lead to the given rep (an explicit action). Returns
// EINVALID for an unknown rep and ENOTFOUND for an unknown lead.
func (s *Service) Reassign(ctx context.Context, leadID, to, reason string) (*lead.Lead, error) {
	l, err := s.Store.GetLead(ctx, leadID)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		reason = "reassigned by a user"
	}
	if err := s.reassign(ctx, l, &to, reason); err != nil {
		return nil, err
	}
	return s.Store.GetLead(ctx, leadID)
}

// moveStage sets a stage by action or outcome, logs the cause and publishes
// lead.stage_changed.
func (s *Service) moveStage(ctx context.Context, leadID string, to lead.Stage, cause string, also func(*lead.Lead)) (*lead.Lead, error) {
	now := s.Clock.Now().UTC()
	return s.mutate(ctx, leadID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if cur.Stage == to {
			return nil, false, nil
		}
		from := cur.Stage
		cur.Stage = to
		if also != nil {
			also(cur)
		}
		history(cur, now, "stage", string(from), string(to), cause)
		s.count("stage_changes", 1, "to", string(to))
		return []events.Detail{events.StageChanged{Header: s.header(cur, ""), From: from, To: to, Cause: cause}}, true, nil
	})
}

// CRM outcomes, SPEC §8.
const (
	OutcomeSalesAccepted = "sales_accepted"
	OutcomeSalesRejected = "sales_rejected"
	OutcomeOpportunity   = "opportunity"
	OutcomeClosedWon     = "closed_won"
	OutcomeClosedLost    = "closed_lost"
)

var outcomeStages = map[string]lead.Stage{
	OutcomeSalesAccepted: lead.StageSAL,
	OutcomeSalesRejected: lead.StageDisqualified,
	OutcomeOpportunity:   lead.StageOpportunity,
	OutcomeClosedWon:     lead.StageCustomer,
	OutcomeClosedLost:    lead.StageClosedLost,
}

// Outcome is a CRM outcome for a lead.
type Outcome struct {
	ID         string `json:"id,omitempty"`
	LeadID     string `json:"lead_id,omitempty"`
	Email      string `json:"email,omitempty"`
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason,omitempty"`
	OccurredAt string `json:"occurred_at,omitempty"`
}

// RecordOutcome applies a CRM outcome: the stage moves (sales_rejected
// disqualifies with the reason, closed_lost recycles the lead to nurture)
// and lead.outcome_recorded is published. A repeated outcome is a no-op.
// Returns EINVALID for an unknown outcome, EUNPROCESSABLE for a rejection
// without a reason, ENOTFOUND for an unknown lead.
func (s *Service) RecordOutcome(ctx context.Context, o Outcome) (*lead.Lead, error) {
	to, ok := outcomeStages[o.Outcome]
	if !ok {
		return nil, lead.FieldError("outcome", "unknown outcome %q", truncate(o.Outcome, 40))
	}
	reason := strings.TrimSpace(o.Reason)
	if o.Outcome == OutcomeSalesRejected && reason == "" {
		return nil, &lead.Error{Code: lead.EUNPROCESSABLE, Field: "reason", Message: "sales_rejected requires a reason"}
	}
	at := s.Clock.Now().UTC()
	if o.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339, o.OccurredAt)
		if err != nil {
			return nil, lead.FieldError("occurred_at", "must be an RFC 3339 time")
		}
		at = t.UTC()
	}
	l, err := s.findLead(ctx, o.LeadID, o.Email)
	if err != nil {
		return nil, err
	}
	cause := "crm: " + o.Outcome
	if reason != "" {
		cause += ": " + reason
	}
	return s.mutate(ctx, l.ID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if cur.Outcome == o.Outcome && cur.Stage == to {
			return nil, false, nil
		}
		h := s.header(cur, "")
		out := []events.Detail{events.OutcomeRecorded{Header: h, Outcome: o.Outcome, Reason: reason}}
		cur.Outcome, cur.OutcomeAt = o.Outcome, at
		if cur.Stage != to {
			from := cur.Stage
			cur.Stage = to
			if to == lead.StageDisqualified {
				cur.DisqualifyReason = reason
			}
			history(cur, at, "stage", string(from), string(to), cause)
			out = append(out, events.StageChanged{Header: h, From: from, To: to, Cause: cause})
		}
		return out, true, nil
	})
}

// Erase deletes every item of a lead, stops its timers, deletes what any
// port that is a LeadDeleter kept of it (the local outbox, timers and
// queues), and publishes
// lead.erased (which carries the id only). Returns ENOTFOUND for an unknown
// lead.
func (s *Service) Erase(ctx context.Context, leadID string) error {
	l, err := s.Store.GetLead(ctx, leadID)
	if err != nil {
		return err
	}
	if l.Owner != "" {
		if err := s.Scheduler.Cancel(ctx, slaKey(l)); err != nil {
			return fmt.Errorf("stop SLA timer: %w", err)
		}
	}
	// Before the lead goes, so that a failure here can be retried.
	for _, sent := range []any{s.Notifier, s.Mailer, s.Scheduler, s.Publisher, s.Sender} {
		if d, ok := sent.(LeadDeleter); ok {
			if err := d.Delete(ctx, leadID); err != nil {
				return fmt.Errorf("erase sent messages of lead %s: %w", leadID, err)
			}
		}
	}
	if err := s.Store.DeleteLead(ctx, leadID); err != nil {
		return fmt.Errorf("erase lead %s: %w", leadID, err)
	}
	env, err := events.Wrap(s.IDs.NewID(), events.Erased{Header: events.Header{LeadID: leadID, OccurredAt: s.Clock.Now().UTC(), Version: events.Version}})
	if err != nil {
		return err
	}
	s.count("erasures", 1)
	return s.Publisher.Publish(ctx, env)
}

// Lead returns a lead by id, or by email when ref contains "@". Returns
// ENOTFOUND when there is none.
func (s *Service) Lead(ctx context.Context, ref string) (*lead.Lead, error) {
	if strings.Contains(ref, "@") {
		return s.Store.LeadByEmail(ctx, lead.PersonKey(ref))
	}
	return s.Store.GetLead(ctx, ref)
}

// InactiveAfter is how long without activity before the sweep re-enriches a
// lead, and how recent an enrichment must be for the sweep to skip it.
const InactiveAfter = 90 * 24 * time.Hour

// sweepPage is how many leads the sweep reads and sends per batch.
const sweepPage = 500

// Sweep asks for re-enrichment of every lead with no activity for 90 days
// and no enrichment in the last 90 days, found through the store's
// inactivity index (never a scan of all leads). It is idempotent per day: a
// second run on the same day requests nothing again. Returns how many leads
// it requested.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.Clock.Now().UTC()
	cutoff := now.Add(-InactiveAfter)
	day := now.Format("2006-01-02")
	requested := 0
	cursor := ""
	for {
		page, next, err := s.Store.InactiveSince(ctx, cutoff, cursor, sweepPage)
		if err != nil {
			return requested, fmt.Errorf("inactive leads: %w", err)
		}
		batch, err := s.sweepPage(ctx, page, cutoff, day)
		if err != nil {
			return requested, err
		}
		if len(batch) > 0 {
			if err := s.Sender.Send(ctx, events.ConsumerEnrich, batch...); err != nil {
				return requested, fmt.Errorf("send sweep batch: %w", err)
			}
			requested += len(batch)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	s.count("sweep_requested", float64(requested))
	return requested, nil
}

// sweepPage picks the leads of one page not enriched since cutoff nor swept
// today, recording each once-key concurrently so their writes share commits.
func (s *Service) sweepPage(ctx context.Context, page []*lead.Lead, cutoff time.Time, day string) ([]events.Envelope, error) {
	picked := make([]bool, len(page))
	errs := make([]error, len(page))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i, l := range page {
		if l.Enrichment.At.After(cutoff) || l.Stage == lead.StageDisqualified {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, fresh, err := s.Store.PutOnce(ctx, "sweep:"+day+":"+l.ID, l.ID, 48*time.Hour)
			if err != nil {
				errs[i] = fmt.Errorf("record sweep of lead %s: %w", l.ID, err)
			}
			picked[i] = fresh
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var batch []events.Envelope
	for i, l := range page {
		if !picked[i] {
			continue
		}
		env, err := events.Wrap(s.IDs.NewID(), events.EnrichRequested{Header: s.header(l, "sweep-"+day), Trigger: TriggerSweep})
		if err != nil {
			return nil, err
		}
		batch = append(batch, env)
	}
	return batch, nil
}
