package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/routing"
)

// storeCounters backs round-robin rotation with the store's atomic counters
// so concurrent routers (and a bulk import) spread leads evenly.
type storeCounters struct {
	ctx   context.Context
	store Store
	err   error
}

func (c *storeCounters) Next(pool string) int64 {
	n, err := c.store.Increment(c.ctx, "rr:"+pool)
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("rotation counter %s: %w", pool, err)
	}
	return n
}

// storeLoads counts a rep's open leads through the store's owner index.
type storeLoads struct {
	ctx   context.Context
	store Store
	err   error
}

func (l *storeLoads) OpenLeads(rep string) int {
	n, err := l.store.OpenLeads(l.ctx, rep)
	if err != nil && l.err == nil {
		l.err = fmt.Errorf("open leads of %s: %w", rep, err)
	}
	return n
}

// decide runs the router for a lead, excluding some reps.
func (s *Service) decide(ctx context.Context, l *lead.Lead, exclude []string) (routing.Decision, error) {
	accountOwner := ""
	if l.Domain != "" {
		a, err := s.Store.GetAccount(ctx, l.Domain)
		switch {
		case err == nil:
			accountOwner = a.Owner
		case !lead.IsCode(err, lead.ENOTFOUND):
			return routing.Decision{}, fmt.Errorf("get account: %w", err)
		}
	}
	counters := &storeCounters{ctx: ctx, store: s.Store}
	loads := &storeLoads{ctx: ctx, store: s.Store}
	d := s.Rules.Router.Route(routing.Input{Lead: l, AccountOwner: accountOwner, Now: s.Clock.Now(), Exclude: exclude}, counters, loads)
	if counters.err != nil {
		return d, counters.err
	}
	return d, loads.err
}

// Route assigns an owner to a lead that reached sql and is not yet routed,
// then publishes lead.routed. First route wins: the conditional write makes
// a concurrent second router see the lead routed and do nothing. An account
// keeps the owner its first routed lead got.
func (s *Service) Route(ctx context.Context, leadID, correlation string) error {
	l, err := s.Store.GetLead(ctx, leadID)
	if err != nil {
		return err
	}
	if l.Stage != lead.StageSQL || l.Routed() {
		return s.flush(ctx, l)
	}
	d, err := s.decide(ctx, l, nil)
	if err != nil {
		return err
	}
	if d.Owner != "" && l.Domain != "" && !l.FreeEmail && !l.DisposableEmail {
		owner, err := s.Store.ClaimAccountOwner(ctx, l.Domain, d.Owner)
		if err != nil {
			return fmt.Errorf("claim account %s: %w", l.Domain, err)
		}
		if owner != d.Owner {
			// Another lead of the account was routed first: follow it.
			d.Steps = append(d.Steps, routing.Step{Strategy: "account_owner", Matched: true, Why: "account claimed concurrently by " + owner})
			d.Owner, d.Rule = owner, "account_owner"
			if team, ok := s.Rules.Router.TeamOf(owner); ok {
				d.Team = team.ID
			}
		}
	}
	now := s.Clock.Now().UTC()
	_, err = s.mutateFrom(ctx, leadID, l, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if cur.Routed() || cur.Stage != lead.StageSQL {
			return nil, false, nil
		}
		cur.Owner, cur.Team, cur.Queue, cur.RoutedAt = d.Owner, d.Team, d.Queue, now
		cur.Routing = &lead.Routing{Rule: d.Rule, Team: d.Team, Owner: d.Owner, Queue: d.Queue, Explanation: d.Explain(), At: now}
		to := d.Owner
		if to == "" {
			to = "queue:" + d.Queue
		}
		history(cur, now, "owner", "", to, "routing: "+d.Rule)
		return []events.Detail{events.Routed{Header: s.header(cur, correlation), Owner: d.Owner, Team: d.Team, Queue: d.Queue, Rule: d.Rule, ManagerAlert: d.ManagerAlert}}, true, nil
	})
	if err != nil {
		return err
	}
	s.count("leads_routed", 1, "rule", d.Rule)
	s.observe("speed_to_route", now.Sub(l.CreatedAt))
	return nil
}

// NotifyRouted tells the owner (or the team's manager when the lead waits in
// the team queue) and starts the SLA timer. Each side effect is keyed, so a
// redelivery sends nothing twice.
func (s *Service) NotifyRouted(ctx context.Context, ev events.Routed) error {
	l, err := s.Store.GetLead(ctx, ev.LeadID)
	if err != nil {
		return err
	}
	now := s.Clock.Now().UTC()
	if ev.Owner == "" {
		team, _ := s.Rules.Router.Team(ev.Team)
		return s.Notifier.Notify(ctx, Notification{
			Key: "queued:" + l.ID, Kind: NotifyManagerAlert, To: team.Manager, LeadID: l.ID, At: now,
			Subject: "Lead waiting in " + ev.Queue,
			Body:    fmt.Sprintf("No rep of team %s is available for %s; it waits in %s.", ev.Team, describe(l), ev.Queue),
		})
	}
	if l.Owner != ev.Owner {
		return nil // reassigned since; the reassignment notifies
	}
	if err := s.Notifier.Notify(ctx, Notification{
		Key: "assigned:" + ownership(l), Kind: NotifyOwnerAssigned, To: ev.Owner, LeadID: l.ID, At: now,
		Subject: "New lead: " + describe(l),
		Body:    ownerMessage(l),
	}); err != nil {
		return fmt.Errorf("notify owner of lead %s: %w", l.ID, err)
	}
	s.observe("speed_to_lead", now.Sub(l.CreatedAt))
	return s.startSLA(ctx, l)
}

// NotifyReassigned tells the new owner, the previous owner and the manager,
// and starts the SLA timer for the new owner.
func (s *Service) NotifyReassigned(ctx context.Context, ev events.Reassigned) error {
	l, err := s.Store.GetLead(ctx, ev.LeadID)
	if err != nil {
		return err
	}
	if l.Owner != ev.To {
		return nil
	}
	now := s.Clock.Now().UTC()
	msgs := []Notification{
		{Key: "assigned:" + ownership(l), Kind: NotifyOwnerAssigned, To: ev.To, Subject: "Lead reassigned to you: " + describe(l), Body: ownerMessage(l) + "\nReason: " + ev.Reason},
		{Key: "reassigned-from:" + ownership(l) + ":" + ev.From, Kind: NotifyReassigned, To: ev.From, Subject: "Lead reassigned: " + describe(l), Body: "Reassigned to " + ev.To + ": " + ev.Reason},
	}
	if team, ok := s.Rules.Router.TeamOf(ev.From); ok && team.Manager != "" {
		msgs = append(msgs, Notification{Key: "reassigned-mgr:" + ownership(l) + ":" + ev.From, Kind: NotifyReassigned, To: team.Manager, Subject: "Lead reassigned: " + describe(l), Body: fmt.Sprintf("From %s to %s: %s", ev.From, ev.To, ev.Reason)})
	}
	for _, n := range msgs {
		if n.To == "" {
			continue
		}
		n.LeadID, n.At = l.ID, now
		if err := s.Notifier.Notify(ctx, n); err != nil {
			return fmt.Errorf("notify reassignment of lead %s: %w", l.ID, err)
		}
	}
	return s.startSLA(ctx, l)
}

// ownership names one period of a lead with one owner: the lead, the owner
// and when the lead was routed to them. The keys of what an assignment
// triggers (its notifications, its SLA timer) are built from it, so that a
// lead coming back to a rep who held it before (a small team cycling on
// SLA reassignments) notifies them and starts their SLA again, while a
// redelivered event of the same assignment does neither twice.
func ownership(l *lead.Lead) string {
	return l.ID + ":" + l.Owner + ":" + strconv.FormatInt(l.RoutedAt.UnixNano(), 36)
}

// slaKey names the SLA timer of the lead's current ownership. It is a hash:
// a used key outlives the timer (schedulers keep it to stay idempotent),
// and it must not name a lead after the lead is erased.
func slaKey(l *lead.Lead) string { return "sla-" + shortHash(ownership(l)) }

func (s *Service) startSLA(ctx context.Context, l *lead.Lead) error {
	if s.Rules.SLA.AlertAfter <= 0 || !l.ContactedAt.IsZero() {
		return nil
	}
	at := l.RoutedAt.Add(s.Rules.SLA.AlertAfter)
	if err := s.Scheduler.Schedule(ctx, Timer{Key: slaKey(l), Kind: TimerSLA, LeadID: l.ID, At: at, Data: l.Owner}); err != nil {
		return fmt.Errorf("start SLA timer of lead %s: %w", l.ID, err)
	}
	return nil
}

// CheckSLA is the SLA timer's task: at AlertAfter without contact it alerts
// the owner's manager, at ReassignAfter it reassigns the lead to the next
// eligible rep (same rules, excluding the owner). It stops once the lead is
// contacted, reassigned or out of sql.
func (s *Service) CheckSLA(ctx context.Context, t Timer) (TimerResult, error) {
	l, err := s.Store.GetLead(ctx, t.LeadID)
	if lead.IsCode(err, lead.ENOTFOUND) {
		return TimerResult{Done: true}, nil
	}
	if err != nil {
		return TimerResult{}, err
	}
	if l.Owner != t.Data || !l.ContactedAt.IsZero() || l.Stage != lead.StageSQL {
		return TimerResult{Done: true}, nil
	}
	now := s.Clock.Now().UTC()
	age := now.Sub(l.RoutedAt)
	switch {
	case age >= s.Rules.SLA.ReassignAfter:
		return TimerResult{Done: true}, s.reassign(ctx, l, nil, fmt.Sprintf("not contacted within %s", s.Rules.SLA.ReassignAfter))
	case age >= s.Rules.SLA.AlertAfter:
		team, _ := s.Rules.Router.TeamOf(l.Owner)
		if team.Manager != "" {
			if err := s.Notifier.Notify(ctx, Notification{
				Key: "sla-alert:" + ownership(l), Kind: NotifySLAWarning, To: team.Manager, LeadID: l.ID, At: now,
				Subject: "SLA: lead not contacted within " + s.Rules.SLA.AlertAfter.String(),
				Body:    fmt.Sprintf("%s, owned by %s, has not been contacted %s after routing.", describe(l), l.Owner, age.Round(time.Minute)),
			}); err != nil {
				return TimerResult{}, err
			}
			s.count("sla_alerts", 1)
		}
		return TimerResult{NextAt: l.RoutedAt.Add(s.Rules.SLA.ReassignAfter)}, nil
	}
	return TimerResult{NextAt: l.RoutedAt.Add(s.Rules.SLA.AlertAfter)}, nil
}

// reassign moves a lead to another rep: to when given (an explicit action),
// otherwise the next eligible rep under the routing rules, excluding the
// current owner. Returns EUNPROCESSABLE when nobody else is eligible.
func (s *Service) reassign(ctx context.Context, l *lead.Lead, to *string, reason string) error {
	var d routing.Decision
	if to != nil {
		rep, ok := s.Rules.Router.Rep(*to)
		if !ok {
			return &lead.Error{Code: lead.EINVALID, Field: "owner", Message: "unknown rep"}
		}
		d.Owner, d.Rule = rep.ID, "manual"
		if team, ok := s.Rules.Router.TeamOf(rep.ID); ok {
			d.Team = team.ID
		}
	} else {
		var err error
		d, err = s.decide(ctx, l, []string{l.Owner})
		if err != nil {
			return err
		}
	}
	from := l.Owner
	now := s.Clock.Now().UTC()
	_, err := s.mutate(ctx, l.ID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if cur.Owner != from || (d.Owner == from) {
			return nil, false, nil
		}
		cur.Owner, cur.Team, cur.Queue, cur.RoutedAt, cur.ContactedAt = d.Owner, d.Team, d.Queue, now, time.Time{}
		cur.Routing = &lead.Routing{Rule: d.Rule, Team: d.Team, Owner: d.Owner, Queue: d.Queue, Explanation: d.Explain(), At: now}
		history(cur, now, "owner", from, d.Owner+d.Queue, reason)
		return []events.Detail{events.Reassigned{Header: s.header(cur, ""), From: from, To: d.Owner, Team: d.Team, Reason: reason}}, true, nil
	})
	if err == nil {
		s.count("reassignments", 1)
	}
	return err
}

func describe(l *lead.Lead) string {
	name := strings.TrimSpace(l.FirstName + " " + l.LastName)
	switch {
	case name != "" && l.Company != "":
		return name + " (" + l.Company + ")"
	case l.Company != "":
		return l.Company
	case name != "":
		return name
	}
	return "lead " + l.ID
}

func ownerMessage(l *lead.Lead) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", describe(l))
	if l.Title != "" {
		fmt.Fprintf(&b, ", %s", l.Title)
	}
	fmt.Fprintf(&b, "\nStage %s, score %g (fit %g, intent %g)\nWhy: %s", l.Stage, l.Score.Total, l.Score.Fit, l.Score.Intent, reasonCodes(l.Score))
	if l.Routing != nil {
		fmt.Fprintf(&b, "\nRouted by %s", l.Routing.Rule)
	}
	return b.String()
}
