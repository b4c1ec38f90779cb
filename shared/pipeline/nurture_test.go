package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/handlers"
	"github.com/leadflow/leadflow/shared/ids"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/nurture"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

var start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func day(n float64) time.Time { return start.Add(time.Duration(n * float64(nurture.Day))) }

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// fakeScheduler holds durable timers like Step Functions: keys are
// single-use, and it survives a restart of the service.
type fakeScheduler struct {
	mu      sync.Mutex
	pending map[string]pipeline.Timer
	used    map[string]bool
}

func (s *fakeScheduler) Schedule(_ context.Context, t pipeline.Timer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.used[t.Key] {
		s.used[t.Key], s.pending[t.Key] = true, t
	}
	return nil
}

func (s *fakeScheduler) Cancel(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, key)
	return nil
}

// due returns the earliest pending timer due at or before end.
func (s *fakeScheduler) due(end time.Time) (pipeline.Timer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next pipeline.Timer
	found := false
	for _, t := range s.pending {
		if !t.At.After(end) && (!found || t.At.Before(next.At)) {
			next, found = t, true
		}
	}
	return next, found
}

func (s *fakeScheduler) set(t pipeline.Timer, res pipeline.TimerResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[t.Key]; !ok {
		return // cancelled while it ran
	}
	if res.Done {
		delete(s.pending, t.Key)
		return
	}
	t.At = res.NextAt
	s.pending[t.Key] = t
}

func (s *fakeScheduler) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.pending {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sent is one email or task as the outside world saw it.
type sent struct {
	Key, LeadID, To, Channel, Subject, Body string
	At                                      time.Time
}

// fakeOutbox is the Mailer and the Notifier: it drops a key already sent,
// as the port contract says, and counts every attempt.
type fakeOutbox struct {
	mu       sync.Mutex
	sent     []sent
	attempts map[string]int
	// during, when set, runs inside the first send of a key: a test plays a
	// second delivery racing the first with it.
	during func()
}

func (o *fakeOutbox) record(s sent) {
	o.mu.Lock()
	o.attempts[s.Key]++
	first := o.attempts[s.Key] == 1
	if first {
		o.sent = append(o.sent, s)
	}
	during := o.during
	o.mu.Unlock()
	if first && during != nil {
		during()
	}
}

func (o *fakeOutbox) Send(_ context.Context, e pipeline.Email) error {
	o.record(sent{Key: e.Key, LeadID: e.LeadID, To: e.To, Channel: nurture.ChannelEmail, Subject: e.Subject, Body: e.Body, At: e.At})
	return nil
}

func (o *fakeOutbox) Notify(_ context.Context, n pipeline.Notification) error {
	o.record(sent{Key: n.Key, LeadID: n.LeadID, To: n.To, Channel: n.Kind, Subject: n.Subject, Body: n.Body, At: n.At})
	return nil
}

func (o *fakeOutbox) of(leadID string) []sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []sent
	for _, s := range o.sent {
		if s.LeadID == leadID {
			out = append(out, s)
		}
	}
	return out
}

// fakeBus is the Publisher and the Sender: it queues what the service
// publishes so the test delivers it to the nurture queue afterwards.
type fakeBus struct {
	mu     sync.Mutex
	queued []events.Envelope
	direct map[events.Consumer][]events.Envelope
}

func (b *fakeBus) Publish(_ context.Context, envs ...events.Envelope) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queued = append(b.queued, envs...)
	return nil
}

func (b *fakeBus) Send(_ context.Context, to events.Consumer, envs ...events.Envelope) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.direct[to] = append(b.direct[to], envs...)
	return nil
}

func (b *fakeBus) take() []events.Envelope {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.queued
	b.queued = nil
	return out
}

type harness struct {
	t      *testing.T
	path   string
	clock  *fakeClock
	sched  *fakeScheduler
	outbox *fakeOutbox
	bus    *fakeBus
	rules  pipeline.Rules
	store  *embedded.Store
	svc    *pipeline.Service
	set    *handlers.Set
	// touchEvents counts the lead.nurture_touch events published.
	touchEvents int
}

// nurtureRules converts the loaded config as the wiring does.
func nurtureRules(cfg *config.Config) pipeline.NurtureRules {
	cadences := make([]*nurture.Cadence, len(cfg.Nurture))
	for i, c := range cfg.Nurture {
		steps := make([]nurture.Step, len(c.Steps))
		for j, s := range c.Steps {
			steps[j] = nurture.Step{ID: s.ID, Day: s.Day, Channel: s.Channel, Template: s.Template, Applies: s.Applies, Render: s.Render}
		}
		cadences[i] = &nurture.Cadence{Name: c.Name, Trigger: c.Trigger, RequiresConsent: c.RequiresConsent, Repeat: c.Repeat, Steps: steps}
	}
	return pipeline.NurtureRules{Cadences: cadences, EnrichMaxAge: cfg.Enrichment.MaxAge}
}

var loadDefault = sync.OnceValues(func() (*config.Config, error) { return configfile.Default(celrules.Compile) })

func newHarness(t *testing.T) *harness {
	t.Helper()
	cfg, err := loadDefault()
	if err != nil {
		t.Fatalf("load shipped config: %v", err)
	}
	h := &harness{
		t:      t,
		path:   filepath.Join(t.TempDir(), "leadflow.db"),
		clock:  &fakeClock{now: start},
		sched:  &fakeScheduler{pending: map[string]pipeline.Timer{}, used: map[string]bool{}},
		outbox: &fakeOutbox{attempts: map[string]int{}},
		bus:    &fakeBus{direct: map[events.Consumer][]events.Envelope{}},
		rules:  pipeline.Rules{Version: cfg.Version, Scorer: cfg.Scoring, Router: cfg.Routing, Nurture: nurtureRules(cfg)},
	}
	h.open()
	t.Cleanup(func() { _ = h.store.Close() })
	return h
}

// open builds a new service instance over the store file.
func (h *harness) open() {
	h.t.Helper()
	st, err := embedded.Open(h.path, embedded.WithClock(h.clock))
	if err != nil {
		h.t.Fatal(err)
	}
	h.store = st
	h.svc = &pipeline.Service{Rules: h.rules, Store: st, Publisher: h.bus, Sender: h.bus, Scheduler: h.sched,
		Notifier: h.outbox, Mailer: h.outbox, Clock: h.clock, IDs: ids.Generator{Clock: h.clock}}
	h.set = &handlers.Set{Service: h.svc}
}

// restart closes the store and opens a new service instance over it; the
// timers, like Step Functions executions, live on.
func (h *harness) restart() {
	h.t.Helper()
	if err := h.store.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

func (h *harness) addLead(l *lead.Lead) *lead.Lead {
	h.t.Helper()
	if l.Email == "" {
		l.Email = strings.ToLower(l.ID) + "@example.org"
	}
	l.CreatedAt, l.UpdatedAt, l.LastActivityAt = start, start, start
	if l.Enrichment.Status == "" {
		l.Enrichment = lead.Enrichment{Status: lead.EnrichmentOK, At: start}
	}
	if err := h.store.CreateLead(context.Background(), l); err != nil {
		h.t.Fatal(err)
	}
	return l
}

// publish puts an event on the fake bus as another service would.
func (h *harness) publish(d events.Detail) {
	h.t.Helper()
	env, err := events.Wrap(fmt.Sprintf("ev-%d", h.clock.Now().UnixNano()), d)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.bus.Publish(context.Background(), env); err != nil {
		h.t.Fatal(err)
	}
}

// deliver feeds everything published to the nurture queue's handler, as
// SQS records, until nothing is left.
func (h *harness) deliver() {
	h.t.Helper()
	handle, err := h.set.Consumer(events.ConsumerNurture)
	if err != nil {
		h.t.Fatal(err)
	}
	for envs := h.bus.take(); len(envs) > 0; envs = h.bus.take() {
		var batch awsevents.SQSEvent
		for i, env := range envs {
			if env.DetailType == events.LeadNurtureTouch {
				h.touchEvents++
			}
			if !slices.Contains(events.ConsumersOf(env.DetailType), events.ConsumerNurture) {
				continue
			}
			body, err := json.Marshal(env)
			if err != nil {
				h.t.Fatal(err)
			}
			batch.Records = append(batch.Records, awsevents.SQSMessage{MessageId: fmt.Sprint(i), Body: string(body)})
		}
		resp, err := handle(context.Background(), batch)
		if err != nil || len(resp.BatchItemFailures) > 0 {
			h.t.Fatalf("nurture consumer: %v, failed records %v", err, resp.BatchItemFailures)
		}
	}
}

// runUntil plays the timers like the nurture state machine (Wait until At,
// call the touch task, loop on NextAt) up to end, then leaves the clock at
// end.
func (h *harness) runUntil(end time.Time) {
	h.t.Helper()
	task := h.set.Timers()[pipeline.TimerNurture]
	for {
		t, ok := h.sched.due(end)
		if !ok {
			break
		}
		if t.At.After(h.clock.Now()) {
			h.clock.Set(t.At)
		}
		res, err := task(context.Background(), t)
		if err != nil {
			h.t.Fatalf("nurture touch at %s: %v", t.At, err)
		}
		h.sched.set(t, res)
		h.deliver()
	}
	h.clock.Set(end)
}

// event records a behaviour event at the current clock and delivers what
// it publishes.
func (h *harness) event(leadID string, typ lead.ActivityType) {
	h.t.Helper()
	res, err := h.svc.RecordEvents(context.Background(), []pipeline.BehaviourEvent{{LeadID: leadID, Type: string(typ)}}, "")
	if err != nil || res[0].Status != pipeline.StatusAccepted {
		h.t.Fatalf("record %s: %v %+v", typ, err, res)
	}
	h.deliver()
}

func (h *harness) lead(id string) *lead.Lead {
	h.t.Helper()
	l, err := h.store.GetLead(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// touch is what a test expects of one touch.
type touch struct {
	Day     float64
	Channel string
	To      string
	Step    string
}

// touches returns what the outside world got for a lead, in order.
func (h *harness) touches(leadID string) []touch {
	var out []touch
	for _, s := range h.outbox.of(leadID) {
		step := s.Key[strings.LastIndex(s.Key, ":")+1:]
		out = append(out, touch{Day: s.At.Sub(start).Hours() / 24, Channel: s.Channel, To: s.To, Step: step})
	}
	return out
}

func mqlLead(id string) *lead.Lead {
	return &lead.Lead{ID: id, FirstName: "Dana", Phone: "+12125550100", Stage: lead.StageMQL, Consent: lead.ConsentUnknown}
}

func (h *harness) becameMQL(leadID string) {
	h.publish(&events.StageChanged{Header: events.Header{LeadID: leadID, OccurredAt: h.clock.Now(), Version: events.Version}, From: lead.StageEngaged, To: lead.StageMQL, Cause: "score"})
	h.deliver()
}

// reference is the shipped qualification cadence for a silent lead with a
// phone and no owner: seven touches over 18 days.
func reference(to string) []touch {
	return []touch{
		{1, "email", "dana@example.org", "intro.0"},
		{3, "task", to, "connect.0"},
		{5, "email", "dana@example.org", "follow-up-quiet.0"},
		{8, "task", to, "call.0"},
		{11, "email", "dana@example.org", "after-voicemail.0"},
		{14, "task", to, "linkedin-message.0"},
		{18, "email", "dana@example.org", "breakup.0"},
	}
}

func TestNurtureSilentMQLGetsTheReferenceCadence(t *testing.T) {
	h := newHarness(t)
	l := mqlLead("dana")
	l.Enrichment = lead.Enrichment{Status: lead.EnrichmentOK, At: start.Add(-120 * nurture.Day)}
	h.addLead(l)
	h.becameMQL("dana")
	h.becameMQL("dana") // a second stage change at the same instant: no second run
	if got := h.sched.keys(); len(got) != 1 {
		t.Fatalf("timers after start = %v, want one", got)
	}
	if n := len(h.bus.direct[events.ConsumerEnrich]); n != 1 {
		t.Errorf("re-enrichment requests for data 120 days old = %d, want 1", n)
	}
	h.runUntil(day(40))

	if diff := cmp.Diff(reference(pipeline.DefaultTaskQueue), h.touches("dana")); diff != "" {
		t.Errorf("touches (-want +got):\n%s", diff)
	}
	got := h.lead("dana")
	if got.Nurture.ExitReason != nurture.ExitCompleted || len(got.Touches) != 7 || h.touchEvents != 7 {
		t.Errorf("after the cadence: exit %q, %d touches on the lead, %d nurture_touch events; want completed, 7, 7", got.Nurture.ExitReason, len(got.Touches), h.touchEvents)
	}
	if keys := h.sched.keys(); len(keys) != 0 {
		t.Errorf("timers left: %v", keys)
	}
	for _, s := range h.outbox.of("dana") {
		if strings.Contains(s.Subject+s.Body, "{{") {
			t.Errorf("%s has an unfilled merge field:\n%s\n%s", s.Key, s.Subject, s.Body)
		}
	}
	intro := h.outbox.of("dana")[0]
	if intro.Subject != "your team and speed-to-lead" || !strings.Contains(intro.Body, "Hi Dana,") || !strings.Contains(intro.Body, "Teams in B2B usually") {
		t.Errorf("intro without company or industry should use the fallbacks, got %q\n%s", intro.Subject, intro.Body)
	}
	call := h.outbox.of("dana")[3]
	if !strings.Contains(call.Body, "Phone: +12125550100") || call.Subject != "Call: Dana" {
		t.Errorf("call task = %q\n%s", call.Subject, call.Body)
	}
}

func TestNurtureClickAfterTouchTwoAdaptsThePath(t *testing.T) {
	h := newHarness(t)
	l := mqlLead("dana")
	l.Company, l.Industry, l.Domain = "Northwind", "software", "northwind.example"
	h.addLead(l)
	if err := h.store.PutAccount(context.Background(), &lead.Account{Domain: "northwind.example", Name: "Northwind", Owner: "ava.brooks"}); err != nil {
		t.Fatal(err)
	}
	h.becameMQL("dana")
	h.runUntil(day(4))
	h.event("dana", lead.ActivityEmailClick)
	h.runUntil(day(40))

	want := reference("ava.brooks")
	want[2].Step = "follow-up-engaged.0"
	if diff := cmp.Diff(want, h.touches("dana")); diff != "" {
		t.Errorf("touches (-want +got):\n%s", diff)
	}
	sent := h.outbox.of("dana")
	if sent[0].Subject != "Northwind and speed-to-lead" || !strings.Contains(sent[0].Body, "Ava Brooks") {
		t.Errorf("intro should name the company and be signed by the account owner:\n%s\n%s", sent[0].Subject, sent[0].Body)
	}
}

func TestNurtureExitsAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		at     float64
		event  lead.ActivityType
		reason string
		want   int // touches sent before the exit
	}{
		{name: "reply on day 6", at: 6, event: lead.ActivityEmailReply, reason: nurture.ExitReply, want: 3},
		{name: "unsubscribe on day 3.5", at: 3.5, event: lead.ActivityUnsubscribe, reason: nurture.ExitUnsubscribe, want: 2},
		{name: "meeting booked on day 12", at: 12, event: lead.ActivityMeetingBooked, reason: nurture.ExitMeetingBooked, want: 5},
		{name: "hard bounce on day 2", at: 2, event: lead.ActivityEmailBounce, reason: nurture.ExitBounce, want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.addLead(mqlLead("dana"))
			h.becameMQL("dana")
			h.runUntil(day(tc.at))
			h.event("dana", tc.event)
			if keys := h.sched.keys(); len(keys) != 0 {
				t.Errorf("timers after the exit: %v, want none", keys)
			}
			h.runUntil(day(40))
			if diff := cmp.Diff(reference(pipeline.DefaultTaskQueue)[:tc.want], h.touches("dana")); diff != "" {
				t.Errorf("touches (-want +got):\n%s", diff)
			}
			if got := h.lead("dana").Nurture; got.ExitReason != tc.reason || !got.ExitedAt.Equal(day(tc.at)) {
				t.Errorf("exit = %q at %s, want %q at day %g", got.ExitReason, got.ExitedAt, tc.reason, tc.at)
			}
		})
	}
}

func TestNurtureStageChangeToSQLExits(t *testing.T) {
	h := newHarness(t)
	h.addLead(mqlLead("dana"))
	h.becameMQL("dana")
	h.runUntil(day(4))
	if _, err := h.svc.Disqualify(context.Background(), "dana", "competitor"); err != nil {
		t.Fatal(err)
	}
	h.deliver()
	h.runUntil(day(40))
	if got := len(h.touches("dana")); got != 2 {
		t.Errorf("touches = %d, want the 2 before disqualification", got)
	}
	if got := h.lead("dana").Nurture.ExitReason; got != nurture.ExitDisqualified {
		t.Errorf("exit = %q, want %q", got, nurture.ExitDisqualified)
	}
}

func TestNurtureResumesAfterRestartWithoutDuplicates(t *testing.T) {
	h := newHarness(t)
	h.addLead(mqlLead("dana"))
	h.becameMQL("dana")
	h.runUntil(day(9))
	if got := len(h.touches("dana")); got != 4 {
		t.Fatalf("touches by day 9 = %d, want 4", got)
	}
	key := h.sched.keys()
	h.restart()
	// The day-8 call is delivered again (at-least-once) to the new instance.
	res, err := h.svc.NurtureTouch(context.Background(), pipeline.Timer{Key: key[0], Kind: pipeline.TimerNurture, LeadID: "dana", At: day(8)})
	if err != nil || !res.NextAt.Equal(day(11)) {
		t.Fatalf("redelivered day-8 touch = %+v, %v; want next at day 11", res, err)
	}
	if got := h.sched.keys(); !cmp.Equal(got, key) {
		t.Fatalf("timers after restart = %v, want %v", got, key)
	}
	h.runUntil(day(40))
	if diff := cmp.Diff(reference(pipeline.DefaultTaskQueue), h.touches("dana")); diff != "" {
		t.Errorf("touches (-want +got):\n%s", diff)
	}
	for key, n := range h.outbox.attempts {
		if n != 1 {
			t.Errorf("%s was sent %d times", key, n)
		}
	}
}

func TestNurtureGeneralTrackEvery14DaysOnlyWithConsent(t *testing.T) {
	h := newHarness(t)
	h.addLead(&lead.Lead{ID: "opted-in", Email: "dana@example.org", Stage: lead.StageNew, Consent: lead.ConsentGranted})
	h.addLead(&lead.Lead{ID: "unknown", Stage: lead.StageNew, Consent: lead.ConsentUnknown})
	h.addLead(&lead.Lead{ID: "denied", Stage: lead.StageEngaged, Consent: lead.ConsentDenied})
	for _, id := range []string{"opted-in", "unknown", "denied"} {
		h.publish(&events.Enriched{Header: events.Header{LeadID: id, OccurredAt: start, Version: events.Version}, Status: lead.EnrichmentOK, Trigger: pipeline.TriggerNew})
	}
	h.deliver()
	h.runUntil(day(60))

	want := []touch{
		{14, "email", "dana@example.org", "content.0"},
		{28, "email", "dana@example.org", "content.1"},
		{42, "email", "dana@example.org", "content.2"},
		{56, "email", "dana@example.org", "content.3"},
	}
	if diff := cmp.Diff(want, h.touches("opted-in")); diff != "" {
		t.Errorf("general track (-want +got):\n%s", diff)
	}
	for _, id := range []string{"unknown", "denied"} {
		if got := h.touches(id); len(got) != 0 || h.lead(id).Nurture != nil {
			t.Errorf("%s: touches %v, nurture %+v; want nothing", id, got, h.lead(id).Nurture)
		}
	}
	if got := h.outbox.of("opted-in")[0].Body; strings.Contains(got, "{{") || !strings.Contains(got, "for your team:") {
		t.Errorf("general email without company:\n%s", got)
	}
}

func TestNurtureMQLReplacesTheGeneralTrack(t *testing.T) {
	h := newHarness(t)
	h.addLead(&lead.Lead{ID: "dana", FirstName: "Dana", Stage: lead.StageEngaged, Consent: lead.ConsentGranted})
	h.publish(&events.Enriched{Header: events.Header{LeadID: "dana", OccurredAt: start, Version: events.Version}, Status: lead.EnrichmentOK})
	h.deliver()
	h.runUntil(day(20))
	general := h.sched.keys()
	if _, err := h.svc.RecordOutcome(context.Background(), pipeline.Outcome{LeadID: "dana", Outcome: pipeline.OutcomeClosedLost}); err != nil {
		t.Fatal(err)
	}
	h.deliver() // closed_lost starts nothing new: the general track already runs
	l := h.lead("dana")
	l.Stage = lead.StageMQL
	if err := h.store.UpdateLead(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	h.becameMQL("dana")
	if got := h.sched.keys(); len(got) != 1 || len(general) != 1 || got[0] == general[0] {
		t.Fatalf("timers after mql = %v (general track's %v), want only the qualification run's", got, general)
	}
	h.runUntil(day(21.5))
	got := h.touches("dana")
	want := []touch{{14, "email", "dana@example.org", "content.0"}, {21, "email", "dana@example.org", "intro.0"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("touches (-want +got):\n%s", diff)
	}
	if st := h.lead("dana").Nurture; st.Cadence != "qualification" || st.Run != 2 || !st.Running() {
		t.Errorf("nurture = %+v, want qualification run 2 under way", st)
	}
}

func TestNurtureRacingDeliveriesRecordOneTouch(t *testing.T) {
	h := newHarness(t)
	h.addLead(mqlLead("dana"))
	h.becameMQL("dana")
	timer := pipeline.Timer{Key: h.sched.keys()[0], Kind: pipeline.TimerNurture, LeadID: "dana", At: day(1)}
	h.clock.Set(day(1))
	var inner pipeline.TimerResult
	h.outbox.during = func() {
		h.outbox.during = nil
		var err error
		if inner, err = h.svc.NurtureTouch(context.Background(), timer); err != nil {
			t.Errorf("racing delivery: %v", err)
		}
	}
	outer, err := h.svc.NurtureTouch(context.Background(), timer)
	if err != nil {
		t.Fatal(err)
	}
	h.deliver()
	want := pipeline.TimerResult{NextAt: day(3)}
	if inner != want || outer != want {
		t.Errorf("results = %+v and %+v, want %+v twice", inner, outer, want)
	}
	l := h.lead("dana")
	if len(l.Touches) != 1 || l.Nurture.Next != 1 || h.touchEvents != 1 || len(h.touches("dana")) != 1 {
		t.Errorf("after two racing deliveries: %d touches recorded, next step %d, %d events, %d sent; want 1, 1, 1, 1",
			len(l.Touches), l.Nurture.Next, h.touchEvents, len(h.touches("dana")))
	}
}
