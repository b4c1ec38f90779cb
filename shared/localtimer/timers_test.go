package localtimer

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var quiet = WithLogger(slog.New(slog.DiscardHandler))

func openTimers(t *testing.T, path string, clock pipeline.Clock, opts ...Option) *Timers {
	t.Helper()
	tm, err := Open(path, clock, append([]Option{quiet}, opts...)...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { tm.Close() })
	return tm
}

// calls records the timers a handler was called with, and answers with
// the results (or errors) queued for each key.
type calls struct {
	mu      sync.Mutex
	got     []pipeline.Timer
	results map[string][]result
	fired   chan pipeline.Timer
}

type result struct {
	res pipeline.TimerResult
	err error
}

func newCalls() *calls {
	return &calls{results: map[string][]result{}, fired: make(chan pipeline.Timer, 100)}
}

func (c *calls) then(key string, rs ...result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.results[key] = append(c.results[key], rs...)
}

func (c *calls) handle(ctx context.Context, tm pipeline.Timer) (pipeline.TimerResult, error) {
	c.mu.Lock()
	c.got = append(c.got, tm)
	r := result{res: pipeline.TimerResult{Done: true}}
	if q := c.results[tm.Key]; len(q) > 0 {
		r, c.results[tm.Key] = q[0], q[1:]
	}
	c.mu.Unlock()
	c.fired <- tm
	return r.res, r.err
}

func (c *calls) timers() []pipeline.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]pipeline.Timer(nil), c.got...)
}

func schedule(t *testing.T, tm *Timers, timers ...pipeline.Timer) {
	t.Helper()
	for _, x := range timers {
		if err := tm.Schedule(context.Background(), x); err != nil {
			t.Fatalf("schedule %s: %v", x.Key, err)
		}
	}
}

func fire(t *testing.T, tm *Timers, now time.Time) {
	t.Helper()
	if err := tm.Fire(context.Background(), now); err != nil {
		t.Fatalf("fire: %v", err)
	}
}

func sla(key, leadID string, at time.Time) pipeline.Timer {
	return pipeline.Timer{Key: key, Kind: pipeline.TimerSLA, LeadID: leadID, At: at, Data: "alert"}
}

func TestFireAtDueTime(t *testing.T) {
	clock := NewManualClock(t0)
	tm := openTimers(t, filepath.Join(t.TempDir(), "timers.db"), clock)
	c := newCalls()
	tm.Handle(pipeline.TimerSLA, c.handle)
	a, b := sla("sla:l1", "l1", t0.Add(4*time.Hour)), sla("sla:l2", "l2", t0.Add(time.Hour))
	schedule(t, tm, a, b)

	if next, ok := tm.NextDue(); !ok || !next.Equal(b.At) {
		t.Errorf("next due = %v, %v; want %v", next, ok, b.At)
	}
	steps := []struct {
		name    string
		now     time.Time
		want    []pipeline.Timer
		pending []pipeline.Timer
	}{
		{"before any", t0.Add(59 * time.Minute), nil, []pipeline.Timer{a}},
		{"the first", t0.Add(time.Hour), []pipeline.Timer{b}, []pipeline.Timer{a}},
		{"the second, later", t0.Add(5 * time.Hour), []pipeline.Timer{b, a}, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			fire(t, tm, s.now)
			if diff := cmp.Diff(s.want, c.timers()); diff != "" {
				t.Errorf("fired (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(s.pending, tm.Pending("l1")); diff != "" {
				t.Errorf("pending of l1 (-want +got):\n%s", diff)
			}
		})
	}
	if next, ok := tm.NextDue(); ok {
		t.Errorf("next due = %v with no timer pending", next)
	}
}

func TestScheduleIsIdempotentAndKeysAreSingleUse(t *testing.T) {
	tm := openTimers(t, filepath.Join(t.TempDir(), "timers.db"), NewManualClock(t0))
	c := newCalls()
	tm.Handle(pipeline.TimerSLA, c.handle)
	first := sla("sla:l1", "l1", t0.Add(time.Hour))
	schedule(t, tm, first, sla("sla:l1", "l1", t0.Add(2*time.Hour)))
	if diff := cmp.Diff([]pipeline.Timer{first}, tm.Pending("l1")); diff != "" {
		t.Fatalf("pending after a second schedule (-want +got):\n%s", diff)
	}
	fire(t, tm, t0.Add(3*time.Hour))
	// The key was used: scheduling it again does nothing, as a Step
	// Functions execution name would.
	schedule(t, tm, sla("sla:l1", "l1", t0.Add(4*time.Hour)))
	fire(t, tm, t0.Add(5*time.Hour))
	if diff := cmp.Diff([]pipeline.Timer{first}, c.timers()); diff != "" {
		t.Errorf("fired (-want +got):\n%s", diff)
	}
}

func TestScheduleRejectsIncompleteTimers(t *testing.T) {
	tm := openTimers(t, filepath.Join(t.TempDir(), "timers.db"), NewManualClock(t0))
	tests := []struct {
		name string
		tm   pipeline.Timer
	}{
		{"no key", pipeline.Timer{Kind: pipeline.TimerSLA, At: t0}},
		{"no kind", pipeline.Timer{Key: "k", At: t0}},
		{"no time", pipeline.Timer{Key: "k", Kind: pipeline.TimerSLA}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tm.Schedule(context.Background(), tc.tm); !lead.IsCode(err, lead.EINVALID) {
				t.Errorf("error = %v, want %s", err, lead.EINVALID)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	tm := openTimers(t, filepath.Join(t.TempDir(), "timers.db"), NewManualClock(t0))
	c := newCalls()
	tm.Handle(pipeline.TimerSLA, c.handle)
	kept := sla("sla:l2", "l1", t0.Add(time.Hour))
	schedule(t, tm, sla("sla:l1", "l1", t0.Add(time.Hour)), kept)
	for _, key := range []string{"sla:l1", "unknown"} {
		if err := tm.Cancel(context.Background(), key); err != nil {
			t.Fatalf("cancel %s: %v", key, err)
		}
	}
	if diff := cmp.Diff([]pipeline.Timer{kept}, tm.Pending("l1")); diff != "" {
		t.Errorf("pending after cancel (-want +got):\n%s", diff)
	}
	schedule(t, tm, sla("sla:l1", "l1", t0.Add(time.Hour)))
	fire(t, tm, t0.Add(2*time.Hour))
	if diff := cmp.Diff([]pipeline.Timer{kept}, c.timers()); diff != "" {
		t.Errorf("fired (-want +got):\n%s", diff)
	}
}

func TestRearmUntilDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timers.db")
	tm := openTimers(t, path, NewManualClock(t0))
	c := newCalls()
	tm.Handle(pipeline.TimerNurture, c.handle)
	day := 24 * time.Hour
	start := pipeline.Timer{Key: "nurture:l1", Kind: pipeline.TimerNurture, LeadID: "l1", At: t0.Add(day), Data: "step=0"}
	c.then("nurture:l1",
		result{res: pipeline.TimerResult{NextAt: t0.Add(3 * day)}},
		result{res: pipeline.TimerResult{NextAt: t0.Add(7 * day)}},
		result{res: pipeline.TimerResult{Done: true}},
	)
	schedule(t, tm, start)

	fire(t, tm, t0.Add(2*day))
	at := func(d time.Duration) pipeline.Timer {
		x := start
		x.At = t0.Add(d)
		return x
	}
	if diff := cmp.Diff([]pipeline.Timer{at(3 * day)}, tm.Pending("l1")); diff != "" {
		t.Errorf("pending after the first touch (-want +got):\n%s", diff)
	}
	// One advance past both remaining times fires the loop to its end.
	fire(t, tm, t0.Add(30*day))
	if diff := cmp.Diff([]pipeline.Timer{at(day), at(3 * day), at(7 * day)}, c.timers()); diff != "" {
		t.Errorf("fired (-want +got):\n%s", diff)
	}
	if got := tm.Pending("l1"); len(got) != 0 {
		t.Errorf("pending after Done = %v, want none", got)
	}
}

func TestRetryOnErrorThenFailedList(t *testing.T) {
	tm := openTimers(t, filepath.Join(t.TempDir(), "timers.db"), NewManualClock(t0), WithRetry(3, time.Second))
	c := newCalls()
	tm.Handle(pipeline.TimerSLA, c.handle)
	busy := result{err: lead.Errorf(lead.EUNAVAILABLE, "store busy")}
	recovers, broken := sla("sla:l1", "l1", t0), sla("sla:l2", "l2", t0)
	c.then(recovers.Key, busy, busy)
	c.then(broken.Key, busy, busy, busy)
	schedule(t, tm, recovers, broken)

	// Attempts at t0, t0+1s and t0+3s (backoff 1s, then 2s).
	for _, now := range []time.Time{t0, t0.Add(time.Second), t0.Add(3 * time.Second)} {
		fire(t, tm, now)
	}
	count := map[string]int{}
	for _, x := range c.timers() {
		count[x.Key]++
	}
	if diff := cmp.Diff(map[string]int{"sla:l1": 3, "sla:l2": 3}, count); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	failed, err := tm.Failed()
	if err != nil {
		t.Fatal(err)
	}
	want := []FailedTimer{{Timer: broken, Attempts: 3, LastError: "store busy", FailedAt: t0.Add(3 * time.Second)}}
	if diff := cmp.Diff(want, failed); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
	if got := tm.Pending("l2"); len(got) != 0 {
		t.Errorf("a failed timer is still pending: %v", got)
	}

	n, err := tm.Requeue(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("requeue = %d, %v; want 1", n, err)
	}
	fire(t, tm, t0.Add(3*time.Second))
	if failed, err := tm.Failed(); err != nil || len(failed) != 0 {
		t.Errorf("failed after requeue = %v, %v; want none", failed, err)
	}
	if got := len(c.timers()); got != 7 {
		t.Errorf("handler calls = %d, want 7", got)
	}
}

func TestHandlerFaultsCountAsFailedAttempts(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		handler Handler
		want    string
	}{
		{"panic", pipeline.TimerSLA, func(context.Context, pipeline.Timer) (pipeline.TimerResult, error) {
			panic("boom")
		}, "timer handler panicked: boom"},
		{"no handler", "unknown", nil, `no handler for timers of kind "unknown"`},
		{"next time not after", pipeline.TimerSLA, func(_ context.Context, x pipeline.Timer) (pipeline.TimerResult, error) {
			return pipeline.TimerResult{NextAt: x.At}, nil
		}, "timer k: handler asked to wait again until 2026-03-02T09:00:00Z, not after the timer's time 2026-03-02T09:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tm := openTimers(t, filepath.Join(t.TempDir(), "timers.db"), NewManualClock(t0), WithRetry(1, time.Second))
			if tc.handler != nil {
				tm.Handle(tc.kind, tc.handler)
			}
			schedule(t, tm, pipeline.Timer{Key: "k", Kind: tc.kind, LeadID: "l1", At: t0})
			fire(t, tm, t0)
			failed, err := tm.Failed()
			if err != nil || len(failed) != 1 {
				t.Fatalf("failed = %v, %v; want one", failed, err)
			}
			if diff := cmp.Diff(tc.want, failed[0].LastError); diff != "" {
				t.Errorf("last error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimersSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timers.db")
	clock := NewManualClock(t0)
	tm, err := Open(path, clock, quiet)
	if err != nil {
		t.Fatal(err)
	}
	c := newCalls()
	tm.Handle(pipeline.TimerNurture, c.handle)
	c.then("n:l1", result{res: pipeline.TimerResult{NextAt: t0.Add(2 * time.Hour)}})
	rearmed := pipeline.Timer{Key: "n:l1", Kind: pipeline.TimerNurture, LeadID: "l1", At: t0.Add(time.Hour)}
	later := pipeline.Timer{Key: "n:l2", Kind: pipeline.TimerNurture, LeadID: "l2", At: t0.Add(3 * time.Hour)}
	done := pipeline.Timer{Key: "n:l3", Kind: pipeline.TimerNurture, LeadID: "l3", At: t0}
	schedule(t, tm, rearmed, later, done)
	fire(t, tm, t0.Add(time.Hour))
	if err := tm.Close(); err != nil {
		t.Fatal(err)
	}

	// Down for a day: both remaining timers are overdue when it restarts.
	clock.Advance(24 * time.Hour)
	tm2 := openTimers(t, path, clock)
	c2 := newCalls()
	tm2.Handle(pipeline.TimerNurture, c2.handle)
	schedule(t, tm2, done) // its key was used before the restart
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tm2.Run(ctx)
	var got []string
	for range 2 {
		select {
		case x := <-c2.fired:
			got = append(got, x.Key+"@"+x.At.Format(time.Kitchen))
		case <-time.After(5 * time.Second):
			t.Fatalf("timers not fired after restart; got %v", got)
		}
	}
	slices.Sort(got) // they fire concurrently
	if diff := cmp.Diff([]string{"n:l1@11:00AM", "n:l2@12:00PM"}, got); diff != "" {
		t.Errorf("fired after restart (-want +got):\n%s", diff)
	}
}

func TestRunWakesAtTheNextDueTime(t *testing.T) {
	start := time.Now()
	clocks := []struct {
		name  string
		clock pipeline.Clock
		in    time.Duration // clock time until the timer is due
	}{
		{"real", RealClock{}, 30 * time.Millisecond},
		{"scaled 3600x", mustScaled(t, start, 3600), time.Minute},
	}
	for _, tc := range clocks {
		t.Run(tc.name, func(t *testing.T) {
			tm := openTimers(t, filepath.Join(t.TempDir(), "timers.db"), tc.clock)
			c := newCalls()
			tm.Handle(pipeline.TimerSLA, c.handle)
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan error, 1)
			go func() { stopped <- tm.Run(ctx) }()
			// Scheduled after Run went to sleep: Schedule must wake it.
			due := tc.clock.Now().Add(tc.in)
			schedule(t, tm, sla("k", "l1", due))
			select {
			case <-c.fired:
			case <-time.After(5 * time.Second):
				t.Fatal("timer did not fire")
			}
			if now := tc.clock.Now(); now.Before(due) {
				t.Errorf("fired at %v, before it was due at %v", now, due)
			}
			cancel()
			if err := <-stopped; err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
}

func TestManualClockWithRunAndWake(t *testing.T) {
	clock := NewManualClock(t0)
	tm := openTimers(t, filepath.Join(t.TempDir(), "timers.db"), clock)
	c := newCalls()
	tm.Handle(pipeline.TimerSLA, c.handle)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tm.Run(ctx)
	schedule(t, tm, sla("k", "l1", t0.Add(time.Hour)))
	clock.Advance(time.Hour)
	tm.Wake()
	select {
	case x := <-c.fired:
		if diff := cmp.Diff(sla("k", "l1", t0.Add(time.Hour)), x); diff != "" {
			t.Errorf("fired (-want +got):\n%s", diff)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("timer did not fire after Advance and Wake")
	}
}

func mustScaled(t *testing.T, start time.Time, speed float64) *ScaledClock {
	t.Helper()
	c, err := NewScaledClock(start, speed)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeleteErasesEveryTimerOfALead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timers.db")
	tm, err := Open(path, NewManualClock(t0), quiet, WithRetry(1, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c := newCalls()
	tm.Handle(pipeline.TimerSLA, c.handle)
	c.then("failed:a", result{err: lead.Errorf(lead.EUNAVAILABLE, "down")})
	schedule(t, tm, sla("done:a", "a", t0), sla("failed:a", "a", t0), sla("cancelled:a", "a", t0.Add(time.Hour)),
		sla("pending:a", "a", t0.Add(time.Hour)), sla("pending:b", "b", t0.Add(time.Hour)))
	fire(t, tm, t0)
	if err := tm.Cancel(context.Background(), "cancelled:a"); err != nil {
		t.Fatal(err)
	}
	if err := tm.Delete(context.Background(), "a"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := tm.Delete(context.Background(), ""); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("delete without lead: error = %v, want %s", err, lead.EINVALID)
	}
	if got := tm.Pending("a"); len(got) != 0 {
		t.Errorf("pending of a = %v, want none", got)
	}
	if err := tm.Close(); err != nil {
		t.Fatal(err)
	}

	// Nothing of a is left on disk: no timer, failed timer or used key.
	tm2 := openTimers(t, path, NewManualClock(t0))
	if diff := cmp.Diff([]pipeline.Timer{sla("pending:b", "b", t0.Add(time.Hour))}, tm2.Pending("b")); diff != "" {
		t.Errorf("pending of b (-want +got):\n%s", diff)
	}
	if failed, err := tm2.Failed(); err != nil || len(failed) != 0 {
		t.Errorf("failed = %v, %v; want none", failed, err)
	}
	var keys []string
	err = tm2.commit.DB().View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{pendingBucket, failedBucket, usedBucket} {
			if err := bucket(tx, name).ForEach(func(k, _ []byte) error {
				keys = append(keys, string(name)+"/"+string(k))
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"pending/pending:b"}, keys); diff != "" {
		t.Errorf("keys on disk (-want +got):\n%s", diff)
	}
}
