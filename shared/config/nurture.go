package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring"
)

// Nurture channels, SPEC §7.
const (
	ChannelEmail           = "email"
	ChannelLinkedInConnect = "linkedin_connect"
	ChannelLinkedInMessage = "linkedin_message"
	ChannelCall            = "call"
	ChannelTask            = "task"
)

var channels = []string{ChannelEmail, ChannelLinkedInConnect, ChannelLinkedInMessage, ChannelCall, ChannelTask}

// MergeFields are the names a template may use as {{name}}: lead profile
// fields, enrichment fields and what the sender knows at send time.
var MergeFields = []string{"first_name", "last_name", "title", "company", "industry", "country", "recent_event", "owner_name", "sender_name", "unsubscribe_url"}

// Cadence is a nurture track. Its exits are fixed by SPEC §7 (reply,
// meeting booked, unsubscribe, hard bounce, sql or routed, disqualified)
// and are not configurable.
type Cadence struct {
	Name string
	// Trigger lists the stages that start the cadence.
	Trigger []lead.Stage
	// RequiresConsent limits the cadence to leads with granted consent.
	RequiresConsent bool
	// Repeat, when set, restarts the steps Repeat after the previous cycle
	// began (the general track: one email every 14 days).
	Repeat time.Duration
	Steps  []*Step
}

// Step is one touch. Several steps may share a day: the first whose When
// holds (and whose SkipIf does not) is taken, which is how a cadence adapts
// to behaviour.
type Step struct {
	ID       string
	Day      int // days after the cadence started
	Channel  string
	Template string
	Subject  string
	Body     string
	// Fallbacks fill merge fields the lead lacks.
	Fallbacks map[string]string
	When      *scoring.Expr // nil: always
	SkipIf    *scoring.Expr // nil: never skipped
}

var mergeRe = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// Render fills the subject and body merge fields from values, then from
// the step's fallbacks; a field with neither renders empty.
func (s *Step) Render(values map[string]string) (subject, body string) {
	fill := func(t string) string {
		return mergeRe.ReplaceAllStringFunc(t, func(m string) string {
			name := mergeRe.FindStringSubmatch(m)[1]
			if v := values[name]; v != "" {
				return v
			}
			return s.Fallbacks[name]
		})
	}
	return fill(s.Subject), fill(s.Body)
}

// Applies reports whether the step is taken for a lead now: When holds (or
// is absent) and SkipIf does not. Returns an error when a condition fails
// at run time.
func (s *Step) Applies(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) (bool, error) {
	if s.When != nil {
		ok, err := s.When.Eval(l, a, acts, now)
		if err != nil || !ok {
			return false, err
		}
	}
	if s.SkipIf != nil {
		skip, err := s.SkipIf.Eval(l, a, acts, now)
		return !skip && err == nil, err
	}
	return true, nil
}

func (b *builder) nurture() {
	names := map[string]bool{}
	for i, rc := range b.raw.Nurture.Cadences {
		p := fmt.Sprintf("nurture.cadences[%d]", i)
		c := &Cadence{Name: rc.Name, RequiresConsent: rc.RequiresConsent, Repeat: b.duration(p+".repeat", rc.Repeat)}
		switch {
		case rc.Name == "":
			b.ix.at(p+".name", "missing")
		case names[rc.Name]:
			b.ix.at(p+".name", "duplicate cadence name")
		}
		names[rc.Name] = true
		if len(rc.Trigger) == 0 {
			b.ix.at(p+".trigger", "missing: the stages that start the cadence")
		}
		for j, t := range rc.Trigger {
			st := lead.Stage(t)
			if !st.Valid() {
				b.ix.at(fmt.Sprintf("%s.trigger[%d]", p, j), "unknown stage %q", t)
			}
			c.Trigger = append(c.Trigger, st)
		}
		if len(rc.Steps) == 0 {
			b.ix.at(p+".steps", "a cadence needs at least one step")
		}
		ids, lastDay := map[string]bool{}, 0
		for j, rs := range rc.Steps {
			sp := fmt.Sprintf("%s.steps[%d]", p, j)
			if rs.ID != "" && ids[rs.ID] {
				b.ix.at(sp+".id", "duplicate step id")
			}
			ids[rs.ID] = true
			if rs.Day < lastDay {
				b.ix.at(sp+".day", "day %d comes before the previous step's day %d", rs.Day, lastDay)
			}
			lastDay = max(lastDay, rs.Day)
			if c.Repeat > 0 && time.Duration(rs.Day)*24*time.Hour > c.Repeat {
				b.ix.at(sp+".day", "day %d falls outside the %s repeat", rs.Day, c.Repeat)
			}
			c.Steps = append(c.Steps, b.step(sp, rs))
		}
		b.c.Nurture = append(b.c.Nurture, c)
	}
}

func (b *builder) step(p string, rs rawStep) *Step {
	s := &Step{ID: rs.ID, Day: rs.Day, Channel: rs.Channel, Template: rs.Template, Subject: rs.Subject, Body: rs.Body, Fallbacks: rs.Fallbacks}
	if s.ID == "" {
		s.ID = fmt.Sprintf("day%d-%s", rs.Day, rs.Channel)
	}
	if rs.Day < 0 {
		b.ix.at(p+".day", "must not be negative")
	}
	if !contains(channels, rs.Channel) {
		b.ix.at(p+".channel", "unknown channel %q (want one of %s)", rs.Channel, strings.Join(channels, ", "))
	}
	if rs.Template == "" {
		b.ix.at(p+".template", "missing")
	}
	if rs.Channel == ChannelEmail && (rs.Subject == "" || rs.Body == "") {
		b.ix.at(p, "an email step needs a subject and a body")
	}
	for _, f := range []struct{ key, text string }{{"subject", rs.Subject}, {"body", rs.Body}} {
		for _, m := range mergeRe.FindAllStringSubmatch(f.text, -1) {
			if !contains(MergeFields, m[1]) {
				b.ix.at(p+"."+f.key, "unknown merge field {{%s}} (want one of %s)", m[1], strings.Join(MergeFields, ", "))
			}
		}
	}
	for _, k := range sortedNames(rs.Fallbacks) {
		if !contains(MergeFields, k) {
			b.ix.at(p+".fallbacks."+k, "unknown merge field %q", k)
		}
	}
	s.When = b.condition(p+".when", rs.When)
	s.SkipIf = b.condition(p+".skip_if", rs.SkipIf)
	return s
}

// condition compiles an optional nurture condition.
func (b *builder) condition(p, src string) *scoring.Expr {
	if src == "" {
		return nil
	}
	if b.compile == nil {
		b.ix.at(p, "no rule compiler")
		return nil
	}
	x, errs := b.compile(src, scoring.ScopeLead)
	for _, e := range errs {
		b.ix.atExpr(p, e)
	}
	return x
}
