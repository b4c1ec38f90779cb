package nurture_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/nurture"
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func day(n float64) time.Time { return t0.Add(time.Duration(n * float64(nurture.Day))) }

func opened(_ *lead.Lead, _ *lead.Account, acts []lead.Activity, _ time.Time) (bool, error) {
	return slices.ContainsFunc(acts, func(a lead.Activity) bool {
		return a.Type == lead.ActivityEmailOpen || a.Type == lead.ActivityEmailClick
	}), nil
}

func notOpened(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) (bool, error) {
	ok, err := opened(l, a, acts, now)
	return !ok, err
}

func hasPhone(l *lead.Lead, _ *lead.Account, _ []lead.Activity, _ time.Time) (bool, error) {
	return l.Phone != "", nil
}

// qualification mirrors the shipped reference cadence of SPEC §7, with the
// shipped conditions written in Go.
func qualification() *nurture.Cadence {
	return &nurture.Cadence{Name: "qualification", Trigger: []lead.Stage{lead.StageMQL}, Steps: []nurture.Step{
		{ID: "intro", Day: 1, Channel: nurture.ChannelEmail},
		{ID: "connect", Day: 3, Channel: nurture.ChannelLinkedInConnect},
		{ID: "follow-up-engaged", Day: 5, Channel: nurture.ChannelEmail, Applies: opened},
		{ID: "follow-up-quiet", Day: 5, Channel: nurture.ChannelEmail, Applies: notOpened},
		{ID: "call", Day: 8, Channel: nurture.ChannelCall, Applies: hasPhone},
		{ID: "after-voicemail", Day: 11, Channel: nurture.ChannelEmail},
		{ID: "linkedin-message", Day: 14, Channel: nurture.ChannelLinkedInMessage},
		{ID: "breakup", Day: 18, Channel: nurture.ChannelEmail},
	}}
}

func general() *nurture.Cadence {
	return &nurture.Cadence{Name: "general", Trigger: []lead.Stage{lead.StageNew, lead.StageEngaged, lead.StageClosedLost}, RequiresConsent: true, Repeat: 14 * nurture.Day,
		Steps: []nurture.Step{{ID: "content", Day: 14, Channel: nurture.ChannelEmail}}}
}

func mql() *lead.Lead {
	return &lead.Lead{ID: "L1", Stage: lead.StageMQL, Consent: lead.ConsentUnknown, Phone: "+12125550100"}
}

func act(typ lead.ActivityType, at time.Time) lead.Activity {
	return lead.Activity{ID: string(typ) + at.Format(time.RFC3339), LeadID: "L1", Type: typ, OccurredAt: at}
}

func TestDecide(t *testing.T) {
	started := lead.NurtureState{Cadence: "qualification", Run: 1, Stage: lead.StageMQL, StartedAt: t0}
	at := func(next int) lead.NurtureState { s := started; s.Next = next; return s }
	with := func(f func(*lead.Lead)) *lead.Lead { l := mql(); f(l); return l }
	tests := []struct {
		name    string
		cadence *nurture.Cadence
		state   lead.NurtureState
		lead    *lead.Lead
		acts    []lead.Activity
		now     time.Time
		want    nurture.Decision
	}{
		{name: "waits for day 1", state: started, now: day(0.5),
			want: nurture.Decision{Action: nurture.Wait, At: day(1)}},
		{name: "day 1 email", state: started, now: day(1),
			want: nurture.Decision{Action: nurture.Touch, Step: 0, At: day(1), Next: 1, NextAt: day(3)}},
		{name: "day 3 linkedin connect", state: at(1), now: day(3),
			want: nurture.Decision{Action: nurture.Touch, Step: 1, At: day(3), Next: 2, NextAt: day(5)}},
		{name: "day 5 quiet lead gets the quiet follow-up", state: at(2), now: day(5),
			want: nurture.Decision{Action: nurture.Touch, Step: 3, At: day(5), Next: 4, NextAt: day(8)}},
		{name: "day 5 lead that clicked gets the engaged follow-up", state: at(2), now: day(5),
			acts: []lead.Activity{act(lead.ActivityEmailClick, day(4))},
			want: nurture.Decision{Action: nurture.Touch, Step: 2, At: day(5), Next: 4, NextAt: day(8)}},
		{name: "day 8 call", state: at(4), now: day(8),
			want: nurture.Decision{Action: nurture.Touch, Step: 4, At: day(8), Next: 5, NextAt: day(11)}},
		{name: "no phone: the call day is passed over", state: at(4), now: day(8), lead: with(func(l *lead.Lead) { l.Phone = "" }),
			want: nurture.Decision{Action: nurture.Wait, At: day(11), Next: 5}},
		{name: "no phone and day 11 due: the voicemail email follows at once", state: at(4), now: day(11), lead: with(func(l *lead.Lead) { l.Phone = "" }),
			want: nurture.Decision{Action: nurture.Touch, Step: 5, At: day(11), Next: 6, NextAt: day(14)}},
		{name: "a late timer takes the overdue step", state: at(5), now: day(12),
			want: nurture.Decision{Action: nurture.Touch, Step: 5, At: day(11), Next: 6, NextAt: day(14)}},
		{name: "day 18 breakup is the last touch", state: at(7), now: day(18),
			want: nurture.Decision{Action: nurture.Touch, Step: 7, At: day(18), Next: 8}},
		{name: "after the last step the cadence is complete", state: at(8), now: day(19),
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitCompleted, Next: 8}},
		{name: "reply since the start exits", state: at(3), now: day(6), acts: []lead.Activity{act(lead.ActivityEmailReply, day(5.5))},
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitReply, Next: 3}},
		{name: "a reply before the start does not", state: at(4), now: day(6), acts: []lead.Activity{act(lead.ActivityEmailReply, day(-30))},
			want: nurture.Decision{Action: nurture.Wait, At: day(8), Next: 4}},
		{name: "meeting booked exits", state: at(3), now: day(6), acts: []lead.Activity{act(lead.ActivityMeetingBooked, day(6))},
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitMeetingBooked, Next: 3}},
		{name: "unsubscribed consent exits", state: at(3), now: day(6), lead: with(func(l *lead.Lead) { l.Consent = lead.ConsentUnsubscribed }),
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitUnsubscribe, Next: 3}},
		{name: "an unsubscribe event exits whatever the consent field says", state: at(3), now: day(6), acts: []lead.Activity{act(lead.ActivityUnsubscribe, day(-90))},
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitUnsubscribe, Next: 3}},
		{name: "denied consent exits", state: at(3), now: day(6), lead: with(func(l *lead.Lead) { l.Consent = lead.ConsentDenied }),
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitSuppressed, Next: 3}},
		{name: "a hard bounce, even before the start, exits", state: at(3), now: day(6), acts: []lead.Activity{act(lead.ActivityEmailBounce, day(-10))},
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitBounce, Next: 3}},
		{name: "sql exits", state: at(3), now: day(6), lead: with(func(l *lead.Lead) { l.Stage = lead.StageSQL }),
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitSQL, Next: 3}},
		{name: "a later funnel stage exits as sql", state: at(3), now: day(6), lead: with(func(l *lead.Lead) { l.Stage = lead.StageOpportunity }),
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitSQL, Next: 3}},
		{name: "routed exits", state: at(3), now: day(6), lead: with(func(l *lead.Lead) { l.Owner = "rep-1" }),
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitRouted, Next: 3}},
		{name: "disqualified exits", state: at(3), now: day(6), lead: with(func(l *lead.Lead) { l.Stage = lead.StageDisqualified }),
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitDisqualified, Next: 3}},
		{name: "an exited cadence stays exited", now: day(6),
			state: lead.NurtureState{Cadence: "qualification", StartedAt: t0, Next: 3, ExitReason: nurture.ExitReply, ExitedAt: day(5.5)},
			want:  nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitReply, Next: 3}},

		{name: "general: day 14 email", cadence: general(), state: lead.NurtureState{StartedAt: t0}, now: day(14),
			lead: with(func(l *lead.Lead) { l.Stage, l.Consent = lead.StageNew, lead.ConsentGranted }),
			want: nurture.Decision{Action: nurture.Touch, Step: 0, At: day(14), Next: 1, NextAt: day(28)}},
		{name: "general: then every 14 days", cadence: general(), state: lead.NurtureState{StartedAt: t0, Next: 1}, now: day(20),
			lead: with(func(l *lead.Lead) { l.Stage, l.Consent = lead.StageNew, lead.ConsentGranted }),
			want: nurture.Decision{Action: nurture.Wait, At: day(28), Cycle: 1, Next: 0}},
		{name: "general: after an outage only the latest missed email goes", cadence: general(), state: lead.NurtureState{StartedAt: t0, Next: 1}, now: day(60),
			lead: with(func(l *lead.Lead) { l.Stage, l.Consent = lead.StageNew, lead.ConsentGranted }),
			want: nurture.Decision{Action: nurture.Touch, Step: 0, At: day(56), Cycle: 3, Next: 1, NextAt: day(70)}},
		{name: "general: consent not granted exits", cadence: general(), state: lead.NurtureState{StartedAt: t0}, now: day(14),
			lead: with(func(l *lead.Lead) { l.Stage = lead.StageNew }),
			want: nurture.Decision{Action: nurture.Exit, Reason: nurture.ExitSuppressed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, l := tc.cadence, tc.lead
			if c == nil {
				c = qualification()
			}
			if l == nil {
				l = mql()
			}
			got, err := nurture.Decide(nurture.Input{Cadence: c, State: tc.state, Lead: l, Activities: tc.acts, Now: tc.now})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideConditionError(t *testing.T) {
	c := qualification()
	c.Steps[0].Applies = func(*lead.Lead, *lead.Account, []lead.Activity, time.Time) (bool, error) {
		return false, errors.New("no such key: extras")
	}
	_, err := nurture.Decide(nurture.Input{Cadence: c, State: lead.NurtureState{StartedAt: t0}, Lead: mql(), Now: day(1)})
	if err == nil {
		t.Fatal("Decide with a failing condition: want an error")
	}
}

func TestStart(t *testing.T) {
	cadences := []*nurture.Cadence{qualification(), general()}
	running := func(c string, stage lead.Stage) *lead.NurtureState {
		return &lead.NurtureState{Cadence: c, Run: 1, Stage: stage, StartedAt: day(-10)}
	}
	exited := func(c string) *lead.NurtureState {
		s := running(c, lead.StageMQL)
		s.ExitReason, s.ExitedAt = nurture.ExitReply, day(-5)
		return s
	}
	mk := func(stage lead.Stage, consent lead.Consent) *lead.Lead {
		return &lead.Lead{ID: "L1", Stage: stage, Consent: consent}
	}
	now := day(0)
	tests := []struct {
		name  string
		state *lead.NurtureState
		lead  *lead.Lead
		acts  []lead.Activity
		tr    nurture.Trigger
		want  string
	}{
		{name: "mql starts qualification", lead: mk("mql", "unknown"), tr: nurture.Trigger{At: now}, want: "qualification"},
		{name: "consented new lead starts general", lead: mk("new", "granted"), tr: nurture.Trigger{At: now, FirstOnly: true}, want: "general"},
		{name: "new lead without consent starts nothing", lead: mk("new", "unknown"), tr: nurture.Trigger{At: now, FirstOnly: true}},
		{name: "unsubscribed mql starts nothing", lead: mk("mql", "unsubscribed"), tr: nurture.Trigger{At: now}},
		{name: "bounced mql starts nothing", lead: mk("mql", "unknown"), acts: []lead.Activity{act("email_bounce", day(-40))}, tr: nurture.Trigger{At: now}},
		{name: "sql starts nothing", lead: mk("sql", "granted"), tr: nurture.Trigger{At: now}},
		{name: "mql promotes a running general track", state: running("general", "engaged"), lead: mk("mql", "granted"), tr: nurture.Trigger{At: now}, want: "qualification"},
		{name: "falling back to engaged keeps qualification", state: running("qualification", "mql"), lead: mk("engaged", "granted"), tr: nurture.Trigger{At: now}},
		{name: "the running cadence is not started again", state: running("qualification", "mql"), lead: mk("mql", "granted"), tr: nurture.Trigger{At: now}},
		{name: "a redelivered trigger does not restart an exited cadence", state: exited("qualification"), lead: mk("mql", "granted"), tr: nurture.Trigger{At: day(-10)}},
		{name: "a new stage change restarts it", state: exited("qualification"), lead: mk("mql", "granted"), tr: nurture.Trigger{At: now}, want: "qualification"},
		{name: "enrichment starts only a never-nurtured lead", state: exited("general"), lead: mk("engaged", "granted"), tr: nurture.Trigger{At: now, FirstOnly: true}},
		{name: "closed_lost recycles to general", state: exited("qualification"), lead: mk("closed_lost", "granted"), tr: nurture.Trigger{At: now}, want: "general"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if c := nurture.Start(cadences, tc.state, tc.lead, tc.acts, tc.tr, now); c != nil {
				got = c.Name
			}
			if got != tc.want {
				t.Errorf("Start = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMergeValues(t *testing.T) {
	now := day(0)
	tests := []struct {
		name string
		lead *lead.Lead
		acct *lead.Account
		acts []lead.Activity
		want map[string]string
	}{
		{name: "profile fields",
			lead: &lead.Lead{FirstName: "Dana", LastName: "Reyes", Title: "VP Sales", Company: "Northwind", Industry: "software", Country: "US"},
			want: map[string]string{"first_name": "Dana", "last_name": "Reyes", "title": "VP Sales", "company": "Northwind", "industry": "software", "country": "US"}},
		{name: "the account fills what enrichment put there",
			lead: &lead.Lead{FirstName: " "}, acct: &lead.Account{Name: "Contoso", Industry: "fintech", Country: "GB"},
			want: map[string]string{"company": "Contoso", "industry": "fintech", "country": "GB"}},
		{name: "recent webinar by name",
			lead: &lead.Lead{},
			acts: []lead.Activity{act("page_view", day(-3)), {Type: lead.ActivityWebinarAttended, OccurredAt: day(-2), Properties: map[string]string{"title": "Speed-to-lead"}}},
			want: map[string]string{"recent_event": "the Speed-to-lead webinar"}},
		{name: "pricing visit",
			lead: &lead.Lead{},
			acts: []lead.Activity{{Type: lead.ActivityPageView, OccurredAt: day(-1), URL: "https://example.com/Pricing?plan=team"}},
			want: map[string]string{"recent_event": "your visit to our pricing page"}},
		{name: "events older than 30 days are not recent",
			lead: &lead.Lead{},
			acts: []lead.Activity{{Type: lead.ActivityContentDownload, OccurredAt: day(-31)}},
			want: map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, nurture.MergeValues(tc.lead, tc.acct, tc.acts, now)); diff != "" {
				t.Errorf("MergeValues (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFirstDue(t *testing.T) {
	if got := nurture.FirstDue(qualification(), t0); !got.Equal(day(1)) {
		t.Errorf("FirstDue(qualification) = %v, want %v", got, day(1))
	}
	if got := nurture.FirstDue(&nurture.Cadence{Name: "empty"}, t0); !got.IsZero() {
		t.Errorf("FirstDue(no steps) = %v, want zero", got)
	}
}
