// Package localtimer holds the durable timers of `leadflow dev`, the local
// stand-in for the nurture and SLA state machines: a timer waits until its
// time on the injected clock, calls the handler of its kind, and either ends
// or waits again until the NextAt the handler returns (Wait → Task → Choice).
// Timers live in a bbolt file and survive a restart; one due while the
// process was down fires when it starts.
//
// A key is single-use, like a Step Functions execution name: scheduling a
// key that is pending, failed, finished or cancelled in the last 90 days is
// a no-op, so a caller that reuses keys sees locally what it would see in
// AWS.
package localtimer

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/internal/groupcommit"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

var _ pipeline.Scheduler = (*Timers)(nil)

// Handler is called when a timer of its kind is due. An error is retried
// with backoff; the result says whether the timer ends or waits again.
type Handler func(ctx context.Context, t pipeline.Timer) (pipeline.TimerResult, error)

// FailedTimer is a timer whose handler failed on every attempt. It is kept
// until Requeue or Cancel.
type FailedTimer struct {
	Timer     pipeline.Timer `json:"timer"`
	Attempts  int            `json:"attempts"`
	LastError string         `json:"last_error"`
	FailedAt  time.Time      `json:"failed_at"`
}

// Option tunes Open.
type Option func(*config)

type config struct {
	attempts    int
	backoff     time.Duration
	concurrency int
	log         *slog.Logger
}

// WithRetry sets how many times a failing handler is called before the
// timer moves to the failed list (5), and the delay on the timers' clock
// before the first retry (1s), doubled for each further one.
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(c *config) {
		if attempts > 0 {
			c.attempts = attempts
		}
		if backoff > 0 {
			c.backoff = backoff
		}
	}
}

// WithConcurrency sets how many handlers run at once (4).
func WithConcurrency(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.concurrency = n
		}
	}
}

// WithLogger sets the logger of operational messages (slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

const (
	// retention is how long a used key stays reserved, as a Step Functions
	// execution name does.
	retention = 90 * 24 * time.Hour
	// maxBackoff caps the retry delay.
	maxBackoff = time.Hour
	// maxWait bounds a sleep of Run, so that a suspended host or a changed
	// wall clock delays a timer by at most this much.
	maxWait = time.Minute
	stripes = 64
)

var (
	pendingBucket = []byte("pending") // key → entry
	failedBucket  = []byte("failed")  // key → FailedTimer
	usedBucket    = []byte("used")    // key → used, of finished or cancelled timers
)

// used records when a key was used up, and by which lead, for erasure.
type used struct {
	At     time.Time `json:"at"`
	LeadID string    `json:"lead_id,omitempty"`
}

// Bucket is the top-level bucket that holds the timers' buckets, so that
// they can share a file with other adapters.
const Bucket = "timers"

var root = []byte(Bucket)

func bucket(tx *bolt.Tx, name []byte) *bolt.Bucket { return tx.Bucket(root).Bucket(name) }

func putUsed(tx *bolt.Tx, key []byte, at time.Time, leadID string) error {
	v, err := json.Marshal(used{At: at, LeadID: leadID})
	if err != nil {
		return err
	}
	return bucket(tx, usedBucket).Put(key, v)
}

// timerOf decodes the timer of a pending entry or a failed timer: both
// hold it under "timer".
func timerOf(v []byte) (pipeline.Timer, error) {
	var r struct {
		Timer pipeline.Timer `json:"timer"`
	}
	err := json.Unmarshal(v, &r)
	return r.Timer, err
}

// entry is a pending timer, as stored and as indexed in memory.
type entry struct {
	Timer     pipeline.Timer `json:"timer"`
	Attempts  int            `json:"attempts,omitempty"`
	RetryAt   time.Time      `json:"retry_at,omitzero"`
	LastError string         `json:"last_error,omitempty"`

	index int // in the due heap; -1 while firing
}

// due is when the timer fires next: its time, or its retry.
func (e *entry) due() time.Time {
	if !e.RetryAt.IsZero() {
		return e.RetryAt
	}
	return e.Timer.At
}

// Timers is a durable timer service on a bbolt file. It is safe for
// concurrent use.
type Timers struct {
	commit *groupcommit.Committer
	owned  bool // Close closes the file: Open opened it
	clock  pipeline.Clock
	cfg    config
	seed   maphash.Seed
	// keyMu serialises the disk and memory changes of one key (striped), so
	// that Schedule, Cancel and a firing of the same key apply in one order.
	keyMu [stripes]sync.Mutex

	mu       sync.Mutex
	pending  map[string]*entry
	heap     dueHeap
	handlers map[string]Handler

	fireMu sync.Mutex // one firing pass at a time: Run's or Fire's
	wake   chan struct{}
}

// Open opens (creating if needed) the timers stored at path, on clock (the
// wall clock if nil). Returns an error if the file cannot be opened (another
// process holding it makes Open fail after a second) or holds undecodable
// data.
func Open(path string, clock pipeline.Clock, opts ...Option) (*Timers, error) {
	t, err := groupcommit.OpenFile(path, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType},
		func(c *groupcommit.Committer) (*Timers, error) { return New(c, clock, opts...) })
	if err != nil {
		return nil, fmt.Errorf("open timers %s: %w", path, err)
	}
	t.owned = true
	return t, nil
}

// New keeps the timers in the file c commits to, beside other adapters'
// data, sharing their commits, on clock (the wall clock if nil). Close
// leaves c and its file open. Returns an error if the stored timers cannot
// be read or decoded.
func New(c *groupcommit.Committer, clock pipeline.Clock, opts ...Option) (*Timers, error) {
	if clock == nil {
		clock = RealClock{}
	}
	cfg := config{attempts: 5, backoff: time.Second, concurrency: 4, log: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	t := &Timers{commit: c, clock: clock, cfg: cfg, seed: maphash.MakeSeed(), pending: map[string]*entry{}, handlers: map[string]Handler{}, wake: make(chan struct{}, 1)}
	if err := t.load(); err != nil {
		return nil, err
	}
	return t, nil
}

// load creates the buckets, indexes the pending timers and forgets the used
// keys past retention.
func (t *Timers) load() error {
	horizon := t.clock.Now().Add(-retention)
	return t.commit.DB().Update(func(tx *bolt.Tx) error {
		r, err := tx.CreateBucketIfNotExists(root)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{pendingBucket, failedBucket, usedBucket} {
			if _, err := r.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		err = bucket(tx, pendingBucket).ForEach(func(k, v []byte) error {
			e := &entry{}
			if err := json.Unmarshal(v, e); err != nil {
				return fmt.Errorf("decode timer %q: %w", k, err)
			}
			t.pending[e.Timer.Key] = e
			heap.Push(&t.heap, e)
			return nil
		})
		if err != nil {
			return err
		}
		ub := bucket(tx, usedBucket)
		var old [][]byte
		err = ub.ForEach(func(k, v []byte) error {
			var u used
			if json.Unmarshal(v, &u) == nil && u.At.Before(horizon) {
				old = append(old, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := ub.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close stops the timers and closes the file if Open opened it; call it
// after Run returned. Returns the error of closing the file.
func (t *Timers) Close() error {
	if !t.owned {
		return nil
	}
	t.commit.Close()
	if err := t.commit.DB().Close(); err != nil {
		return fmt.Errorf("close timers: %w", err)
	}
	return nil
}

// Handle sets the handler of timers of kind; call it before Run or Fire. A
// due timer of a kind without handler fails like a failing handler.
func (t *Timers) Handle(kind string, h Handler) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.handlers[kind] = h
}

func (t *Timers) keyLock(key string) *sync.Mutex {
	return &t.keyMu[maphash.String(t.seed, key)%stripes]
}

// lockAll holds every key lock, in order, for changes whose keys are only
// known inside their transaction; it returns the unlock.
func (t *Timers) lockAll() func() {
	for i := range t.keyMu {
		t.keyMu[i].Lock()
	}
	return func() {
		for i := range t.keyMu {
			t.keyMu[i].Unlock()
		}
	}
}

// Schedule starts timer tm unless its key was used: pending, failed, or
// finished or cancelled in the last 90 days (then it is a no-op). Returns
// EINVALID for a timer without key, kind or time, EUNAVAILABLE if the
// timers are closed, or the disk's error.
func (t *Timers) Schedule(ctx context.Context, tm pipeline.Timer) error {
	if err := tm.Check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l := t.keyLock(tm.Key)
	l.Lock()
	defer l.Unlock()
	t.mu.Lock()
	_, exists := t.pending[tm.Key]
	t.mu.Unlock()
	if exists {
		return nil
	}
	e := &entry{Timer: tm}
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("schedule timer %s: %w", tm.Key, err)
	}
	k := []byte(tm.Key)
	created := false
	err = t.commit.Do(func(tx *bolt.Tx) error {
		created = false
		if bucket(tx, failedBucket).Get(k) != nil || bucket(tx, usedBucket).Get(k) != nil {
			return nil
		}
		created = true
		return bucket(tx, pendingBucket).Put(k, v)
	})
	if err != nil {
		return fmt.Errorf("schedule timer %s: %w", tm.Key, err)
	}
	if created {
		t.mu.Lock()
		t.pending[tm.Key] = e
		heap.Push(&t.heap, e)
		t.mu.Unlock()
		t.Wake()
	}
	return nil
}

// Cancel stops the pending or failed timer key; its key stays used. A
// handler already running for it finishes, but its result is dropped.
// Cancelling an unknown key is not an error. Returns EUNAVAILABLE if the
// timers are closed, or the disk's error.
func (t *Timers) Cancel(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l := t.keyLock(key)
	l.Lock()
	defer l.Unlock()
	now := t.clock.Now()
	k := []byte(key)
	err := t.commit.Do(func(tx *bolt.Tx) error {
		p, f := bucket(tx, pendingBucket), bucket(tx, failedBucket)
		v := p.Get(k)
		if v == nil {
			v = f.Get(k)
		}
		if v == nil {
			return nil
		}
		tm, err := timerOf(v)
		if err != nil {
			return fmt.Errorf("decode timer: %w", err)
		}
		if err := p.Delete(k); err != nil {
			return err
		}
		if err := f.Delete(k); err != nil {
			return err
		}
		return putUsed(tx, k, now, tm.LeadID)
	})
	if err != nil {
		return fmt.Errorf("cancel timer %s: %w", key, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.pending[key]; ok {
		delete(t.pending, key)
		if e.index >= 0 {
			heap.Remove(&t.heap, e.index)
		}
	}
	return nil
}

// Pending returns the pending timers of leadID (including one whose handler
// is running), soonest first.
func (t *Timers) Pending(leadID string) []pipeline.Timer {
	t.mu.Lock()
	var es []*entry
	for _, e := range t.pending {
		if e.Timer.LeadID == leadID {
			es = append(es, e)
		}
	}
	slices.SortFunc(es, func(a, b *entry) int {
		if c := a.Timer.At.Compare(b.Timer.At); c != 0 {
			return c
		}
		return strings.Compare(a.Timer.Key, b.Timer.Key)
	})
	var out []pipeline.Timer
	for _, e := range es {
		out = append(out, e.Timer)
	}
	t.mu.Unlock()
	return out
}

// Failed returns the timers that exhausted their attempts, in key order.
// Returns the disk's error.
func (t *Timers) Failed() ([]FailedTimer, error) {
	var out []FailedTimer
	err := t.commit.DB().View(func(tx *bolt.Tx) error {
		return bucket(tx, failedBucket).ForEach(func(k, v []byte) error {
			var f FailedTimer
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("decode failed timer %q: %w", k, err)
			}
			out = append(out, f)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list failed timers: %w", err)
	}
	return out, nil
}

// Requeue makes failed timers pending again with fresh attempts, due at
// once: those named by keys, or all when keys is empty. Keys not failed are
// skipped; it returns how many timers were requeued. Returns EUNAVAILABLE if
// the timers are closed, or the disk's error.
func (t *Timers) Requeue(ctx context.Context, keys ...string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	defer t.lockAll()()
	now := t.clock.Now()
	var back []*entry
	err := t.commit.Do(func(tx *bolt.Tx) error {
		back = back[:0]
		f, p := bucket(tx, failedBucket), bucket(tx, pendingBucket)
		want := map[string]bool{}
		for _, k := range keys {
			want[k] = true
		}
		err := f.ForEach(func(k, v []byte) error {
			if len(keys) > 0 && !want[string(k)] {
				return nil
			}
			var ft FailedTimer
			if err := json.Unmarshal(v, &ft); err != nil {
				return fmt.Errorf("decode failed timer %q: %w", k, err)
			}
			back = append(back, &entry{Timer: ft.Timer, RetryAt: now})
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range back {
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := f.Delete([]byte(e.Timer.Key)); err != nil {
				return err
			}
			if err := p.Put([]byte(e.Timer.Key), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("requeue failed timers: %w", err)
	}
	t.mu.Lock()
	for _, e := range back {
		t.pending[e.Timer.Key] = e
		heap.Push(&t.heap, e)
	}
	t.mu.Unlock()
	t.Wake()
	return len(back), nil
}

// Delete erases every timer of leadID, pending or failed, and the records
// of its used keys (erasure on request); a handler already running for one
// finishes, but its result is dropped. Deleting a lead without timers is not
// an error. Returns EINVALID for an empty lead id, EUNAVAILABLE if the
// timers are closed, or the disk's error.
func (t *Timers) Delete(ctx context.Context, leadID string) error {
	if leadID == "" {
		return lead.FieldError("lead_id", "no lead id")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	defer t.lockAll()()
	err := t.commit.Do(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{pendingBucket, failedBucket, usedBucket} {
			bk := bucket(tx, name)
			var doomed [][]byte
			err := bk.ForEach(func(k, v []byte) error {
				var id string
				if bytes.Equal(name, usedBucket) {
					var u used
					if json.Unmarshal(v, &u) == nil {
						id = u.LeadID
					}
				} else if tm, err := timerOf(v); err == nil {
					id = tm.LeadID
				}
				if id == leadID {
					doomed = append(doomed, k)
				}
				return nil
			})
			if err != nil {
				return err
			}
			// A bucket must not change under ForEach: delete afterwards.
			for _, k := range doomed {
				if err := bk.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete timers of lead %s: %w", leadID, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, e := range t.pending {
		if e.Timer.LeadID != leadID {
			continue
		}
		delete(t.pending, key)
		if e.index >= 0 {
			heap.Remove(&t.heap, e.index)
		}
	}
	return nil
}

// Wake makes Run look at the clock and the timers again: call it after
// moving a clock that does not move by itself.
func (t *Timers) Wake() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Run fires timers as they come due on the clock until ctx is cancelled,
// sleeping until the next one is due (or until Wake, for a clock that does
// not move by itself). A handler interrupted by the cancellation is not
// counted as a failed attempt. Returns nil once ctx is cancelled.
func (t *Timers) Run(ctx context.Context) error {
	for {
		t.pass(ctx, t.clock.Now)
		var wait <-chan time.Time
		var timer *time.Timer
		if next, ok := t.NextDue(); ok {
			if d, moves := t.realDuration(next); moves {
				timer = time.NewTimer(min(max(d, 0), maxWait))
				wait = timer.C
			}
		}
		select {
		case <-ctx.Done():
		case <-t.wake:
		case <-wait:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (t *Timers) realDuration(at time.Time) (time.Duration, bool) {
	if p, ok := t.clock.(Pacer); ok {
		return p.RealDuration(at)
	}
	return at.Sub(t.clock.Now()), true
}

// NextDue returns when the earliest pending timer is due (its time, or its
// retry), and false when no timer is pending or all are firing. An advance
// of a manual clock can step through these times so that each timer fires
// at its own time.
func (t *Timers) NextDue() (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.heap) == 0 {
		return time.Time{}, false
	}
	return t.heap[0].due(), true
}

// Fire calls the handlers of every timer due by now, including timers
// re-armed or retried for a time not after now, and returns when they are
// done. Returns ctx's error if ctx ends first (the timers not yet fired stay
// pending).
func (t *Timers) Fire(ctx context.Context, now time.Time) error {
	t.pass(ctx, func() time.Time { return now })
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fire timers due by %s: %w", now.Format(time.RFC3339), err)
	}
	return nil
}

// pass fires the due timers, in rounds, until none is due by now().
func (t *Timers) pass(ctx context.Context, now func() time.Time) {
	t.fireMu.Lock()
	defer t.fireMu.Unlock()
	sem := make(chan struct{}, t.cfg.concurrency)
	for ctx.Err() == nil {
		at := now()
		due := t.takeDue(at)
		if len(due) == 0 {
			return
		}
		var wg sync.WaitGroup
		for _, e := range due {
			if ctx.Err() != nil {
				t.unfire(e)
				continue
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				t.fire(ctx, e, at)
			})
		}
		wg.Wait()
	}
}

func (t *Timers) takeDue(at time.Time) []*entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	var due []*entry
	for len(t.heap) > 0 && !t.heap[0].due().After(at) {
		due = append(due, heap.Pop(&t.heap).(*entry))
	}
	return due
}

// unfire puts a timer taken for firing back, unchanged.
func (t *Timers) unfire(e *entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[e.Timer.Key] == e {
		heap.Push(&t.heap, e)
	}
}

// fire calls e's handler and records what comes next: the end, a re-arm at
// NextAt, a retry, or the failed list.
func (t *Timers) fire(ctx context.Context, e *entry, now time.Time) {
	t.mu.Lock()
	h := t.handlers[e.Timer.Kind]
	t.mu.Unlock()
	var res pipeline.TimerResult
	var err error
	switch {
	case h == nil:
		err = lead.Errorf(lead.EINTERNAL, "no handler for timers of kind %q", e.Timer.Kind)
	default:
		res, err = call(ctx, h, e.Timer)
		if err == nil && !res.Done && !res.NextAt.After(e.Timer.At) {
			err = lead.Errorf(lead.EINTERNAL, "timer %s: handler asked to wait again until %s, not after the timer's time %s", e.Timer.Key, res.NextAt.Format(time.RFC3339), e.Timer.At.Format(time.RFC3339))
		}
	}
	if err != nil && ctx.Err() != nil {
		t.unfire(e)
		return
	}
	t.settle(e, res, err, now)
}

func call(ctx context.Context, h Handler, tm pipeline.Timer) (res pipeline.TimerResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = lead.Errorf(lead.EINTERNAL, "timer handler panicked: %v", r)
		}
	}()
	return h(ctx, tm)
}

func (t *Timers) settle(e *entry, res pipeline.TimerResult, herr error, now time.Time) {
	key := e.Timer.Key
	l := t.keyLock(key)
	l.Lock()
	defer l.Unlock()

	var next *entry
	var failed *FailedTimer
	switch {
	case herr == nil && res.Done:
	case herr == nil:
		tm := e.Timer
		tm.At = res.NextAt
		next = &entry{Timer: tm}
	case e.Attempts+1 >= t.cfg.attempts:
		failed = &FailedTimer{Timer: e.Timer, Attempts: e.Attempts + 1, LastError: herr.Error(), FailedAt: now}
		t.cfg.log.Error("localtimer: timer failed on every attempt", "kind", e.Timer.Kind, "lead_id", e.Timer.LeadID, "attempts", failed.Attempts, "code", lead.ErrorCode(herr))
	default:
		next = &entry{Timer: e.Timer, Attempts: e.Attempts + 1, RetryAt: now.Add(t.retryDelay(e.Attempts + 1)), LastError: herr.Error()}
		t.cfg.log.Warn("localtimer: timer handler failed", "kind", e.Timer.Kind, "lead_id", e.Timer.LeadID, "attempt", next.Attempts, "code", lead.ErrorCode(herr))
	}
	err := t.commit.Do(func(tx *bolt.Tx) error { return t.record(tx, e.Timer, now, next, failed) })
	if err != nil {
		// Nothing changed on disk: the timer fires again as it was.
		t.cfg.log.Error("localtimer: cannot record timer outcome", "kind", e.Timer.Kind, "lead_id", e.Timer.LeadID, "code", lead.ErrorCode(err))
		t.unfire(e)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[key] != e {
		return // cancelled while its handler ran
	}
	if next == nil {
		delete(t.pending, key)
		return
	}
	next.index = -1
	t.pending[key] = next
	heap.Push(&t.heap, next)
}

// record writes the outcome of a firing, unless the timer was cancelled
// meanwhile.
func (t *Timers) record(tx *bolt.Tx, tm pipeline.Timer, now time.Time, next *entry, failed *FailedTimer) error {
	k := []byte(tm.Key)
	p := bucket(tx, pendingBucket)
	if p.Get(k) == nil {
		return nil
	}
	if next != nil {
		v, err := json.Marshal(next)
		if err != nil {
			return err
		}
		return p.Put(k, v)
	}
	if err := p.Delete(k); err != nil {
		return err
	}
	if failed != nil {
		v, err := json.Marshal(failed)
		if err != nil {
			return err
		}
		return bucket(tx, failedBucket).Put(k, v)
	}
	return putUsed(tx, k, now, tm.LeadID)
}

func (t *Timers) retryDelay(attempt int) time.Duration {
	d := t.cfg.backoff << min(attempt-1, 32)
	if d <= 0 || d > maxBackoff {
		return maxBackoff
	}
	return d
}

// dueHeap orders pending timers by when they are due.
type dueHeap []*entry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due().Before(h[j].due()) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *dueHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}
