package localbus

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// erasable reports whether body is an event of leadID that erasure removes:
// every one but lead.erased, which exists to carry the erasure to the
// consumers.
func erasable(body []byte, leadID string) bool {
	_, dt, id := head(body)
	return id == leadID && dt != events.LeadErased
}

// Delete erases the messages of leadID waiting in any queue or dead-letter
// list (erasure on request), except lead.erased events. Messages in flight
// are left to their handler, which finds the lead gone. Deleting a lead
// without messages is not an error. Returns EINVALID for an empty lead id,
// EUNAVAILABLE if the bus is closed, or the disk's error.
func (b *Bus) Delete(ctx context.Context, leadID string) error {
	if leadID == "" {
		return lead.FieldError("lead_id", "no lead id")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Take the lead's waiting messages off the ready and delayed lists and
	// hold them as in flight, so that no poller takes them while the
	// deletion commits.
	held := map[*queue][]*message{}
	for _, q := range b.order {
		if msgs := q.hold(leadID); len(msgs) > 0 {
			held[q] = msgs
		}
	}
	dead := map[*queue]int{}
	err := b.commit.Do(func(tx *bolt.Tx) error {
		clear(dead)
		for _, q := range b.order {
			qb, db := bucket(tx, queueBucket(q.consumer)), bucket(tx, deadBucket(q.consumer))
			for _, m := range held[q] {
				if err := qb.Delete(key(m.seq)); err != nil {
					return err
				}
			}
			var doomed [][]byte
			err := db.ForEach(func(k, v []byte) error {
				var r record
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("decode dead letter of %s: %w", q.consumer, err)
				}
				if erasable(r.Body, leadID) {
					doomed = append(doomed, k)
				}
				return nil
			})
			if err != nil {
				return err
			}
			// A bucket must not change under ForEach: delete afterwards.
			for _, k := range doomed {
				if err := db.Delete(k); err != nil {
					return err
				}
			}
			dead[q] = len(doomed)
		}
		return nil
	})
	if err != nil {
		for q, msgs := range held {
			q.release(msgs)
		}
		return fmt.Errorf("delete messages of lead %s: %w", leadID, err)
	}
	for _, q := range b.order {
		q.mu.Lock()
		for _, m := range held[q] {
			delete(q.inflight, m.seq)
		}
		q.dead -= dead[q]
		q.settledLocked()
		q.mu.Unlock()
	}
	return nil
}

// hold moves the ready and delayed messages erasable for leadID to the
// in-flight set and returns them.
func (q *queue) hold(leadID string) []*message {
	q.mu.Lock()
	defer q.mu.Unlock()
	var held []*message
	keep := q.ready[:0]
	for _, m := range q.ready {
		if erasable(m.Body, leadID) {
			held = append(held, m)
			continue
		}
		keep = append(keep, m)
	}
	clear(q.ready[len(keep):])
	q.ready = keep
	delayed := q.delayed[:0]
	for _, m := range q.delayed {
		if erasable(m.Body, leadID) {
			held = append(held, m)
			continue
		}
		delayed = append(delayed, m)
	}
	clear(q.delayed[len(delayed):])
	q.delayed = delayed
	heap.Init(&q.delayed)
	for _, m := range held {
		q.inflight[m.seq] = m
	}
	return held
}
