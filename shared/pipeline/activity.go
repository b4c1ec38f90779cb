package pipeline

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// BehaviourEvent is one entry of a POST /v1/events body.
type BehaviourEvent struct {
	ID         string            `json:"id,omitempty"` // the sender's id; makes a resend idempotent
	LeadID     string            `json:"lead_id,omitempty"`
	Email      string            `json:"email,omitempty"`
	Type       string            `json:"type"`
	OccurredAt string            `json:"occurred_at,omitempty"` // RFC 3339, default now
	URL        string            `json:"url,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

// EventResult is the outcome of one behaviour event.
type EventResult struct {
	Index      int         `json:"index"`
	LeadID     string      `json:"lead_id,omitempty"`
	ActivityID string      `json:"activity_id,omitempty"`
	Status     string      `json:"status"` // accepted, duplicate, rejected
	Error      *lead.Error `json:"-"`
}

// Event result statuses.
const (
	StatusAccepted  = "accepted"
	StatusDuplicate = "duplicate"
	StatusRejected  = "rejected"
)

// maxFutureSkew tolerates senders whose clocks run a little ahead.
const maxFutureSkew = 5 * time.Minute

// RecordEvents stores behaviour events and publishes them for scoring. Each
// event gets its own result: a bad or unknown-lead event is rejected without
// failing the others. A resent event (same id, or same lead, type, time, URL
// and properties) is reported as a duplicate and counted once. Returns an
// error only when the store or bus failed (the caller retries the batch).
func (s *Service) RecordEvents(ctx context.Context, evs []BehaviourEvent, correlation string) ([]EventResult, error) {
	results := make([]EventResult, len(evs))
	now := s.Clock.Now().UTC()
	for i, ev := range evs {
		res, err := s.recordEvent(ctx, ev, now, correlation)
		res.Index = i
		if err != nil {
			var le *lead.Error
			if code := lead.ErrorCode(err); code == lead.EINVALID || code == lead.ENOTFOUND || code == lead.EUNPROCESSABLE {
				le, _ = err.(*lead.Error)
				if le == nil {
					le = &lead.Error{Code: code, Message: err.Error()}
				}
				res.Status, res.Error = StatusRejected, le
				results[i] = res
				continue
			}
			return nil, err
		}
		results[i] = res
	}
	return results, nil
}

func (s *Service) recordEvent(ctx context.Context, ev BehaviourEvent, now time.Time, correlation string) (EventResult, error) {
	act, err := parseEvent(ev, now)
	if err != nil {
		return EventResult{}, err
	}
	l, err := s.findLead(ctx, ev.LeadID, ev.Email)
	if err != nil {
		return EventResult{}, err
	}
	act.LeadID = l.ID
	act.ID = activityID(ev, act)
	added, err := s.Store.AddActivity(ctx, act)
	if err != nil {
		return EventResult{}, fmt.Errorf("add activity to lead %s: %w", l.ID, err)
	}
	// A duplicate is still published: the first attempt may have crashed
	// between storing and publishing, and scoring is idempotent.
	_, err = s.mutate(ctx, l.ID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if act.OccurredAt.After(cur.LastActivityAt) {
			cur.LastActivityAt = act.OccurredAt
		}
		if act.Type == lead.ActivityUnsubscribe && cur.Consent != lead.ConsentUnsubscribed {
			history(cur, now, "consent", string(cur.Consent), string(lead.ConsentUnsubscribed), "unsubscribe event")
			cur.Consent = lead.ConsentUnsubscribed
		}
		return []events.Detail{events.ActivityRecorded{Header: s.header(cur, correlation), ActivityID: act.ID, ActivityType: act.Type}}, true, nil
	})
	if err != nil {
		return EventResult{}, err
	}
	status := StatusAccepted
	if !added {
		status = StatusDuplicate
	}
	s.count("activities_recorded", 1, "type", string(act.Type))
	return EventResult{LeadID: l.ID, ActivityID: act.ID, Status: status}, nil
}

// findLead resolves a lead by id or, failing that, by email. Returns
// EINVALID when neither is given and ENOTFOUND when no lead matches.
func (s *Service) findLead(ctx context.Context, id, email string) (*lead.Lead, error) {
	switch {
	case id != "":
		l, err := s.Store.GetLead(ctx, id)
		if lead.IsCode(err, lead.ENOTFOUND) {
			return nil, &lead.Error{Code: lead.ENOTFOUND, Field: "lead_id", Message: "no such lead"}
		}
		return l, err
	case email != "":
		l, err := s.Store.LeadByEmail(ctx, lead.PersonKey(email))
		if lead.IsCode(err, lead.ENOTFOUND) {
			return nil, &lead.Error{Code: lead.ENOTFOUND, Field: "email", Message: "no lead with this email"}
		}
		return l, err
	}
	return nil, lead.FieldError("lead_id", "an event needs a lead_id or an email")
}

func parseEvent(ev BehaviourEvent, now time.Time) (lead.Activity, error) {
	typ := lead.ActivityType(ev.Type)
	known := false
	for _, t := range lead.ActivityTypes {
		known = known || t == typ
	}
	if !known {
		return lead.Activity{}, lead.FieldError("type", "unknown event type %q", truncate(ev.Type, 40))
	}
	at := now
	if ev.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339, ev.OccurredAt)
		if err != nil {
			return lead.Activity{}, lead.FieldError("occurred_at", "must be an RFC 3339 time")
		}
		if t.After(now.Add(maxFutureSkew)) {
			return lead.Activity{}, lead.FieldError("occurred_at", "is in the future")
		}
		at = t.UTC()
	}
	if len(ev.URL) > 2048 || !utf8.ValidString(ev.URL) {
		return lead.Activity{}, lead.FieldError("url", "must be valid UTF-8 of at most 2048 bytes")
	}
	if len(ev.Properties) > 50 {
		return lead.Activity{}, lead.FieldError("properties", "at most 50 properties")
	}
	for k, v := range ev.Properties {
		if len(k) > 100 || len(v) > 1000 || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return lead.Activity{}, lead.FieldError("properties", "keys ≤ 100 and values ≤ 1000 bytes of valid UTF-8")
		}
	}
	return lead.Activity{Type: typ, OccurredAt: at, URL: ev.URL, Properties: ev.Properties}, nil
}

// activityID makes resends idempotent: the sender's id when given, else a
// hash of what the event says.
func activityID(ev BehaviourEvent, a lead.Activity) string {
	if ev.ID != "" {
		return "ev-" + shortHash(a.LeadID+"\x00"+ev.ID)
	}
	keys := make([]string, 0, len(a.Properties))
	for k := range a.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%s\x00%s\x00%s", a.LeadID, a.Type, a.OccurredAt.Format(time.RFC3339Nano), a.URL)
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + a.Properties[k])
	}
	return "ev-" + shortHash(b.String())
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
