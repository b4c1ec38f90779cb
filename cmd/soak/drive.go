package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// driver sends each lead's plan: the form, then its behaviour events, then
// its negative events, then its outcome, each phase over every lead before
// the next starts.
type driver struct {
	c     *client
	plans []plan
	ids   []string // accepted lead id per plan
	now   time.Time

	accepted, resubmitted, idMismatch atomic.Int64
}

// eventBatch is how many events one request carries: a request fails as a
// whole when the store does, so large batches would rarely get through the
// faults.
const eventBatch = 3

type captureAnswer struct {
	LeadID string `json:"lead_id"`
	Status string `json:"status"`
}

func (d *driver) capture(ctx context.Context, i int) error {
	p := d.plans[i]
	key := map[string]string{"Idempotency-Key": fmt.Sprintf("soak-lead-%d", p.i)}
	var a captureAnswer
	if err := d.c.post(ctx, "/v1/forms/"+p.form, p.fields, key, &a); err != nil {
		return fmt.Errorf("lead %d: %w", p.i, err)
	}
	if a.LeadID == "" || a.Status != "accepted" {
		return fmt.Errorf("lead %d: answer %+v", p.i, a)
	}
	d.ids[i] = a.LeadID
	d.accepted.Add(1)
	if p.resubmit {
		// A client that lost the 202 posts again: same key, same lead.
		var again captureAnswer
		if err := d.c.post(ctx, "/v1/forms/"+p.form, p.fields, key, &again); err != nil {
			return fmt.Errorf("lead %d resubmitted: %w", p.i, err)
		}
		d.resubmitted.Add(1)
		if again.LeadID != a.LeadID {
			d.idMismatch.Add(1)
		}
	}
	return nil
}

type eventJSON struct {
	ID         string `json:"id"`
	LeadID     string `json:"lead_id"`
	Type       string `json:"type"`
	OccurredAt string `json:"occurred_at"`
	URL        string `json:"url,omitempty"`
}

type eventsAnswer struct {
	Results []struct {
		Status string `json:"status"`
		Error  any    `json:"error"`
	} `json:"results"`
}

func (d *driver) send(ctx context.Context, i int, evs []event) error {
	for start := 0; start < len(evs); start += eventBatch {
		var body struct {
			Events []eventJSON `json:"events"`
		}
		for _, ev := range evs[start:min(start+eventBatch, len(evs))] {
			body.Events = append(body.Events, eventJSON{ID: ev.id, LeadID: d.ids[i], Type: string(ev.typ), URL: ev.url, OccurredAt: d.now.Add(-ev.age).Format(time.RFC3339)})
		}
		// Signatures are single-use and the soak's clock is frozen, so a
		// retry could not be signed afresh: the soak uses the local token.
		var a eventsAnswer
		if err := d.c.post(ctx, "/v1/events", body, d.c.internal(), &a); err != nil {
			return fmt.Errorf("events of lead %d: %w", i, err)
		}
		for k, r := range a.Results {
			// A retry after a lost reply finds the event stored: duplicate.
			if r.Status != "accepted" && r.Status != "duplicate" {
				return fmt.Errorf("event %s of lead %d: %s %v", body.Events[k].ID, i, r.Status, r.Error)
			}
		}
	}
	return nil
}

func (d *driver) positives(ctx context.Context, i int) error {
	return d.send(ctx, i, d.plans[i].positives)
}

func (d *driver) negatives(ctx context.Context, i int) error {
	return d.send(ctx, i, d.plans[i].negatives)
}

func (d *driver) outcomes(ctx context.Context, i int) error {
	p := d.plans[i]
	if p.outcome == "" {
		return nil
	}
	body := map[string]string{"id": fmt.Sprintf("soak-%d-outcome", p.i), "lead_id": d.ids[i], "outcome": p.outcome}
	if p.outcome == "sales_rejected" {
		body["reason"] = "not a fit"
	}
	if err := d.c.post(ctx, "/v1/outcomes", body, d.c.internal(), nil); err != nil {
		return fmt.Errorf("outcome of lead %d: %w", p.i, err)
	}
	return nil
}
