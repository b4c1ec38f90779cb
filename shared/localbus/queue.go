package localbus

import (
	"container/heap"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// record is a message as stored on disk, in its consumer's queue or
// dead-letter bucket.
type record struct {
	// Body is the envelope JSON, stored as is (not base64) to keep commits
	// small.
	Body         json.RawMessage `json:"body"`
	SentAt       time.Time       `json:"sent_at"`
	Receives     int             `json:"receives,omitempty"`
	FirstFailure time.Time       `json:"first_failure,omitzero"`
	LastFailure  time.Time       `json:"last_failure,omitzero"`
	LastError    string          `json:"last_error,omitempty"`
	VisibleAt    time.Time       `json:"visible_at,omitzero"`
}

// message is a queued record with its identity and in-memory state.
type message struct {
	seq uint64
	record
	firstReceive time.Time
}

func (m *message) id() string { return messageID(m.seq) }

func messageID(seq uint64) string { return fmt.Sprintf("%016x", seq) }

func key(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// parseID returns the sequence of a message id, or EINVALID.
func parseID(id string) (uint64, error) {
	seq, err := strconv.ParseUint(id, 16, 64)
	if err != nil || len(id) != 16 {
		return 0, lead.Errorf(lead.EINVALID, "malformed message id %q", id)
	}
	return seq, nil
}

// queue is the in-memory index of one consumer's queue: ready messages in
// FIFO order, messages waiting for a retry ordered by visibility, and those
// handed to a handler. The disk holds every message of the first three
// kinds; the index is rebuilt from it at Open.
type queue struct {
	consumer events.Consumer
	arn      string
	bus      *Bus

	mu       sync.Mutex
	cond     *sync.Cond // signalled when a message becomes ready or the queue stops
	ready    []*message
	delayed  delayHeap
	inflight map[uint64]*message
	dead     int
	handler  Handler
	stopping bool
	timer    *time.Timer // promotes the earliest delayed message
}

func newQueue(b *Bus, c events.Consumer) *queue {
	q := &queue{consumer: c, arn: "arn:aws:sqs:local:000000000000:leadflow-" + string(c), bus: b, inflight: map[uint64]*message{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// workLocked counts the messages the queue still has to deliver.
func (q *queue) workLocked() int { return len(q.ready) + len(q.delayed) + len(q.inflight) }

// settledLocked tells WaitIdle to look again once a subscribed queue has
// nothing left to deliver.
func (q *queue) settledLocked() {
	if q.handler != nil && q.workLocked() == 0 {
		q.bus.signalIdle()
	}
}

// add makes messages deliverable: ready now, or at their VisibleAt.
func (q *queue) add(msgs []*message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	n := 0
	for _, m := range msgs {
		if m.VisibleAt.After(now) {
			q.pushDelayedLocked(m)
			continue
		}
		q.ready = append(q.ready, m)
		n++
	}
	q.wakeLocked(n)
}

func (q *queue) wakeLocked(n int) {
	switch {
	case n == 1:
		q.cond.Signal()
	case n > 1:
		q.cond.Broadcast()
	}
}

// receive blocks until messages are ready or the queue stops; it hands out
// at most max of them and returns nil when stopping.
func (q *queue) receive(max int) []*message {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 && !q.stopping {
		q.cond.Wait()
	}
	if q.stopping {
		return nil
	}
	n := min(max, len(q.ready))
	batch := make([]*message, n)
	copy(batch, q.ready)
	clear(q.ready[:n])
	q.ready = q.ready[n:]
	now := time.Now()
	for _, m := range batch {
		m.Receives++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		q.inflight[m.seq] = m
	}
	return batch
}

// release puts in-flight messages back, visible at once: their handler was
// abandoned or their outcome could not be recorded.
func (q *queue) release(batch []*message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range batch {
		delete(q.inflight, m.seq)
		q.ready = append(q.ready, m)
	}
	q.wakeLocked(len(batch))
}

// settle removes acknowledged and dead-lettered messages and schedules the
// retries, after the disk has recorded the same.
func (q *queue) settle(done, retry, dead []*message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range done {
		delete(q.inflight, m.seq)
	}
	for _, m := range dead {
		delete(q.inflight, m.seq)
	}
	q.dead += len(dead)
	for _, m := range retry {
		delete(q.inflight, m.seq)
		q.pushDelayedLocked(m)
	}
	q.settledLocked()
}

func (q *queue) pushDelayedLocked(m *message) {
	heap.Push(&q.delayed, m)
	if q.delayed[0] == m {
		q.armLocked()
	}
}

func (q *queue) armLocked() {
	d := time.Until(q.delayed[0].VisibleAt)
	if q.timer == nil {
		q.timer = time.AfterFunc(d, q.promote)
		return
	}
	q.timer.Reset(d)
}

// promote moves the delayed messages whose visibility has come to the ready
// list.
func (q *queue) promote() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	n := 0
	for len(q.delayed) > 0 && !q.delayed[0].VisibleAt.After(now) {
		q.ready = append(q.ready, heap.Pop(&q.delayed).(*message))
		n++
	}
	if len(q.delayed) > 0 {
		q.armLocked()
	}
	q.wakeLocked(n)
}

func (q *queue) stop(stopping bool) {
	q.mu.Lock()
	q.stopping = stopping
	q.cond.Broadcast()
	q.mu.Unlock()
}

func (q *queue) stats() QueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return QueueStats{Consumer: q.consumer, Ready: len(q.ready), Delayed: len(q.delayed), InFlight: len(q.inflight), DeadLetters: q.dead}
}

// delayHeap orders messages by VisibleAt.
type delayHeap []*message

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].VisibleAt.Before(h[j].VisibleAt) }
func (h delayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)        { *h = append(*h, x.(*message)) }
func (h *delayHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return m
}
