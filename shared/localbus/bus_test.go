package localbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// fast keeps retries short so the tests run in milliseconds.
var fast = Options{BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}

func openBus(t *testing.T, path string, opts Options) *Bus {
	t.Helper()
	b, err := Open(path, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// run runs b until the test ends (or stop is called) and reports Run's error.
func run(t *testing.T, b *Bus) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func waitIdle(t *testing.T, b *Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatalf("wait idle: %v; stats %+v", err, b.Stats())
	}
}

func envelope(id string, dt events.DetailType, leadID string) events.Envelope {
	detail := fmt.Sprintf(`{"lead_id":%q,"occurred_at":"2026-01-02T03:04:05Z","version":1}`, leadID)
	return events.Envelope{Version: "0", ID: id, DetailType: dt, Source: events.Source, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Resources: []string{}, Detail: json.RawMessage(detail)}
}

func publish(t *testing.T, b *Bus, envs ...events.Envelope) {
	t.Helper()
	if err := b.Publish(context.Background(), envs...); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

// recorder is a handler that records every record it receives and fails
// those its fail function picks.
type recorder struct {
	mu       sync.Mutex
	received map[string][]string // event id → consumers, one entry per receive
	receives map[string][]string // event id → ApproximateReceiveCount of each receive
	records  []awsevents.SQSMessage
	fail     func(env events.Envelope, receives string) bool
}

func newRecorder() *recorder {
	return &recorder{received: map[string][]string{}, receives: map[string][]string{}}
}

func (r *recorder) handler(c events.Consumer) Handler {
	return func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
		var resp awsevents.SQSEventResponse
		for _, rec := range ev.Records {
			env, _, err := events.ParseEnvelope([]byte(rec.Body))
			if err != nil {
				return resp, err
			}
			r.mu.Lock()
			r.received[env.ID] = append(r.received[env.ID], string(c))
			r.receives[env.ID] = append(r.receives[env.ID], rec.Attributes["ApproximateReceiveCount"])
			r.records = append(r.records, rec)
			fail := r.fail
			r.mu.Unlock()
			if fail != nil && fail(env, rec.Attributes["ApproximateReceiveCount"]) {
				resp.BatchItemFailures = append(resp.BatchItemFailures, awsevents.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			}
		}
		return resp, nil
	}
}

func (r *recorder) setFail(f func(env events.Envelope, receives string) bool) {
	r.mu.Lock()
	r.fail = f
	r.mu.Unlock()
}

func subscribeAll(t *testing.T, b *Bus, r *recorder) {
	t.Helper()
	for _, route := range events.Routes {
		if err := b.Subscribe(route.Consumer, r.handler(route.Consumer)); err != nil {
			t.Fatalf("subscribe %s: %v", route.Consumer, err)
		}
	}
}

func TestPublishRoutesToTheConsumersOfTheRoutingTable(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), fast)
	r := newRecorder()
	subscribeAll(t, b, r)
	run(t, b)
	var envs []events.Envelope
	for _, dt := range events.DetailTypes {
		envs = append(envs, envelope("ev-"+string(dt), dt, "lead-1"))
	}
	publish(t, b, envs...)
	waitIdle(t, b)

	for _, dt := range events.DetailTypes {
		t.Run(string(dt), func(t *testing.T) {
			var want []string
			for _, c := range events.ConsumersOf(dt) {
				want = append(want, string(c))
			}
			r.mu.Lock()
			got := slices.Sorted(slices.Values(r.received["ev-"+string(dt)]))
			r.mu.Unlock()
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("consumers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendDeliversToOneQueueAsSQSWould(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), fast)
	r := newRecorder()
	subscribeAll(t, b, r)
	run(t, b)
	env := envelope("ev-1", events.LeadCaptured, "lead-1")
	if err := b.Send(context.Background(), events.ConsumerScore, env); err != nil {
		t.Fatalf("send: %v", err)
	}
	waitIdle(t, b)

	body, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if diff := cmp.Diff(map[string][]string{"ev-1": {"score"}}, r.received); diff != "" {
		t.Fatalf("received (-want +got):\n%s", diff)
	}
	rec := r.records[0]
	got := map[string]string{
		"body":           rec.Body,
		"eventSource":    rec.EventSource,
		"eventSourceARN": rec.EventSourceARN,
		"receiveCount":   rec.Attributes["ApproximateReceiveCount"],
		"receiptHandle":  fmt.Sprint(rec.ReceiptHandle != ""),
		"messageId":      fmt.Sprint(rec.MessageId != ""),
	}
	want := map[string]string{
		"body":           string(body),
		"eventSource":    "aws:sqs",
		"eventSourceARN": "arn:aws:sqs:local:000000000000:leadflow-score",
		"receiveCount":   "1",
		"receiptHandle":  "true",
		"messageId":      "true",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

func TestPublishAndSendRejectBadInput(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), fast)
	bad := envelope("ev-1", events.LeadCaptured, "lead-1")
	bad.Detail = json.RawMessage(`{not json`)
	tests := []struct {
		name string
		call func() error
	}{
		{"no detail-type", func() error { return b.Publish(context.Background(), envelope("ev-1", "", "lead-1")) }},
		{"malformed detail", func() error { return b.Publish(context.Background(), bad) }},
		{"unknown consumer", func() error {
			return b.Send(context.Background(), "nobody", envelope("ev-1", events.LeadCaptured, "lead-1"))
		}},
		{"subscribe unknown consumer", func() error { return b.Subscribe("nobody", newRecorder().handler("nobody")) }},
		{"subscribe nil handler", func() error { return b.Subscribe(events.ConsumerScore, nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !lead.IsCode(err, lead.EINVALID) {
				t.Errorf("error = %v, want code %s", err, lead.EINVALID)
			}
		})
	}
	if diff := cmp.Diff(0, b.Stats()[0].Ready+b.Stats()[1].Ready); diff != "" {
		t.Errorf("messages queued by rejected calls (-want +got):\n%s", diff)
	}
}

func TestPartialBatchFailuresRetryOnlyTheFailedItems(t *testing.T) {
	opts := fast
	opts.Concurrency = 1
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), opts)
	r := newRecorder()
	// Odd events fail on their first receive only.
	r.setFail(func(env events.Envelope, receives string) bool {
		var n int
		fmt.Sscanf(env.ID, "ev-%d", &n)
		return n%2 == 1 && receives == "1"
	})
	if err := b.Subscribe(events.ConsumerEnrich, r.handler(events.ConsumerEnrich)); err != nil {
		t.Fatal(err)
	}
	// Queue first, then run, so the handler gets full batches.
	var envs []events.Envelope
	for i := range 20 {
		envs = append(envs, envelope(fmt.Sprintf("ev-%d", i), events.LeadCaptured, "lead-1"))
	}
	publish(t, b, envs...)
	run(t, b)
	waitIdle(t, b)

	want, got := map[string][]string{}, map[string][]string{}
	r.mu.Lock()
	for i := range 20 {
		id := fmt.Sprintf("ev-%d", i)
		want[id] = []string{"1"}
		if i%2 == 1 {
			want[id] = []string{"1", "2"}
		}
		got[id] = r.receives[id]
	}
	r.mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("receive counts per event (-want +got):\n%s", diff)
	}
}

func TestRetriesThenCompletes(t *testing.T) {
	tests := []struct {
		name    string
		handler func(calls int) (awsevents.SQSEventResponse, error)
	}{
		{"handler error", func(calls int) (awsevents.SQSEventResponse, error) {
			if calls <= 2 {
				return awsevents.SQSEventResponse{}, lead.Errorf(lead.EUNAVAILABLE, "store busy")
			}
			return awsevents.SQSEventResponse{}, nil
		}},
		{"handler panic", func(calls int) (awsevents.SQSEventResponse, error) {
			if calls <= 2 {
				panic("boom")
			}
			return awsevents.SQSEventResponse{}, nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), fast)
			var mu sync.Mutex
			var counts []string
			err := b.Subscribe(events.ConsumerEnrich, func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
				mu.Lock()
				counts = append(counts, ev.Records[0].Attributes["ApproximateReceiveCount"])
				calls := len(counts)
				mu.Unlock()
				return tc.handler(calls)
			})
			if err != nil {
				t.Fatal(err)
			}
			run(t, b)
			publish(t, b, envelope("ev-1", events.LeadCaptured, "lead-1"))
			waitIdle(t, b)
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff([]string{"1", "2", "3"}, counts); diff != "" {
				t.Errorf("receive counts (-want +got):\n%s", diff)
			}
			dl, err := b.DeadLetters("")
			if err != nil || len(dl) != 0 {
				t.Errorf("dead letters = %v, %v; want none", dl, err)
			}
		})
	}
}

func TestAlwaysFailingMessageIsDeadLetteredThenRedriven(t *testing.T) {
	opts := fast
	opts.MaxReceives = 3
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), opts)
	r := newRecorder()
	r.setFail(func(env events.Envelope, _ string) bool { return env.ID == "ev-bad" })
	if err := b.Subscribe(events.ConsumerEnrich, r.handler(events.ConsumerEnrich)); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	publish(t, b, envelope("ev-bad", events.LeadCaptured, "lead-7"), envelope("ev-good", events.LeadCaptured, "lead-8"))
	waitIdle(t, b)

	dl, err := b.DeadLetters(events.ConsumerEnrich)
	if err != nil {
		t.Fatal(err)
	}
	if len(dl) != 1 {
		t.Fatalf("dead letters = %+v, want 1", dl)
	}
	got := dl[0]
	if got.FirstFailure.IsZero() || got.LastFailure.Before(got.FirstFailure) {
		t.Errorf("failure times = %v, %v", got.FirstFailure, got.LastFailure)
	}
	got.MessageID, got.FirstFailure, got.LastFailure = "", time.Time{}, time.Time{}
	want := DeadLetter{Consumer: events.ConsumerEnrich, EventID: "ev-bad", DetailType: events.LeadCaptured, LeadID: "lead-7", ReceiveCount: 3, LastError: "reported in batchItemFailures"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dead letter (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(QueueStats{Consumer: events.ConsumerEnrich, DeadLetters: 1}, b.Stats()[0]); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}

	r.setFail(nil)
	n, err := b.Redrive(context.Background(), events.ConsumerEnrich)
	if err != nil || n != 1 {
		t.Fatalf("redrive = %d, %v; want 1", n, err)
	}
	waitIdle(t, b)
	r.mu.Lock()
	if diff := cmp.Diff([]string{"1", "2", "3", "1"}, r.receives["ev-bad"]); diff != "" {
		t.Errorf("receive counts of the redriven message (-want +got):\n%s", diff)
	}
	r.mu.Unlock()
	if dl, err := b.DeadLetters(""); err != nil || len(dl) != 0 {
		t.Errorf("dead letters after redrive = %+v, %v; want none", dl, err)
	}
}

func TestRedriveByID(t *testing.T) {
	opts := fast
	opts.MaxReceives = 1
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), opts)
	r := newRecorder()
	r.setFail(func(events.Envelope, string) bool { return true })
	if err := b.Subscribe(events.ConsumerEnrich, r.handler(events.ConsumerEnrich)); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	publish(t, b, envelope("ev-1", events.LeadCaptured, "lead-1"), envelope("ev-2", events.LeadCaptured, "lead-2"))
	waitIdle(t, b)
	dl, err := b.DeadLetters("")
	if err != nil || len(dl) != 2 {
		t.Fatalf("dead letters = %+v, %v; want 2", dl, err)
	}
	r.setFail(nil)

	if _, err := b.Redrive(context.Background(), "nobody"); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("redrive of unknown consumer: error = %v, want %s", err, lead.EINVALID)
	}
	if _, err := b.Redrive(context.Background(), "", "not-an-id"); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("redrive of malformed id: error = %v, want %s", err, lead.EINVALID)
	}
	n, err := b.Redrive(context.Background(), "", dl[1].MessageID, messageID(999999))
	if err != nil || n != 1 {
		t.Fatalf("redrive = %d, %v; want 1", n, err)
	}
	waitIdle(t, b)
	left, err := b.DeadLetters(events.ConsumerEnrich)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{dl[0].MessageID}, []string{left[0].MessageID}); diff != "" || len(left) != 1 {
		t.Errorf("dead letters left (-want +got):\n%s", diff)
	}
}

func TestPoisonMessageDoesNotBlockOthers(t *testing.T) {
	opts := fast
	opts.BatchSize = 1
	opts.MaxReceives = 2
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), opts)
	r := newRecorder()
	poisoned := r.handler(events.ConsumerEnrich)
	err := b.Subscribe(events.ConsumerEnrich, func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
		if env, _, _ := events.ParseEnvelope([]byte(ev.Records[0].Body)); env.ID == "ev-poison" {
			var m map[string]int
			m["boom"]++ // a nil map write: the kind of bug a poison message trips
		}
		return poisoned(ctx, ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, b)
	envs := []events.Envelope{envelope("ev-poison", events.LeadCaptured, "lead-0")}
	for i := range 10 {
		envs = append(envs, envelope(fmt.Sprintf("ev-%d", i), events.LeadCaptured, "lead-1"))
	}
	publish(t, b, envs...)
	waitIdle(t, b)

	r.mu.Lock()
	if diff := cmp.Diff(10, len(r.received)); diff != "" {
		t.Errorf("events handled (-want +got):\n%s", diff)
	}
	r.mu.Unlock()
	dl, err := b.DeadLetters(events.ConsumerEnrich)
	if err != nil || len(dl) != 1 || dl[0].EventID != "ev-poison" {
		t.Fatalf("dead letters = %+v, %v; want the poison message", dl, err)
	}
	if want := "handler panicked: assignment to entry in nil map"; dl[0].LastError != want {
		t.Errorf("last error = %q, want %q", dl[0].LastError, want)
	}
}

func TestRestartDeliversEverythingNotAcknowledged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus.db")
	opts := fast
	opts.DrainTimeout = 20 * time.Millisecond
	b, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The first process acknowledges the first few events, then its
	// handlers hang until the drain gives up.
	var mu sync.Mutex
	first := map[string]bool{}
	hang := make(chan struct{})
	defer close(hang)
	hanging := make(chan struct{}, 64)
	err = b.Subscribe(events.ConsumerEnrich, func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
		mu.Lock()
		n := len(first)
		if n < 5 {
			for _, rec := range ev.Records {
				env, _, _ := events.ParseEnvelope([]byte(rec.Body))
				first[env.ID] = true
			}
			mu.Unlock()
			return awsevents.SQSEventResponse{}, nil
		}
		mu.Unlock()
		hanging <- struct{}{}
		select {
		case <-hang:
		case <-ctx.Done():
		}
		return awsevents.SQSEventResponse{}, ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, b)
	var envs []events.Envelope
	for i := range 50 {
		envs = append(envs, envelope(fmt.Sprintf("ev-%d", i), events.LeadCaptured, "lead-1"))
	}
	publish(t, b, envs...)
	<-hanging
	if err := stop(); !lead.IsCode(err, lead.EUNAVAILABLE) {
		t.Errorf("run after an abandoned drain: error = %v, want %s", err, lead.EUNAVAILABLE)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b2 := openBus(t, path, fast)
	r := newRecorder()
	if err := b2.Subscribe(events.ConsumerEnrich, r.handler(events.ConsumerEnrich)); err != nil {
		t.Fatal(err)
	}
	run(t, b2)
	waitIdle(t, b2)

	mu.Lock()
	defer mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	var missing []string
	for _, env := range envs {
		if !first[env.ID] && len(r.received[env.ID]) == 0 {
			missing = append(missing, env.ID)
		}
	}
	if len(missing) > 0 {
		t.Errorf("lost across the restart: %v", missing)
	}
	for id := range first {
		if len(r.received[id]) > 0 {
			t.Errorf("%s was acknowledged before the restart but delivered again", id)
		}
	}
}

func TestVisibilityTimeoutRedeliversAStuckBatch(t *testing.T) {
	opts := fast
	opts.VisibilityTimeout = 20 * time.Millisecond
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), opts)
	var mu sync.Mutex
	var counts []string
	err := b.Subscribe(events.ConsumerEnrich, func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
		mu.Lock()
		counts = append(counts, ev.Records[0].Attributes["ApproximateReceiveCount"])
		n := len(counts)
		mu.Unlock()
		if n == 1 {
			<-ctx.Done() // stuck until the visibility timeout
		}
		return awsevents.SQSEventResponse{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, b)
	publish(t, b, envelope("ev-1", events.LeadCaptured, "lead-1"))
	waitIdle(t, b)
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"1", "2"}, counts); diff != "" {
		t.Errorf("receive counts (-want +got):\n%s", diff)
	}
}

func TestWaitIdle(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), fast)
	r := newRecorder()
	if err := b.Subscribe(events.ConsumerEnrich, r.handler(events.ConsumerEnrich)); err != nil {
		t.Fatal(err)
	}
	if !b.Idle() {
		t.Fatal("an empty bus is not idle")
	}
	// Score has no subscriber: its message does not keep the bus busy.
	publish(t, b, envelope("ev-1", events.LeadCaptured, "lead-1"), envelope("ev-2", events.LeadEnriched, "lead-1"))
	if b.Idle() {
		t.Fatal("idle with a message waiting for Run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := b.WaitIdle(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait idle before Run: error = %v, want deadline exceeded", err)
	}
	run(t, b)
	waitIdle(t, b)
	r.mu.Lock()
	defer r.mu.Unlock()
	if diff := cmp.Diff(map[string][]string{"ev-1": {"enrich"}}, r.received); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

func TestRunAndSubscribeWhileRunning(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "bus.db"), fast)
	if err := b.Subscribe(events.ConsumerEnrich, newRecorder().handler(events.ConsumerEnrich)); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	// A delivered message proves Run is under way.
	publish(t, b, envelope("ev-1", events.LeadCaptured, "lead-1"))
	waitIdle(t, b)
	if err := b.Subscribe(events.ConsumerScore, newRecorder().handler(events.ConsumerScore)); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("subscribe while running: error = %v, want %s", err, lead.EINVALID)
	}
	if err := b.Run(context.Background()); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("second Run: error = %v, want %s", err, lead.EINVALID)
	}
}

func TestDeleteErasesALeadsWaitingMessages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus.db")
	opts := fast
	opts.MaxReceives = 1
	b, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	r.setFail(func(events.Envelope, string) bool { return true })
	if err := b.Subscribe(events.ConsumerEnrich, r.handler(events.ConsumerEnrich)); err != nil {
		t.Fatal(err)
	}
	stop := run(t, b)
	// A's capture ends in enrich's dead-letter list; the other events wait
	// in queues nobody subscribed.
	publish(t, b, envelope("a-captured", events.LeadCaptured, "a"))
	waitIdle(t, b)
	publish(t, b,
		envelope("a-stage", events.LeadStageChanged, "a"),
		envelope("b-stage", events.LeadStageChanged, "b"),
		envelope("a-erased", events.LeadErased, "a"),
	)
	if err := b.Delete(context.Background(), "a"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := b.Delete(context.Background(), ""); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("delete without lead: error = %v, want %s", err, lead.EINVALID)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// What is left is on disk: reopen and deliver it.
	b2 := openBus(t, path, fast)
	got := newRecorder()
	subscribeAll(t, b2, got)
	run(t, b2)
	waitIdle(t, b2)
	want := map[string][]string{
		"b-stage":  {"crmsync", "nurture", "route"},
		"a-erased": {"crmsync"},
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, cs := range got.received {
		slices.Sort(cs)
	}
	if diff := cmp.Diff(want, got.received); diff != "" {
		t.Errorf("delivered after erasing lead a (-want +got):\n%s", diff)
	}
	if dl, err := b2.DeadLetters(""); err != nil || len(dl) != 0 {
		t.Errorf("dead letters = %+v, %v; want none", dl, err)
	}
}
