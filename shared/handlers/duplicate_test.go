package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/handlers"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
	"github.com/leadflow/leadflow/shared/wire"
)

// now is a Tuesday in New York working hours.
var now = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return now }

// counterIDs makes ids that sort in creation order.
type counterIDs struct {
	mu sync.Mutex
	n  int
}

func (c *counterIDs) NewID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return fmt.Sprintf("ID%08d", c.n)
}

// queueBus is the Publisher and Sender: it puts each envelope on the queue
// of every consumer events.Routes names, as the bus does, and counts what
// was published by detail type.
type queueBus struct {
	mu        sync.Mutex
	queue     []delivery
	published map[events.DetailType]int
}

type delivery struct {
	to  events.Consumer
	msg awsevents.SQSMessage
}

func (b *queueBus) Publish(_ context.Context, envs ...events.Envelope) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, env := range envs {
		b.published[env.DetailType]++
		for _, c := range events.ConsumersOf(env.DetailType) {
			b.put(c, env)
		}
	}
	return nil
}

func (b *queueBus) Send(_ context.Context, to events.Consumer, envs ...events.Envelope) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, env := range envs {
		b.put(to, env)
	}
	return nil
}

func (b *queueBus) put(c events.Consumer, env events.Envelope) {
	body, _ := json.Marshal(env)
	b.queue = append(b.queue, delivery{to: c, msg: awsevents.SQSMessage{MessageId: fmt.Sprintf("m%d", len(b.queue)), Body: string(body)}})
}

func (b *queueBus) pop() (delivery, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		return delivery{}, false
	}
	d := b.queue[0]
	b.queue = b.queue[1:]
	return d, true
}

// sent records notifications, emails and timers, deduplicated by key like
// the outbox and the timer services, and counts the calls.
type sent struct {
	mu      sync.Mutex
	calls   int
	keys    map[string]bool
	byKind  map[string]int // kind → delivered, for comparison across runs
	cancels map[string]bool
}

func newSent() *sent {
	return &sent{keys: map[string]bool{}, byKind: map[string]int{}, cancels: map[string]bool{}}
}

func (s *sent) record(kind, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if !s.keys[kind+"/"+key] {
		s.keys[kind+"/"+key] = true
		s.byKind[kind]++
	}
}

func (s *sent) Notify(_ context.Context, n pipeline.Notification) error {
	s.record("notice:"+n.Kind+":"+n.To, n.Key)
	return nil
}

type mails struct{ *sent }

func (m mails) Send(_ context.Context, e pipeline.Email) error {
	m.record("email", e.Key)
	return nil
}

type timers struct{ *sent }

func (t timers) Schedule(_ context.Context, tm pipeline.Timer) error {
	t.record("timer:"+tm.Kind, tm.Key)
	return nil
}

func (t timers) Cancel(_ context.Context, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cancels[key] = true
	return nil
}

// world is one pipeline over its own store, whose queue consumers each get
// every message `deliveries` times.
type world struct {
	t          *testing.T
	svc        *pipeline.Service
	set        *handlers.Set
	bus        *queueBus
	out        *sent
	deliveries int
	handled    map[events.Consumer]int
}

func newWorld(t *testing.T, deliveries int) *world {
	t.Helper()
	cfg, err := configfile.Default(celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{t: t, bus: &queueBus{published: map[events.DetailType]int{}}, out: newSent(), deliveries: deliveries, handled: map[events.Consumer]int{}}
	w.svc = &pipeline.Service{
		Rules: wire.Rules(cfg), Store: st, Publisher: w.bus, Sender: w.bus,
		Scheduler: timers{w.out}, Notifier: w.out, Mailer: mails{w.out},
		Clock: fixedClock{}, IDs: &counterIDs{},
	}
	w.set = wire.Handlers(w.svc, nil)
	return w
}

// drain delivers queued messages until none is left.
func (w *world) drain() {
	w.t.Helper()
	for {
		d, ok := w.bus.pop()
		if !ok {
			return
		}
		h, err := w.set.Consumer(d.to)
		if err != nil {
			continue // a consumer not wired here (crmsync)
		}
		for i := 0; i < w.deliveries; i++ {
			resp, err := h(context.Background(), awsevents.SQSEvent{Records: []awsevents.SQSMessage{d.msg}})
			if err != nil || len(resp.BatchItemFailures) > 0 {
				w.t.Fatalf("%s delivery %d of %s failed: %v %+v", d.to, i+1, d.msg.Body, err, resp)
			}
		}
		w.handled[d.to]++
	}
}

func (w *world) capture(form string, fields map[string]string) {
	w.t.Helper()
	if _, err := w.svc.Capture(context.Background(), pipeline.Submission{Form: form, Fields: fields}); err != nil {
		w.t.Fatalf("capture: %v", err)
	}
	w.drain()
}

func (w *world) events(evs ...pipeline.BehaviourEvent) {
	w.t.Helper()
	res, err := w.svc.RecordEvents(context.Background(), evs, "")
	if err != nil {
		w.t.Fatalf("record events: %v", err)
	}
	for _, r := range res {
		if r.Status != pipeline.StatusAccepted {
			w.t.Fatalf("event %d: %s %v", r.Index, r.Status, r.Error)
		}
	}
	w.drain()
}

func (w *world) outcome(email, outcome string) {
	w.t.Helper()
	if _, err := w.svc.RecordOutcome(context.Background(), pipeline.Outcome{Email: email, Outcome: outcome}); err != nil {
		w.t.Fatalf("outcome: %v", err)
	}
	w.drain()
}

// state is what a run leaves: every lead by email, without the ids a run
// generates, and the side effects counted.
type state struct {
	Leads     map[string]lead.Lead
	Published map[events.DetailType]int
	Sent      map[string]int
	Cancelled int
}

func (w *world) state() state {
	w.t.Helper()
	s := state{Leads: map[string]lead.Lead{}, Published: w.bus.published, Sent: w.out.byKind, Cancelled: len(w.out.cancels)}
	err := w.svc.Store.ScanLeads(context.Background(), func(l *lead.Lead) error {
		s.Leads[l.Email] = *l
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// script is the same inputs for every world: a demo request that reaches
// sql and an owner, a lead that behaviour takes to mql and nurture, a
// newsletter subscriber on the general track who unsubscribes, and CRM
// outcomes.
func script(w *world) {
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	w.capture("demo-request", map[string]string{
		"email": "dana@northwind-analytics.com", "first_name": "Dana", "title": "VP of Sales", "company": "Northwind Analytics",
		"employees": "500", "industry": "software", "country": "US", "state": "NY", "consent": "yes",
	})
	maya := "maya@contoso-cloud.com"
	w.capture("contact-us", map[string]string{
		"email": maya, "title": "Director of Marketing", "company": "Contoso Cloud", "employees": "200",
		"industry": "saas", "country": "US", "state": "CA", "consent": "yes",
	})
	w.events(
		pipeline.BehaviourEvent{Email: maya, Type: "page_view", URL: "https://contoso.example/pricing", OccurredAt: at(3 * time.Hour)},
		pipeline.BehaviourEvent{Email: maya, Type: "page_view", URL: "https://contoso.example/demo", OccurredAt: at(2 * time.Hour)},
		pipeline.BehaviourEvent{Email: maya, Type: "page_view", URL: "https://contoso.example/demo", OccurredAt: at(time.Hour)},
		pipeline.BehaviourEvent{Email: maya, Type: "email_open", OccurredAt: at(50 * time.Minute)},
		pipeline.BehaviourEvent{Email: maya, Type: "email_open", OccurredAt: at(40 * time.Minute)},
		pipeline.BehaviourEvent{Email: maya, Type: "email_open", OccurredAt: at(30 * time.Minute)},
	)
	w.capture("newsletter", map[string]string{"email": "quiet@litware-systems.com", "consent": "yes", "title": "Engineer"})
	w.events(pipeline.BehaviourEvent{Email: "quiet@litware-systems.com", Type: "unsubscribe"})
	w.events(pipeline.BehaviourEvent{Email: maya, Type: "email_click", OccurredAt: at(10 * time.Minute)})
	w.outcome("dana@northwind-analytics.com", pipeline.OutcomeSalesAccepted)
	w.outcome(maya, pipeline.OutcomeClosedLost)
}

func TestEveryConsumerToleratesDuplicateDelivery(t *testing.T) {
	once, twice := newWorld(t, 1), newWorld(t, 2)
	script(once)
	script(twice)
	a, b := once.state(), twice.state()
	opts := cmp.Options{
		// Ids are generated per run; duplicates may draw more of them.
		cmpopts.IgnoreFields(lead.Lead{}, "ID", "Version", "Pending"),
		cmpopts.IgnoreFields(lead.Touch{}, "Key"),
	}
	if diff := cmp.Diff(a, b, opts); diff != "" {
		t.Errorf("state after duplicate deliveries differs from single delivery (-once +twice):\n%s", diff)
	}
	// The script must reach every consumer, or the comparison proves
	// nothing about it.
	var consumers []string
	for _, r := range events.Routes {
		if _, err := once.set.Consumer(r.Consumer); err != nil {
			continue
		}
		consumers = append(consumers, string(r.Consumer))
		if once.handled[r.Consumer] == 0 {
			t.Errorf("consumer %s got no message", r.Consumer)
		}
	}
	sort.Strings(consumers)
	t.Logf("consumers exercised: %v; deliveries once %v; sent %v; published %v", consumers, once.handled, a.Sent, a.Published)
	for _, want := range []string{"notice:" + pipeline.NotifyOwnerAssigned, "timer:" + pipeline.TimerSLA} {
		found := false
		for k := range a.Sent {
			found = found || len(k) >= len(want) && k[:len(want)] == want
		}
		if !found {
			t.Errorf("the script sent no %s; sent %v", want, a.Sent)
		}
	}
	if stage := a.Leads["dana@northwind-analytics.com"].Stage; stage != lead.StageSAL {
		t.Errorf("demo request lead at %s, want sal", stage)
	}
	if twice.out.calls <= once.out.calls {
		t.Errorf("duplicates made %d side-effect calls, once %d: the duplicates did not run", twice.out.calls, once.out.calls)
	}
}
