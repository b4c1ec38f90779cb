// Package nurture decides a lead's nurture: which cadence starts, and what
// the next touch is and when. Every decision is a pure function of the
// cadence, the lead's nurture state, the lead, its activities and the clock:
// no I/O, so the pipeline's nurture service only applies what it decides
// and the rules can be table-tested.
package nurture

import (
	"fmt"
	"slices"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// Channels of a step, SPEC §7. Email steps are sent to the lead; the others
// become tasks for the owner or the SDR queue.
const (
	ChannelEmail           = "email"
	ChannelLinkedInConnect = "linkedin_connect"
	ChannelLinkedInMessage = "linkedin_message"
	ChannelCall            = "call"
	ChannelTask            = "task"
)

// Exit reasons. The first eight are SPEC §7's fixed exits; Completed ends a
// cadence whose last step was taken, Replaced a cadence another one took
// over from, CadenceRemoved one the config no longer has.
const (
	ExitReply          = "email_reply"
	ExitMeetingBooked  = "meeting_booked"
	ExitUnsubscribe    = "unsubscribe"
	ExitSuppressed     = "consent_suppressed" // consent denied, or not granted for a consent-only cadence
	ExitBounce         = "email_bounce"       // a hard bounce: email_bounce events are hard bounces
	ExitSQL            = "sql"                // reached sql or a later funnel stage
	ExitRouted         = "routed"
	ExitDisqualified   = "disqualified"
	ExitCompleted      = "completed"
	ExitReplaced       = "replaced"
	ExitCadenceRemoved = "cadence_removed"
)

// Day is the unit of a step's day offset.
const Day = 24 * time.Hour

// Condition decides whether a step is taken for a lead now
// (config.Step.Applies). It returns an error when it cannot be evaluated.
type Condition func(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) (bool, error)

// Renderer fills a step's subject and body from merge values, falling back
// to the step's fallback texts (config.Step.Render).
type Renderer func(values map[string]string) (subject, body string)

// Step is one touch of a cadence.
type Step struct {
	ID string
	// Day is the offset in days from the start of the cadence (of the
	// current cycle for a repeating cadence): the step is due at
	// start + Day×24h.
	Day      int
	Channel  string
	Template string
	// Applies adapts the path to behaviour; nil means always taken. Steps
	// sharing a day are alternatives: the first that applies is taken and
	// the others are passed over.
	Applies Condition
	// Render fills the step's text; nil means the step has none.
	Render Renderer
}

// Cadence is a nurture track. Its steps are in day order.
type Cadence struct {
	Name string
	// Trigger lists the stages that start the cadence.
	Trigger []lead.Stage
	// RequiresConsent limits the cadence to leads with granted consent.
	RequiresConsent bool
	// Repeat, when positive, starts the steps again Repeat after the
	// previous cycle began.
	Repeat time.Duration
	Steps  []Step
}

// Action is what a decision tells the service to do.
type Action int

// Actions.
const (
	// Wait: nothing is due; decide again at Decision.At.
	Wait Action = iota
	// Touch: take Decision.Step now.
	Touch
	// Exit: end the cadence for Decision.Reason.
	Exit
)

// String names the action (wait, touch, exit) for logs and test diffs.
func (a Action) String() string {
	switch a {
	case Wait:
		return "wait"
	case Touch:
		return "touch"
	case Exit:
		return "exit"
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// Input is everything a decision reads.
type Input struct {
	Cadence    *Cadence
	State      lead.NurtureState
	Lead       *lead.Lead
	Account    *lead.Account // nil when the lead has no account
	Activities []lead.Activity
	Now        time.Time
}

// Decision is the next thing to do in a cadence.
type Decision struct {
	Action Action
	// Reason says why the cadence exits (Exit only).
	Reason string
	// Step is the index in Cadence.Steps of the step to take (Touch only).
	Step int
	// At is when the touch fell due (Touch), or when to decide again (Wait).
	At time.Time
	// Cycle and Next are where the cadence stands once the decision is
	// applied: steps whose day came without their condition holding are
	// passed over, and a touch moves past its day's alternatives. The
	// service stores them in the lead's NurtureState.
	Cycle int
	Next  int
	// NextAt is when the step after this touch falls due; zero when this
	// touch is the cadence's last (Touch only).
	NextAt time.Time
}

// Decide returns the next thing to do in the cadence: Exit at once when an
// exit condition holds (or the cadence is done), Touch for a step that is
// due now, or Wait until the next step falls due. Returns an error, naming
// the step, when a step's condition cannot be evaluated.
func Decide(in Input) (Decision, error) {
	c, st := in.Cadence, in.State
	if !st.ExitedAt.IsZero() {
		return Decision{Action: Exit, Reason: st.ExitReason, Cycle: st.Cycle, Next: st.Next}, nil
	}
	if r := ExitReason(c, st, in.Lead, in.Activities); r != "" {
		return Decision{Action: Exit, Reason: r, Cycle: st.Cycle, Next: st.Next}, nil
	}
	cycle, next := st.Cycle, st.Next
	for {
		var ok bool
		if cycle, next, ok = normalize(c, st.StartedAt, cycle, next, in.Now); !ok {
			return Decision{Action: Exit, Reason: ExitCompleted, Cycle: cycle, Next: next}, nil
		}
		due := dueAt(c, st.StartedAt, cycle, next)
		if due.After(in.Now) {
			return Decision{Action: Wait, At: due, Cycle: cycle, Next: next}, nil
		}
		end := groupEnd(c, next)
		for i := next; i < end; i++ {
			s := &c.Steps[i]
			taken := true
			if s.Applies != nil {
				var err error
				if taken, err = s.Applies(in.Lead, in.Account, in.Activities, in.Now); err != nil {
					return Decision{}, fmt.Errorf("cadence %s step %s: condition: %w", c.Name, s.ID, err)
				}
			}
			if taken {
				d := Decision{Action: Touch, Step: i, At: due, Cycle: cycle, Next: end}
				if nc, nn, more := normalize(c, st.StartedAt, cycle, end, time.Time{}); more {
					d.NextAt = dueAt(c, st.StartedAt, nc, nn)
				}
				return d, nil
			}
		}
		next = end // no alternative of this day applies: pass the day over
	}
}

// normalize moves a position past the end of the steps to the next cycle of
// a repeating cadence and reports false when a one-off cadence has no step
// left. When whole cycles went by unplayed (the service was down for
// weeks), it moves to the cycle before the one under way at now: the latest
// missed touches still go out, an older backlog is dropped rather than sent
// in a burst. A zero now never skips.
func normalize(c *Cadence, start time.Time, cycle, next int, now time.Time) (int, int, bool) {
	if next < len(c.Steps) {
		return cycle, next, true
	}
	if c.Repeat <= 0 {
		return cycle, next, false
	}
	cycle++
	if !now.IsZero() {
		if latest := int(now.Sub(start)/c.Repeat) - 1; latest > cycle {
			cycle = latest
		}
	}
	return cycle, 0, true
}

// groupEnd returns the index after the steps sharing step i's day.
func groupEnd(c *Cadence, i int) int {
	end := i + 1
	for end < len(c.Steps) && c.Steps[end].Day == c.Steps[i].Day {
		end++
	}
	return end
}

// dueAt is when step i of the given cycle falls due.
func dueAt(c *Cadence, start time.Time, cycle, i int) time.Time {
	return start.Add(time.Duration(cycle)*c.Repeat + time.Duration(c.Steps[i].Day)*Day)
}

// FirstDue is when the first step of a cadence started at start falls due.
// Returns the zero time for a cadence without steps.
func FirstDue(c *Cadence, start time.Time) time.Time {
	if len(c.Steps) == 0 {
		return time.Time{}
	}
	return dueAt(c, start, 0, 0)
}

// ExitReason returns why the lead must leave the cadence now, or "" when it
// stays. Suppressed consent, an unsubscribe or a hard bounce end it whenever
// they happened (the address is unusable or outreach is forbidden); a reply
// or a booked meeting end it when they happened since the cadence started;
// sql (or a later funnel stage), routing and disqualification end it.
func ExitReason(c *Cadence, st lead.NurtureState, l *lead.Lead, acts []lead.Activity) string {
	switch {
	case l.Consent == lead.ConsentUnsubscribed:
		return ExitUnsubscribe
	case l.Suppressed(), c.RequiresConsent && l.Consent != lead.ConsentGranted:
		return ExitSuppressed
	}
	since := func(t lead.ActivityType) bool {
		return slices.ContainsFunc(acts, func(a lead.Activity) bool {
			return a.Type == t && !a.OccurredAt.Before(st.StartedAt)
		})
	}
	ever := func(t lead.ActivityType) bool {
		return slices.ContainsFunc(acts, func(a lead.Activity) bool { return a.Type == t })
	}
	switch {
	case ever(lead.ActivityUnsubscribe):
		return ExitUnsubscribe
	case ever(lead.ActivityEmailBounce):
		return ExitBounce
	case since(lead.ActivityEmailReply):
		return ExitReply
	case since(lead.ActivityMeetingBooked):
		return ExitMeetingBooked
	case l.Stage == lead.StageDisqualified:
		return ExitDisqualified
	case l.Stage.Rank() >= lead.StageSQL.Rank():
		return ExitSQL
	case l.Routed():
		return ExitRouted
	}
	return ""
}

// ExitActivity reports whether an activity of type t can end a cadence, so
// the service looks at the lead only for those.
func ExitActivity(t lead.ActivityType) bool {
	switch t {
	case lead.ActivityEmailReply, lead.ActivityMeetingBooked, lead.ActivityUnsubscribe, lead.ActivityEmailBounce:
		return true
	}
	return false
}

// Trigger is an event that may start a cadence.
type Trigger struct {
	// At is when the event happened. A lead whose cadence started at or
	// after At was already handled for it (a redelivery starts nothing).
	At time.Time
	// FirstOnly limits the start to a lead that was never nurtured
	// (enrichment and capture); stage changes also restart and promote.
	FirstOnly bool
}

// Start returns the cadence to start for the lead now, or nil. The cadence
// is the first whose trigger holds the lead's stage and that the lead would
// not leave at once (no exit condition holds). A running cadence is replaced
// only by another one started by a stage higher in the funnel (general →
// qualification on mql); a lead that falls back a stage keeps its cadence.
func Start(cadences []*Cadence, st *lead.NurtureState, l *lead.Lead, acts []lead.Activity, tr Trigger, now time.Time) *Cadence {
	if st != nil {
		// A redelivered trigger never restarts a cadence that has ended; one
		// at the very instant a running cadence started (a frozen clock) may
		// still promote it.
		stale := !st.StartedAt.Before(tr.At)
		if st.Running() {
			stale = st.StartedAt.After(tr.At)
		}
		if tr.FirstOnly || stale {
			return nil
		}
	}
	for _, c := range cadences {
		if !slices.Contains(c.Trigger, l.Stage) || len(c.Steps) == 0 {
			continue
		}
		if ExitReason(c, lead.NurtureState{StartedAt: now}, l, acts) != "" {
			continue
		}
		if st.Running() && (st.Cadence == c.Name || l.Stage.Rank() <= st.Stage.Rank()) {
			return nil
		}
		return c
	}
	return nil
}
