// Package localbus is the in-process EventBridge bus and SQS queues of
// `leadflow dev`. Publish copies each envelope to the queue of every consumer
// that events.Routes names for its detail type; pollers hand batches to
// handlers typed exactly like the Lambda SQS handlers, with at-least-once
// delivery, partial batch failures, retries with backoff and a durable
// dead-letter list per consumer.
//
// Every message lives in a bbolt file until its handler succeeds, so a
// restart delivers whatever was not acknowledged. Writes of concurrent
// publishers and pollers share commits (see groupcommit), and pollers are
// woken by a condition variable rather than by polling, so a hop costs about
// one commit.
//
// Retry backoff and the visibility timeout run on real time, not on the
// pipeline's clock: they pace a mechanism, and a manual demo clock must not
// freeze retries.
package localbus

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"
	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/internal/groupcommit"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

var (
	_ pipeline.Publisher = (*Bus)(nil)
	_ pipeline.Sender    = (*Bus)(nil)
)

// Handler processes a batch of one consumer's queue, exactly as the
// consumer's Lambda does: the records' bodies are envelope JSON, failed
// records are named by MessageId in BatchItemFailures, and an error fails
// the whole batch.
type Handler func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error)

// Options tunes the bus; zero fields take the defaults documented on each.
type Options struct {
	// Concurrency is the number of pollers per subscribed queue (4).
	Concurrency int
	// BatchSize is the most records a handler gets at once (10). A poller
	// does not wait to fill a batch.
	BatchSize int
	// VisibilityTimeout bounds one handler call (30s): its context expires
	// then, and a batch that has not returned counts as failed. The late
	// handler is not stopped, so its messages may be processed twice.
	VisibilityTimeout time.Duration
	// MaxReceives is how many times a message is delivered before it moves
	// to its consumer's dead-letter list (5).
	MaxReceives int
	// BaseBackoff is the delay before the first retry (100ms); it doubles
	// with each receive, with jitter, up to MaxBackoff (30s).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// DrainTimeout bounds how long Run waits for in-flight handlers after
	// its context is cancelled (10s).
	DrainTimeout time.Duration
	// Logger receives operational logs, never message bodies
	// (slog.Default()).
	Logger *slog.Logger
	// NoSync skips the fsync of each commit: a message then survives a
	// crash of the process but not of the machine, and a machine crash may
	// corrupt the file. For demos and benchmarks on slow disks only. Only
	// Open honours it: a bus sharing its file (New) syncs as the file does,
	// since the other data in it must survive a crash.
	NoSync bool
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Concurrency, 4)
	def(&o.BatchSize, 10)
	def(&o.MaxReceives, 5)
	defDur(&o.VisibilityTimeout, 30*time.Second)
	defDur(&o.BaseBackoff, 100*time.Millisecond)
	defDur(&o.MaxBackoff, 30*time.Second)
	defDur(&o.DrainTimeout, 10*time.Second)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// QueueStats describes one consumer's queue.
type QueueStats struct {
	Consumer    events.Consumer `json:"consumer"`
	Ready       int             `json:"ready"`        // deliverable now
	Delayed     int             `json:"delayed"`      // waiting for a retry
	InFlight    int             `json:"in_flight"`    // with a handler
	DeadLetters int             `json:"dead_letters"` // in the dead-letter list
}

// Bus is the local event bus with one durable queue per consumer. It is safe
// for concurrent use.
type Bus struct {
	commit *groupcommit.Committer
	owned  bool // Close closes the file: Open opened it
	opts   Options
	log    *slog.Logger
	seq    atomic.Uint64
	queues map[events.Consumer]*queue
	order  []*queue // events.Routes order, for stable listings

	mu      sync.Mutex
	running bool
	closed  bool

	idleMu sync.Mutex
	idleCh chan struct{} // closed and replaced when a subscribed queue empties
}

// Bucket is the top-level bucket that holds the bus's buckets, so that the
// bus can share a file with other adapters.
const Bucket = "bus"

var root = []byte(Bucket)

var metaBucket = []byte("meta")

var seqKey = []byte("seq")

func queueBucket(c events.Consumer) []byte { return []byte("queue/" + string(c)) }

func deadBucket(c events.Consumer) []byte { return []byte("dlq/" + string(c)) }

func bucket(tx *bolt.Tx, name []byte) *bolt.Bucket { return tx.Bucket(root).Bucket(name) }

// Open opens (creating if needed) the bus stored at path, with one queue per
// consumer of events.Routes. Messages left unacknowledged by a previous
// process are deliverable again. Returns an error if the file cannot be
// opened (another process holding it makes Open fail after a second) or
// holds undecodable data.
func Open(path string, opts Options) (*Bus, error) {
	b, err := groupcommit.OpenFile(path, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType, NoSync: opts.NoSync},
		func(c *groupcommit.Committer) (*Bus, error) { return New(c, opts) })
	if err != nil {
		return nil, fmt.Errorf("open bus %s: %w", path, err)
	}
	b.owned = true
	return b, nil
}

// New keeps the bus in the file c commits to, beside other adapters' data,
// sharing their commits: a store on the same file can publish in its own
// transactions through Stage. Messages left unacknowledged by a previous
// process are deliverable again. Close leaves c and its file open. Returns
// an error if the stored messages cannot be read or decoded.
func New(c *groupcommit.Committer, opts Options) (*Bus, error) {
	opts = opts.withDefaults()
	b := &Bus{commit: c, opts: opts, log: opts.Logger, queues: map[events.Consumer]*queue{}, idleCh: make(chan struct{})}
	for _, r := range events.Routes {
		q := newQueue(b, r.Consumer)
		b.queues[r.Consumer] = q
		b.order = append(b.order, q)
	}
	if err := b.load(); err != nil {
		return nil, err
	}
	return b, nil
}

// load creates the buckets and rebuilds the in-memory queues from disk.
func (b *Bus) load() error {
	return b.commit.DB().Update(func(tx *bolt.Tx) error {
		r, err := tx.CreateBucketIfNotExists(root)
		if err != nil {
			return err
		}
		meta, err := r.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		hi := uint64(0)
		if v := meta.Get(seqKey); len(v) == 8 {
			hi = binary.BigEndian.Uint64(v)
		}
		for _, q := range b.order {
			qb, err := r.CreateBucketIfNotExists(queueBucket(q.consumer))
			if err != nil {
				return err
			}
			var msgs []*message
			err = qb.ForEach(func(k, v []byte) error {
				m := &message{seq: binary.BigEndian.Uint64(k)}
				if err := json.Unmarshal(v, &m.record); err != nil {
					return fmt.Errorf("decode message %s of %s: %w", m.id(), q.consumer, err)
				}
				msgs = append(msgs, m)
				hi = max(hi, m.seq)
				return nil
			})
			if err != nil {
				return err
			}
			q.add(msgs)
			dq, err := r.CreateBucketIfNotExists(deadBucket(q.consumer))
			if err != nil {
				return err
			}
			q.dead = dq.Stats().KeyN
			if k, _ := dq.Cursor().Last(); k != nil {
				hi = max(hi, binary.BigEndian.Uint64(k))
			}
		}
		b.seq.Store(hi)
		return nil
	})
}

// Close stops the bus and closes its file if Open opened it; call it after
// Run has returned. Messages not yet acknowledged stay on disk. Returns the
// error of closing the file.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	for _, q := range b.order {
		q.mu.Lock()
		if q.timer != nil {
			q.timer.Stop()
		}
		q.mu.Unlock()
		q.stop(true)
	}
	if !b.owned {
		return nil
	}
	b.commit.Close()
	if err := b.commit.DB().Close(); err != nil {
		return fmt.Errorf("close bus: %w", err)
	}
	return nil
}

// Publish puts a copy of each envelope on the queue of every consumer routed
// to its detail type, durably and atomically, before it returns; an
// envelope no consumer wants is dropped, as EventBridge does. Returns
// EINVALID for an envelope without a detail-type or whose detail is not a
// JSON object, ETOOLARGE for one over events.MaxSize (nothing is published
// then), EUNAVAILABLE if the bus is closed, or the disk's error.
func (b *Bus) Publish(ctx context.Context, envs ...events.Envelope) error {
	bodies := make([]json.RawMessage, 0, len(envs))
	for _, env := range envs {
		body, err := events.Encode(env)
		if err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		bodies = append(bodies, body)
	}
	st, err := b.stage(bodies)
	if err == nil {
		err = b.enqueue(ctx, st)
	}
	if err != nil {
		return fmt.Errorf("publish %d events: %w", len(envs), err)
	}
	return nil
}

// Stage prepares envelopes, given as envelope JSON (a lead's pending
// events), for publication in a write transaction of the file the bus
// shares, so that a store publishes atomically with its own write (the
// transactional outbox). put stores them in tx, and may run more than once;
// deliver makes them deliverable, to be called once, after tx is durable.
// Returns EINVALID for a body that is not an envelope with a detail-type.
func (b *Bus) Stage(bodies []json.RawMessage) (put func(*bolt.Tx) error, deliver func(), err error) {
	st, err := b.stage(bodies)
	if err != nil {
		return nil, nil, fmt.Errorf("stage %d events: %w", len(bodies), err)
	}
	return st.put, st.deliver, nil
}

// staged holds messages encoded for their queues, not yet stored.
type staged struct {
	b    *Bus
	out  map[events.Consumer][]*message
	puts []put
	hi   uint64
}

type put struct {
	bucket []byte
	key    []byte
	value  []byte
}

// stage routes each body to the queues of its detail type and encodes the
// messages.
func (b *Bus) stage(bodies []json.RawMessage) (*staged, error) {
	out := map[events.Consumer][]*message{}
	for _, body := range bodies {
		var env struct {
			ID         string            `json:"id"`
			DetailType events.DetailType `json:"detail-type"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, &lead.Error{Code: lead.EINVALID, Message: "event is not an envelope", Err: err}
		}
		if env.DetailType == "" {
			return nil, lead.Errorf(lead.EINVALID, "event %s: no detail-type", env.ID)
		}
		for _, c := range events.ConsumersOf(env.DetailType) {
			out[c] = append(out[c], b.newMessage(body))
		}
	}
	return b.encode(out)
}

func (b *Bus) encode(out map[events.Consumer][]*message) (*staged, error) {
	st := &staged{b: b, out: out}
	for c, msgs := range out {
		for _, m := range msgs {
			v, err := json.Marshal(&m.record)
			if err != nil {
				return nil, fmt.Errorf("encode message: %w", err)
			}
			st.puts = append(st.puts, put{queueBucket(c), key(m.seq), v})
			st.hi = max(st.hi, m.seq)
		}
	}
	return st, nil
}

// put stores the messages in tx.
func (st *staged) put(tx *bolt.Tx) error {
	if len(st.puts) == 0 {
		return nil
	}
	for _, p := range st.puts {
		if err := bucket(tx, p.bucket).Put(p.key, p.value); err != nil {
			return err
		}
	}
	// The high-water mark keeps ids unique after every message is gone.
	meta := bucket(tx, metaBucket)
	if v := meta.Get(seqKey); len(v) == 8 && binary.BigEndian.Uint64(v) >= st.hi {
		return nil
	}
	return meta.Put(seqKey, key(st.hi))
}

// deliver makes the stored messages deliverable.
func (st *staged) deliver() {
	for c, msgs := range st.out {
		st.b.queues[c].add(msgs)
	}
}

// Send puts the envelopes straight on one consumer's queue, durably, before
// it returns. Returns EINVALID for an unknown consumer or an envelope
// Publish refuses, ETOOLARGE for one over events.MaxSize (nothing is sent
// then), EUNAVAILABLE if the bus is closed, or the disk's error.
func (b *Bus) Send(ctx context.Context, to events.Consumer, envs ...events.Envelope) error {
	if _, ok := b.queues[to]; !ok {
		return lead.Errorf(lead.EINVALID, "send to unknown consumer %q", to)
	}
	msgs := make([]*message, 0, len(envs))
	for _, env := range envs {
		body, err := events.Encode(env)
		if err != nil {
			return fmt.Errorf("send to %s: %w", to, err)
		}
		msgs = append(msgs, b.newMessage(body))
	}
	st, err := b.encode(map[events.Consumer][]*message{to: msgs})
	if err == nil {
		err = b.enqueue(ctx, st)
	}
	if err != nil {
		return fmt.Errorf("send %d events to %s: %w", len(envs), to, err)
	}
	return nil
}

func (b *Bus) newMessage(body []byte) *message {
	return &message{seq: b.seq.Add(1), record: record{Body: body, SentAt: time.Now()}}
}

// enqueue stores staged messages in a transaction of their own, then makes
// them deliverable: a handler can never acknowledge a message not yet
// durable.
func (b *Bus) enqueue(ctx context.Context, st *staged) error {
	if len(st.puts) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return lead.Errorf(lead.EUNAVAILABLE, "bus closed")
	}
	if err := b.commit.Do(st.put); err != nil {
		return err
	}
	st.deliver()
	return nil
}

// Subscribe sets the handler of consumer c's queue; Run delivers to it.
// Returns EINVALID for an unknown consumer, a nil handler, a queue already
// subscribed, or a call while Run is running.
func (b *Bus) Subscribe(c events.Consumer, h Handler) error {
	q, ok := b.queues[c]
	if !ok {
		return lead.Errorf(lead.EINVALID, "subscribe to unknown consumer %q", c)
	}
	if h == nil {
		return lead.Errorf(lead.EINVALID, "subscribe to %s: nil handler", c)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running {
		return lead.Errorf(lead.EINVALID, "subscribe to %s: the bus is running", c)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.handler != nil {
		return lead.Errorf(lead.EINVALID, "subscribe to %s: already subscribed", c)
	}
	q.handler = h
	return nil
}

// Run delivers messages to the subscribed handlers until ctx is cancelled,
// then stops taking batches and waits up to DrainTimeout for the handlers in
// flight. It returns nil after a complete drain, and an EUNAVAILABLE error
// when it gave up waiting (handler contexts are then cancelled; their
// messages stay on disk and are delivered again). Returns EINVALID if Run is
// already running and EUNAVAILABLE if the bus is closed.
func (b *Bus) Run(ctx context.Context) error {
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		return lead.Errorf(lead.EUNAVAILABLE, "run bus: closed")
	case b.running:
		b.mu.Unlock()
		return lead.Errorf(lead.EINVALID, "run bus: already running")
	}
	b.running = true
	type sub struct {
		q *queue
		h Handler
	}
	var subs []sub
	for _, q := range b.order {
		q.mu.Lock()
		if q.handler != nil {
			subs = append(subs, sub{q, q.handler})
		}
		q.stopping = false
		q.mu.Unlock()
	}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.running = false
		b.mu.Unlock()
	}()

	// Handlers outlive ctx while draining; hard ends them when the drain
	// times out.
	hard, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	var wg, acks sync.WaitGroup
	for _, s := range subs {
		for range b.opts.Concurrency {
			wg.Go(func() { b.poll(hard, s.q, s.h, &acks) })
		}
	}
	<-ctx.Done()
	for _, s := range subs {
		s.q.stop(true)
	}
	drained := make(chan struct{})
	go func() {
		wg.Wait()
		acks.Wait()
		close(drained)
	}()
	t := time.NewTimer(b.opts.DrainTimeout)
	defer t.Stop()
	select {
	case <-drained:
		return nil
	case <-t.C:
		abandon()
		<-drained
		return lead.Errorf(lead.EUNAVAILABLE, "run bus: handlers still running after %s; their messages will be delivered again", b.opts.DrainTimeout)
	}
}

// Idle reports whether every subscribed queue is empty: no message ready,
// in flight, or waiting for a retry. Dead letters and the queues of
// consumers nobody subscribed are not counted, since the bus cannot make
// progress on them.
func (b *Bus) Idle() bool {
	for _, q := range b.order {
		q.mu.Lock()
		busy := q.handler != nil && q.workLocked() > 0
		q.mu.Unlock()
		if busy {
			return false
		}
	}
	return true
}

// WaitIdle blocks until Idle is true (which needs Run to be running if any
// subscribed queue holds messages). Returns ctx's error if ctx ends first.
func (b *Bus) WaitIdle(ctx context.Context) error {
	for {
		b.idleMu.Lock()
		ch := b.idleCh
		b.idleMu.Unlock()
		if b.Idle() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for idle bus: %w", ctx.Err())
		}
	}
}

func (b *Bus) signalIdle() {
	b.idleMu.Lock()
	close(b.idleCh)
	b.idleCh = make(chan struct{})
	b.idleMu.Unlock()
}

// Stats returns the state of every queue, in events.Routes order.
func (b *Bus) Stats() []QueueStats {
	out := make([]QueueStats, len(b.order))
	for i, q := range b.order {
		out[i] = q.stats()
	}
	return out
}

// backoff returns the delay before delivering a message again after its
// receives-th failed receive: exponential, with jitter so that a burst of
// failures does not come back as a burst.
func (b *Bus) backoff(receives int) time.Duration {
	d := b.opts.BaseBackoff << min(receives-1, 32)
	if d <= 0 || d > b.opts.MaxBackoff {
		d = b.opts.MaxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}
