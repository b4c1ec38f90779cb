package pipeline

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/nurture"
)

// DefaultTaskQueue receives the call, LinkedIn and task touches of a lead
// when neither the lead nor its account has an owner and the config names
// no queue.
const DefaultTaskQueue = "sdr-queue"

// maxTouches bounds the touches kept on a lead item; the oldest go first.
const maxTouches = 100

// NurtureRules is what the nurture service needs of the config.
type NurtureRules struct {
	// Cadences in config order: a lead starts the first whose trigger holds
	// its stage.
	Cadences []*nurture.Cadence
	// EnrichMaxAge: starting a cadence re-enriches a lead whose enrichment
	// is older. Zero never re-enriches.
	EnrichMaxAge time.Duration
	// TaskQueue receives the non-email touches of unowned leads;
	// DefaultTaskQueue when empty.
	TaskQueue string
	// SenderName signs the emails of leads without an owner (the owner's
	// name signs the others); empty leaves the step's fallback.
	SenderName string
	// UnsubscribeURL is the unsubscribe link, with "{lead_id}" replaced by
	// the lead's id; empty leaves the step's fallback.
	UnsubscribeURL string
}

// nurtureTimerKey names the timer of one cadence run. Timer keys are
// single-use, so each run (a restart, a promotion) gets its own; like SLA
// keys they are hashes, so a scheduler's record of used keys does not name
// an erased lead.
func nurtureTimerKey(leadID string, run int) string {
	return fmt.Sprintf("nurture-%s", shortHash(fmt.Sprintf("%s\x00%d", leadID, run)))
}

// touchKey is the deduplication key of a touch's email or task,
// "nurture:<lead>:<cadence>.<run>:<step>.<cycle>": a redelivered timer call
// sends nothing twice, while a restarted run or a new repeat cycle sends
// again.
func touchKey(leadID string, st *lead.NurtureState, cycle int, stepID string) string {
	return fmt.Sprintf("nurture:%s:%s.%d:%s.%d", leadID, st.Cadence, st.Run, stepID, cycle)
}

func runOf(st *lead.NurtureState) int {
	if st == nil {
		return 0
	}
	return st.Run
}

func (s *Service) cadence(name string) *nurture.Cadence {
	for _, c := range s.Rules.Nurture.Cadences {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// NurtureEvent is the nurture queue's use case. lead.stage_changed starts
// the cadence the lead's stage triggers (qualification on mql; the general
// track below mql for consented leads, and on closed_lost), replacing a
// running cadence only on a move up the funnel; lead.enriched starts a
// never-nurtured lead's cadence; lead.activity_recorded of a reply, booked
// meeting, unsubscribe or hard bounce, and a stage change to sql or
// disqualified, end the running cadence at once and stop its timer. Before
// a cadence starts, enrichment older than the configured age is requested
// again. Idempotent: a redelivered event starts and ends nothing twice.
// Returns ENOTFOUND for an unknown lead; other errors are the store's, the
// scheduler's or the enrich queue's, and the caller retries.
func (s *Service) NurtureEvent(ctx context.Context, d events.Detail) error {
	switch ev := d.(type) {
	case *events.StageChanged:
		return s.reconcileNurture(ctx, ev.LeadID, &nurture.Trigger{At: ev.OccurredAt}, ev.CorrelationID)
	case *events.Enriched:
		return s.reconcileNurture(ctx, ev.LeadID, &nurture.Trigger{At: ev.OccurredAt, FirstOnly: true}, ev.CorrelationID)
	case *events.ActivityRecorded:
		if !nurture.ExitActivity(ev.ActivityType) {
			return nil
		}
		return s.reconcileNurture(ctx, ev.LeadID, nil, ev.CorrelationID)
	}
	return nil
}

// reconcileNurture ends the running cadence when an exit holds and, given a
// trigger, starts the cadence the lead's stage calls for.
func (s *Service) reconcileNurture(ctx context.Context, leadID string, tr *nurture.Trigger, correlation string) error {
	l, err := s.Store.GetLead(ctx, leadID)
	if err != nil {
		return err
	}
	acts, err := s.Store.Activities(ctx, leadID)
	if err != nil {
		return fmt.Errorf("activities of lead %s: %w", leadID, err)
	}
	now := s.Clock.Now().UTC()
	prev := l.Nurture
	exit := ""
	if prev.Running() {
		exit = nurture.ExitCadenceRemoved
		if c := s.cadence(prev.Cadence); c != nil {
			exit = nurture.ExitReason(c, *prev, l, acts)
		}
	}
	var start *nurture.Cadence
	if tr != nil {
		start = nurture.Start(s.Rules.Nurture.Cadences, prev, l, acts, *tr, now)
	}
	if start != nil && prev.Running() && exit == "" {
		exit = nurture.ExitReplaced
	}
	if exit == "" && start == nil {
		return s.flush(ctx, l)
	}
	var next *lead.NurtureState
	if start != nil {
		if next, err = s.startNurture(ctx, l, start, now, correlation); err != nil {
			return err
		}
	}
	_, err = s.mutate(ctx, leadID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if runOf(cur.Nurture) != runOf(prev) {
			return nil, false, nil // another handler started or replaced a run meanwhile
		}
		changed := false
		if exit != "" && cur.Nurture.Running() {
			endNurture(cur, exit, now)
			changed = true
		}
		if next != nil {
			cur.Nurture = next
			history(cur, now, "nurture", "", next.Cadence, "started on stage "+string(next.Stage))
			changed = true
		}
		return nil, changed, nil
	})
	if err != nil {
		return err
	}
	if exit != "" {
		s.count("nurture_exits", 1, "reason", exit)
		if err := s.Scheduler.Cancel(ctx, nurtureTimerKey(leadID, prev.Run)); err != nil {
			return fmt.Errorf("stop nurture timer of lead %s: %w", leadID, err)
		}
	}
	if next != nil {
		s.count("nurture_starts", 1, "cadence", next.Cadence)
	}
	return nil
}

// startNurture prepares a new run of c for l: it asks for re-enrichment
// when the lead's data is stale and schedules the run's timer before the
// run is stored. After a crash in between, the redelivered event stores the
// run and its timer (same key) is already there; if the event never comes
// back, the timer finds no run of its key and ends.
func (s *Service) startNurture(ctx context.Context, l *lead.Lead, c *nurture.Cadence, now time.Time, correlation string) (*lead.NurtureState, error) {
	st := &lead.NurtureState{Cadence: c.Name, Run: runOf(l.Nurture) + 1, Stage: l.Stage, StartedAt: now, NextAt: nurture.FirstDue(c, now)}
	if s.enrichmentStale(l, now) {
		env, err := events.Wrap(s.IDs.NewID(), events.EnrichRequested{Header: s.header(l, correlation), Trigger: TriggerNurture})
		if err != nil {
			return nil, err
		}
		if err := s.Sender.Send(ctx, events.ConsumerEnrich, env); err != nil {
			return nil, fmt.Errorf("request re-enrichment of lead %s: %w", l.ID, err)
		}
	}
	t := Timer{Key: nurtureTimerKey(l.ID, st.Run), Kind: TimerNurture, LeadID: l.ID, At: st.NextAt, Data: c.Name}
	if err := s.Scheduler.Schedule(ctx, t); err != nil {
		return nil, fmt.Errorf("start nurture timer of lead %s: %w", l.ID, err)
	}
	return st, nil
}

// enrichmentStale reports whether a cadence start should refresh the lead's
// data first. A lead whose first enrichment is still under way is not.
func (s *Service) enrichmentStale(l *lead.Lead, now time.Time) bool {
	maxAge := s.Rules.Nurture.EnrichMaxAge
	if maxAge <= 0 || l.Enrichment.Status == lead.EnrichmentPending {
		return false
	}
	return l.Enrichment.At.IsZero() || now.Sub(l.Enrichment.At) > maxAge
}

// endNurture records the end of the lead's running cadence.
func endNurture(l *lead.Lead, reason string, now time.Time) {
	l.Nurture.ExitReason, l.Nurture.ExitedAt, l.Nurture.NextAt = reason, now, time.Time{}
	history(l, now, "nurture", l.Nurture.Cadence, "", "exit: "+reason)
}

// NurtureTouch is the nurture timer's task. It asks the pure decision what
// is next for the lead and applies it: an email touch is sent through the
// Mailer, a call, LinkedIn or task touch becomes a task notification for
// the owner (the lead's, else its account's, else the SDR queue); the touch
// is recorded on the lead with lead.nurture_touch. It returns NextAt, when
// the next step falls due, or Done once the cadence exits or ends, and
// Done for a stale timer (an erased lead, a replaced or ended run).
// Suppressed consent exits before anything is sent. Idempotent: emails and
// tasks carry a per-touch key and the touch is recorded once, so a
// redelivered call sends nothing twice. Errors are the store's, the
// mailer's or the notifier's, or a step condition that cannot be
// evaluated; the timer retries.
func (s *Service) NurtureTouch(ctx context.Context, t Timer) (TimerResult, error) {
	l, err := s.Store.GetLead(ctx, t.LeadID)
	if lead.IsCode(err, lead.ENOTFOUND) {
		return TimerResult{Done: true}, nil
	}
	if err != nil {
		return TimerResult{}, err
	}
	st := l.Nurture
	if !st.Running() || nurtureTimerKey(l.ID, st.Run) != t.Key {
		return TimerResult{Done: true}, nil
	}
	now := s.Clock.Now().UTC()
	c := s.cadence(st.Cadence)
	if c == nil {
		return TimerResult{Done: true}, s.endRun(ctx, l.ID, st.Run, nurture.ExitCadenceRemoved, now)
	}
	acts, err := s.Store.Activities(ctx, l.ID)
	if err != nil {
		return TimerResult{}, fmt.Errorf("activities of lead %s: %w", l.ID, err)
	}
	acct, err := s.accountOf(ctx, l)
	if err != nil {
		return TimerResult{}, err
	}
	d, err := nurture.Decide(nurture.Input{Cadence: c, State: *st, Lead: l, Account: acct, Activities: acts, Now: now})
	if err != nil {
		return TimerResult{}, fmt.Errorf("nurture lead %s: %w", l.ID, err)
	}
	switch d.Action {
	case nurture.Exit:
		return TimerResult{Done: true}, s.endRun(ctx, l.ID, st.Run, d.Reason, now)
	case nurture.Wait:
		if d.Cycle != st.Cycle || d.Next != st.Next || !d.At.Equal(st.NextAt) {
			// Days passed over stay passed over, even if their condition
			// would hold later.
			if err := s.moveRun(ctx, l.ID, st.Run, d); err != nil {
				return TimerResult{}, err
			}
		}
		return TimerResult{NextAt: d.At}, nil
	}
	return s.touch(ctx, l, acct, acts, c, d, now)
}

// touch sends or assigns the decided step, then records it.
func (s *Service) touch(ctx context.Context, l *lead.Lead, acct *lead.Account, acts []lead.Activity, c *nurture.Cadence, d nurture.Decision, now time.Time) (TimerResult, error) {
	st, step := l.Nurture, &c.Steps[d.Step]
	key := touchKey(l.ID, st, d.Cycle, step.ID)
	var subject, body string
	if step.Render != nil {
		subject, body = step.Render(s.mergeValues(l, acct, acts, now))
	}
	var err error
	if step.Channel == nurture.ChannelEmail {
		err = s.Mailer.Send(ctx, Email{Key: key, LeadID: l.ID, To: l.Email, Subject: subject, Body: body, At: now})
	} else {
		err = s.Notifier.Notify(ctx, Notification{
			Key: key, Kind: NotifyTask, To: s.taskAssignee(l, acct), LeadID: l.ID, At: now,
			Subject: taskLabel(step.Channel) + ": " + describe(l),
			Body:    taskBody(c, step, l, body),
		})
	}
	if err != nil {
		return TimerResult{}, fmt.Errorf("nurture touch %s of lead %s: %w", step.ID, l.ID, err)
	}
	// The touch and the cadence's new position are one write, so the
	// decision never offers a recorded touch again; the key check makes a
	// concurrent second call record nothing.
	_, err = s.mutate(ctx, l.ID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if !cur.Nurture.Running() || cur.Nurture.Run != st.Run || hasTouch(cur, key) {
			return nil, false, nil
		}
		cur.Touches = append(cur.Touches, lead.Touch{Cadence: c.Name, Step: d.Step, StepID: step.ID, Channel: step.Channel, Template: step.Template, Key: key, At: now})
		if n := len(cur.Touches); n > maxTouches {
			cur.Touches = append([]lead.Touch(nil), cur.Touches[n-maxTouches:]...)
		}
		ns := cur.Nurture
		ns.Cycle, ns.Next, ns.LastTouchAt, ns.NextAt = d.Cycle, d.Next, now, d.NextAt
		history(cur, now, "nurture_touch", "", step.ID, fmt.Sprintf("%s day %d %s", c.Name, step.Day, step.Channel))
		if d.NextAt.IsZero() {
			endNurture(cur, nurture.ExitCompleted, now)
		}
		return []events.Detail{events.NurtureTouch{Header: s.header(cur, nurtureTimerKey(cur.ID, st.Run)), Cadence: c.Name, Step: d.Step, Channel: step.Channel}}, true, nil
	})
	if err != nil {
		return TimerResult{}, err
	}
	s.count("nurture_touches", 1, "channel", step.Channel)
	if d.NextAt.IsZero() {
		return TimerResult{Done: true}, nil
	}
	return TimerResult{NextAt: d.NextAt}, nil
}

// endRun records the exit of run of the lead's cadence, unless it has
// ended or been replaced meanwhile.
func (s *Service) endRun(ctx context.Context, leadID string, run int, reason string, now time.Time) error {
	_, err := s.mutate(ctx, leadID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if !cur.Nurture.Running() || cur.Nurture.Run != run {
			return nil, false, nil
		}
		endNurture(cur, reason, now)
		return nil, true, nil
	})
	if err == nil {
		s.count("nurture_exits", 1, "reason", reason)
	}
	return err
}

// moveRun stores the position a Wait decision moved the run to.
func (s *Service) moveRun(ctx context.Context, leadID string, run int, d nurture.Decision) error {
	_, err := s.mutate(ctx, leadID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if !cur.Nurture.Running() || cur.Nurture.Run != run {
			return nil, false, nil
		}
		cur.Nurture.Cycle, cur.Nurture.Next, cur.Nurture.NextAt = d.Cycle, d.Next, d.At
		return nil, true, nil
	})
	return err
}

func hasTouch(l *lead.Lead, key string) bool {
	for _, t := range l.Touches {
		if t.Key == key {
			return true
		}
	}
	return false
}

// accountOf returns the lead's account, nil when it has none.
func (s *Service) accountOf(ctx context.Context, l *lead.Lead) (*lead.Account, error) {
	if l.Domain == "" {
		return nil, nil
	}
	a, err := s.Store.GetAccount(ctx, l.Domain)
	if lead.IsCode(err, lead.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get account of lead %s: %w", l.ID, err)
	}
	return a, nil
}

// ownerOf is the rep a touch of the lead belongs to: the lead's owner, else
// its account's; "" when neither has one.
func ownerOf(l *lead.Lead, acct *lead.Account) string {
	if l.Owner != "" || acct == nil {
		return l.Owner
	}
	return acct.Owner
}

// taskAssignee is who gets a non-email touch: the owner, else the SDR
// queue.
func (s *Service) taskAssignee(l *lead.Lead, acct *lead.Account) string {
	if o := ownerOf(l, acct); o != "" {
		return o
	}
	if s.Rules.Nurture.TaskQueue != "" {
		return s.Rules.Nurture.TaskQueue
	}
	return DefaultTaskQueue
}

// mergeValues adds what the sender knows to the lead's merge values.
func (s *Service) mergeValues(l *lead.Lead, acct *lead.Account, acts []lead.Activity, now time.Time) map[string]string {
	v := nurture.MergeValues(l, acct, acts, now)
	sender := s.Rules.Nurture.SenderName
	if o := ownerOf(l, acct); o != "" && s.Rules.Router != nil {
		if rep, ok := s.Rules.Router.Rep(o); ok && rep.Name != "" {
			v["owner_name"], sender = rep.Name, rep.Name
		}
	}
	if sender != "" {
		v["sender_name"] = sender
	}
	if u := s.Rules.Nurture.UnsubscribeURL; u != "" {
		v["unsubscribe_url"] = strings.ReplaceAll(u, "{lead_id}", url.PathEscape(l.ID))
	}
	return v
}

func taskLabel(channel string) string {
	switch channel {
	case nurture.ChannelCall:
		return "Call"
	case nurture.ChannelLinkedInConnect:
		return "Connect on LinkedIn"
	case nurture.ChannelLinkedInMessage:
		return "Message on LinkedIn"
	}
	return "Task"
}

// taskBody tells the rep what the touch is and gives what they need for it.
func taskBody(c *nurture.Cadence, step *nurture.Step, l *lead.Lead, script string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Nurture %s, day %d: %s (%s)\n%s", c.Name, step.Day, taskLabel(step.Channel), step.Template, describe(l))
	if l.Title != "" {
		fmt.Fprintf(&b, ", %s", l.Title)
	}
	if step.Channel == nurture.ChannelCall && l.Phone != "" {
		fmt.Fprintf(&b, "\nPhone: %s", l.Phone)
	}
	if script != "" {
		fmt.Fprintf(&b, "\n\n%s", script)
	}
	return b.String()
}
