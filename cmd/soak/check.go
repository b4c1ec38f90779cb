package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/local"
	"github.com/leadflow/leadflow/shared/outbox"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// check reads the final state from the store and the outbox, unwrapped by
// faults, and counts every broken invariant into sum.
func check(ctx context.Context, app *local.App, d *driver, published *publishLog, sum *summary) error {
	t0 := time.Now()
	defer func() { sum.check = time.Since(t0) }()
	stored := map[string]*lead.Lead{}
	byEmail := map[string]int{}
	err := app.Store.ScanLeads(ctx, func(l *lead.Lead) error {
		stored[l.ID] = l
		byEmail[l.Email]++
		return nil
	})
	if err != nil {
		return err
	}
	entries, err := app.Outbox.List(ctx, outbox.Filter{})
	if err != nil {
		return err
	}
	notes := map[string][]outbox.Entry{}
	keys := map[string]int{}
	for _, e := range entries {
		keys[e.Kind+"/"+e.Key]++
		if e.Kind == outbox.KindEmail {
			sum.emails++
			continue
		}
		notes[e.LeadID] = append(notes[e.LeadID], e)
	}
	for k, n := range keys {
		if n > 1 {
			sum.duplicates += n - 1
			sum.problem("outbox key %s sent %d times", k, n)
		}
	}
	for email, n := range byEmail {
		if n > 1 {
			sum.duplicates += n - 1
			sum.problem("%d leads hold one email (lead %s)", n, email[:min(len(email), 15)])
		}
	}
	accepted := map[string]bool{}
	for i, p := range d.plans {
		id := d.ids[i]
		if id == "" {
			continue
		}
		accepted[id] = true
		l, ok := stored[id]
		if !ok {
			sum.lost++
			sum.problem("lead %d (%s) accepted but not stored", p.i, id)
			continue
		}
		sum.stages[l.Stage]++
		if checkLead(ctx, app, p, l, notes[id], published, sum) {
			sum.completed++
		}
	}
	for id := range stored {
		if !accepted[id] {
			sum.leftover++
			sum.problem("lead %s stored but never accepted", id)
		}
	}
	return nil
}

// checkLead checks one lead against its plan and reports whether it holds.
func checkLead(ctx context.Context, app *local.App, p plan, l *lead.Lead, notes []outbox.Entry, published *publishLog, sum *summary) bool {
	ok := true
	fail := func(counter *int, format string, args ...any) {
		*counter++
		ok = false
		sum.problem("lead %d %s: "+format, append([]any{p.i, l.ID}, args...)...)
	}
	if l.Stage != p.want.stage {
		fail(&sum.stageWrong, "stage %s, want %s (score %g, fit %g; want %g, %g)", l.Stage, p.want.stage, l.Score.Total, l.Score.Fit, p.want.total, p.want.fit)
	}
	if l.Score.Total != p.want.total || l.Score.Fit != p.want.fit || l.Score.Intent != p.want.intent {
		fail(&sum.scoreWrong, "score %g (fit %g, intent %g), want %g (fit %g, intent %g)", l.Score.Total, l.Score.Fit, l.Score.Intent, p.want.total, p.want.fit, p.want.intent)
	}
	// Events may stay on the lead once published (the local runtime
	// clears them with the lead's next write); none may stay unpublished.
	for _, raw := range l.Pending {
		var env struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &env); err != nil || !published.has(env.ID) {
			fail(&sum.pendingLeft, "event %s never published", env.ID)
		}
	}
	if l.Enrichment.Status == lead.EnrichmentPending {
		fail(&sum.pendingLeft, "enrichment never ran")
	}
	acts, err := app.Store.Activities(ctx, l.ID)
	if err != nil {
		fail(&sum.activitiesWrong, "activities: %v", err)
	} else if want := 1 + len(p.positives) + len(p.negatives); len(acts) != want {
		fail(&sum.activitiesWrong, "%d activities, want %d", len(acts), want)
	}
	assigned, queued := 0, 0
	for _, n := range notes {
		switch n.Notice {
		case pipeline.NotifyOwnerAssigned:
			assigned++
			if n.To != l.Owner {
				fail(&sum.routingWrong, "owner notice to %s, owner is %s", n.To, l.Owner)
			}
		case pipeline.NotifyManagerAlert:
			queued++
		}
	}
	sum.notifications += assigned
	switch {
	case l.Stage == lead.StageSQL:
		// Exactly one owner, or the team queue, and exactly one notice.
		if (l.Owner == "") == (l.Queue == "") {
			fail(&sum.routingWrong, "sql with owner %q and queue %q, want exactly one", l.Owner, l.Queue)
		}
		if l.Owner != "" && (assigned != 1 || queued != 0) {
			fail(&sum.routingWrong, "owner %s got %d assignment notices (and %d queue alerts), want 1", l.Owner, assigned, queued)
		}
		if l.Queue != "" && (queued != 1 || assigned != 0) {
			fail(&sum.routingWrong, "queue %s raised %d manager alerts (and %d assignment notices), want 1", l.Queue, queued, assigned)
		}
	case p.outcome == "":
		if l.Routed() || assigned+queued > 0 {
			fail(&sum.routingWrong, "stage %s but routed to %q%q with %d notices", l.Stage, l.Owner, l.Queue, assigned+queued)
		}
	default:
		// A CRM outcome may land before or after routing: at most one.
		if assigned+queued > 1 {
			fail(&sum.routingWrong, "%d routing notices, want at most 1", assigned+queued)
		}
	}
	return ok
}

// checkNurture checks the touches nurture sent while the clock ran: none
// twice (one email or task per touch key), and none after the lead left
// nurture (unsubscribed, bounced, routed, disqualified or sales-accepted
// before the touch).
func checkNurture(ctx context.Context, app *local.App, d *driver, sum *summary) error {
	entries, err := app.Outbox.List(ctx, outbox.Filter{})
	if err != nil {
		return err
	}
	keys := map[string]int{}
	byLead := map[string][]outbox.Entry{}
	sum.emails = 0
	for _, e := range entries {
		keys[e.Kind+"/"+e.Key]++
		if e.Kind == outbox.KindEmail || e.Notice == pipeline.NotifyTask {
			byLead[e.LeadID] = append(byLead[e.LeadID], e)
		}
		if e.Kind == outbox.KindEmail {
			sum.emails++
		}
	}
	for k, n := range keys {
		if n > 1 {
			sum.touchesWrong += n - 1
			sum.problem("outbox key %s sent %d times", k, n)
		}
	}
	for i, p := range d.plans {
		sent := byLead[d.ids[i]]
		sum.touches += len(sent)
		if len(sent) == 0 {
			continue
		}
		l, err := app.Store.GetLead(ctx, d.ids[i])
		if err != nil {
			return err
		}
		// Every exit below happened at the soak's start, before the clock
		// ran, so any touch after it is one too many.
		exit := ""
		switch {
		case len(p.negatives) > 0:
			exit = string(p.negatives[0].typ)
		case l.Consent == lead.ConsentUnsubscribed:
			exit = "unsubscribed"
		case p.outcome == "sales_rejected":
			exit = "disqualified"
		case !l.RoutedAt.IsZero() && l.RoutedAt.Before(start.Add(time.Minute)):
			exit = "routed"
		}
		if exit == "" {
			continue
		}
		for _, e := range sent {
			if e.At.After(start) {
				sum.touchesWrong++
				sum.problem("lead %d %s: %s %q at %s after %s", p.i, l.ID, e.Kind, e.Key, e.At.Format(time.RFC3339), exit)
			}
		}
	}
	return nil
}
