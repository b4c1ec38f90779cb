package localbus

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// DeadLetter is a message that failed MaxReceives times.
type DeadLetter struct {
	MessageID    string            `json:"message_id"`
	Consumer     events.Consumer   `json:"consumer"`
	EventID      string            `json:"event_id,omitempty"`
	DetailType   events.DetailType `json:"detail_type,omitempty"`
	LeadID       string            `json:"lead_id,omitempty"`
	ReceiveCount int               `json:"receive_count"`
	LastError    string            `json:"last_error"`
	FirstFailure time.Time         `json:"first_failure"`
	LastFailure  time.Time         `json:"last_failure"`
}

// consumers returns the queues c names: all of them for "".
func (b *Bus) consumers(c events.Consumer) ([]*queue, error) {
	if c == "" {
		return b.order, nil
	}
	q, ok := b.queues[c]
	if !ok {
		return nil, lead.Errorf(lead.EINVALID, "unknown consumer %q", c)
	}
	return []*queue{q}, nil
}

// DeadLetters lists the dead letters of consumer c, or of every consumer
// when c is "", in publish order within a consumer. Returns EINVALID for an
// unknown consumer, or the disk's error.
func (b *Bus) DeadLetters(c events.Consumer) ([]DeadLetter, error) {
	qs, err := b.consumers(c)
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	err = b.commit.DB().View(func(tx *bolt.Tx) error {
		for _, q := range qs {
			err := bucket(tx, deadBucket(q.consumer)).ForEach(func(k, v []byte) error {
				var r record
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("decode dead letter of %s: %w", q.consumer, err)
				}
				out = append(out, deadLetter(q.consumer, binary.BigEndian.Uint64(k), r))
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}

func deadLetter(c events.Consumer, seq uint64, r record) DeadLetter {
	d := DeadLetter{MessageID: messageID(seq), Consumer: c, ReceiveCount: r.Receives, LastError: r.LastError, FirstFailure: r.FirstFailure, LastFailure: r.LastFailure}
	d.EventID, d.DetailType, d.LeadID = head(r.Body)
	return d
}

// head returns the event id, detail-type and lead id of an envelope body;
// empty strings for a body that is not an envelope.
func head(body []byte) (id string, dt events.DetailType, leadID string) {
	var env struct {
		ID         string            `json:"id"`
		DetailType events.DetailType `json:"detail-type"`
		Detail     struct {
			LeadID string `json:"lead_id"`
		} `json:"detail"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "", "", ""
	}
	return env.ID, env.DetailType, env.Detail.LeadID
}

// Redrive moves dead letters of consumer c (every consumer for "") back to
// their queue with a fresh receive count: those named by ids, or all of
// them when ids is empty. Ids not in the dead-letter list are skipped; it
// returns how many messages moved. Returns EINVALID for an unknown consumer
// or a malformed id, EUNAVAILABLE if the bus is closed, or the disk's error.
func (b *Bus) Redrive(ctx context.Context, c events.Consumer, ids ...string) (int, error) {
	qs, err := b.consumers(c)
	if err != nil {
		return 0, err
	}
	want := map[uint64]bool{}
	for _, id := range ids {
		seq, err := parseID(id)
		if err != nil {
			return 0, err
		}
		want[seq] = true
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	moved := map[*queue][]*message{}
	err = b.commit.Do(func(tx *bolt.Tx) error {
		clear(moved)
		for _, q := range qs {
			qb, db := bucket(tx, queueBucket(q.consumer)), bucket(tx, deadBucket(q.consumer))
			var keys [][]byte
			err := db.ForEach(func(k, v []byte) error {
				seq := binary.BigEndian.Uint64(k)
				if len(want) > 0 && !want[seq] {
					return nil
				}
				m := &message{seq: seq}
				if err := json.Unmarshal(v, &m.record); err != nil {
					return fmt.Errorf("decode dead letter %s of %s: %w", m.id(), q.consumer, err)
				}
				m.Receives, m.FirstFailure, m.LastFailure, m.LastError, m.VisibleAt = 0, time.Time{}, time.Time{}, "", time.Time{}
				moved[q] = append(moved[q], m)
				keys = append(keys, k)
				return nil
			})
			if err != nil {
				return err
			}
			// A bucket must not change under ForEach: delete afterwards.
			for i, k := range keys {
				if err := db.Delete(k); err != nil {
					return err
				}
				if err := putRecord(qb, moved[q][i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("redrive dead letters of %q: %w", c, err)
	}
	n := 0
	for q, msgs := range moved {
		q.mu.Lock()
		q.dead -= len(msgs)
		q.mu.Unlock()
		q.add(msgs)
		n += len(msgs)
	}
	return n, nil
}
