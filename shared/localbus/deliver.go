package localbus

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"
	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/lead"
)

// poll delivers batches of q to h until q stops. Outcomes are recorded in
// the background (tracked by acks): a poller takes its next batch while the
// previous one's commit syncs, and the batch's messages stay in flight
// until then.
func (b *Bus) poll(hard context.Context, q *queue, h Handler, acks *sync.WaitGroup) {
	for {
		batch := q.receive(b.opts.BatchSize)
		if batch == nil {
			return
		}
		b.deliver(hard, q, h, batch, acks)
	}
}

// outcome is what became of one handler call.
type outcome struct {
	resp  awsevents.SQSEventResponse
	err   error
	panic any
	stack []byte // of the panicking handler
}

// deliver calls h with batch and records the result. The handler runs in
// its own goroutine so that one exceeding the visibility timeout, or still
// running when the drain gives up, does not hold the poller.
func (b *Bus) deliver(hard context.Context, q *queue, h Handler, batch []*message, acks *sync.WaitGroup) {
	ev := q.event(batch)
	ctx, cancel := context.WithTimeout(hard, b.opts.VisibilityTimeout)
	defer cancel()
	res := make(chan outcome, 1)
	go func() { res <- call(ctx, h, ev) }()
	var o outcome
	select {
	case o = <-res:
	case <-ctx.Done():
		if hard.Err() != nil {
			q.release(batch)
			return
		}
		o = outcome{err: lead.Errorf(lead.EUNAVAILABLE, "handler exceeded the visibility timeout of %s", b.opts.VisibilityTimeout)}
	}
	failed, reason := b.failures(q, batch, o)
	acks.Go(func() { b.record(q, batch, failed, reason) })
}

func call(ctx context.Context, h Handler, ev awsevents.SQSEvent) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			o = outcome{panic: r, stack: debug.Stack()}
		}
	}()
	resp, err := h(ctx, ev)
	return outcome{resp: resp, err: err}
}

// failures returns the messages of batch that failed and why. As with
// Lambda, an error, a panic or a failure naming no message of the batch
// fails the whole batch.
func (b *Bus) failures(q *queue, batch []*message, o outcome) (map[uint64]bool, string) {
	all := func() map[uint64]bool {
		f := make(map[uint64]bool, len(batch))
		for _, m := range batch {
			f[m.seq] = true
		}
		return f
	}
	switch {
	case o.panic != nil:
		// The panic value may quote message data: it goes to the
		// dead-letter record, never to the log.
		b.log.Error("localbus: handler panicked", "consumer", q.consumer, "messages", len(batch), "panic_type", fmt.Sprintf("%T", o.panic), "stack", string(o.stack))
		return all(), fmt.Sprintf("handler panicked: %v", o.panic)
	case o.err != nil:
		b.log.Warn("localbus: batch failed", "consumer", q.consumer, "messages", len(batch), "code", lead.ErrorCode(o.err))
		return all(), o.err.Error()
	case len(o.resp.BatchItemFailures) == 0:
		return nil, ""
	}
	inBatch := make(map[uint64]bool, len(batch))
	for _, m := range batch {
		inBatch[m.seq] = true
	}
	failed := map[uint64]bool{}
	for _, f := range o.resp.BatchItemFailures {
		seq, err := parseID(f.ItemIdentifier)
		if err != nil || !inBatch[seq] {
			b.log.Warn("localbus: batch item failure names no message of the batch", "consumer", q.consumer, "messages", len(batch))
			return all(), fmt.Sprintf("batch item failure %q names no message of the batch", f.ItemIdentifier)
		}
		failed[seq] = true
	}
	b.log.Warn("localbus: batch items failed", "consumer", q.consumer, "messages", len(batch), "failed", len(failed))
	return failed, "reported in batchItemFailures"
}

// record deletes the acknowledged messages, stores the failures for a retry
// or moves them to the dead-letter list, in one transaction, then updates
// the in-memory queue the same way.
func (b *Bus) record(q *queue, batch []*message, failed map[uint64]bool, reason string) {
	now := time.Now()
	var done, retry, dead []*message
	for _, m := range batch {
		if !failed[m.seq] {
			done = append(done, m)
			continue
		}
		if m.FirstFailure.IsZero() {
			m.FirstFailure = now
		}
		m.LastFailure = now
		m.LastError = reason
		if m.Receives >= b.opts.MaxReceives {
			m.VisibleAt = time.Time{}
			dead = append(dead, m)
			continue
		}
		m.VisibleAt = now.Add(b.backoff(m.Receives))
		retry = append(retry, m)
	}
	err := b.commit.Do(func(tx *bolt.Tx) error {
		qb, db := bucket(tx, queueBucket(q.consumer)), bucket(tx, deadBucket(q.consumer))
		for _, m := range done {
			if err := qb.Delete(key(m.seq)); err != nil {
				return err
			}
		}
		for _, m := range retry {
			if err := putRecord(qb, m); err != nil {
				return err
			}
		}
		for _, m := range dead {
			if err := qb.Delete(key(m.seq)); err != nil {
				return err
			}
			if err := putRecord(db, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Nothing was recorded: deliver the whole batch again later.
		b.log.Error("localbus: cannot record batch outcome", "consumer", q.consumer, "messages", len(batch), "code", lead.ErrorCode(err))
		for _, m := range batch {
			m.VisibleAt = now.Add(b.backoff(m.Receives))
		}
		q.settle(nil, batch, nil)
		return
	}
	for _, m := range dead {
		b.log.Error("localbus: message moved to the dead-letter list", "consumer", q.consumer, "message_id", m.id(), "receives", m.Receives)
	}
	q.settle(done, retry, dead)
}

func putRecord(bk *bolt.Bucket, m *message) error {
	v, err := json.Marshal(&m.record)
	if err != nil {
		return fmt.Errorf("encode message %s: %w", m.id(), err)
	}
	return bk.Put(key(m.seq), v)
}

// event builds the SQS event a Lambda would receive for batch.
func (q *queue) event(batch []*message) awsevents.SQSEvent {
	recs := make([]awsevents.SQSMessage, len(batch))
	for i, m := range batch {
		sum := md5.Sum(m.Body)
		recs[i] = awsevents.SQSMessage{
			MessageId:     m.id(),
			ReceiptHandle: m.id() + "-" + strconv.Itoa(m.Receives),
			Body:          string(m.Body),
			Md5OfBody:     hex.EncodeToString(sum[:]),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          strconv.Itoa(m.Receives),
				"SentTimestamp":                    strconv.FormatInt(m.SentAt.UnixMilli(), 10),
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
				"SenderId":                         "leadflow-local",
			},
			MessageAttributes: map[string]awsevents.SQSMessageAttribute{},
			EventSourceARN:    q.arn,
			EventSource:       "aws:sqs",
			AWSRegion:         "local",
		}
	}
	return awsevents.SQSEvent{Records: recs}
}
