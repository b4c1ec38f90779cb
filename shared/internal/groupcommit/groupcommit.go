// Package groupcommit shares bbolt write transactions, and so their fsyncs,
// between concurrent writers. The local store, bus, timers and outbox write
// on every hop of a lead; one commit costs two fsyncs (several milliseconds),
// so without sharing, throughput is bounded by the disk rather than the work.
// They share one file and one Committer in the local runtime, so that every
// write of a moment, whichever adapter makes it, rides on one commit.
//
// bbolt's own db.Batch opens a batch window (MaxBatchDelay, 10 ms by
// default) before committing, which a lone writer pays in full, and with a
// short window batches queue behind each other without merging. Here one
// committer commits as soon as a write arrives and, while that commit is
// syncing, gathers every write that arrives into the next transaction: a
// lone write pays one commit, a burst shares them.
package groupcommit

import (
	"sync"

	"github.com/leadflow/leadflow/shared/lead"
	bolt "go.etcd.io/bbolt"
)

// Committer applies write functions to a bbolt database in shared
// transactions. It is safe for concurrent use.
type Committer struct {
	db      *bolt.DB
	mu      sync.Mutex
	pending []request
	closed  bool
	wake    chan struct{}
	done    chan struct{}
}

type request struct {
	fn  func(*bolt.Tx) error
	err chan error
}

// New starts a committer on db. Call Close before closing db.
func New(db *bolt.DB) *Committer {
	c := &Committer{db: db, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c
}

// DB returns the database c commits to, for read transactions.
func (c *Committer) DB() *bolt.DB { return c.db }

// Do runs fn in a write transaction, possibly shared with other writers, and
// returns once the transaction is durable. fn may run more than once (when a
// shared transaction fails it reruns alone), so it must only change state
// through tx and reset anything it reports. Returns fn's error, bbolt's
// commit error, or EUNAVAILABLE after Close.
func (c *Committer) Do(fn func(*bolt.Tx) error) error {
	errc := make(chan error, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return lead.Errorf(lead.EUNAVAILABLE, "database closed")
	}
	c.pending = append(c.pending, request{fn: fn, err: errc})
	// Signal under the lock so that Close cannot close wake in between.
	select {
	case c.wake <- struct{}{}:
	default:
	}
	c.mu.Unlock()
	return <-errc
}

// Close commits the writes already submitted, then stops; later calls to Do
// return EUNAVAILABLE.
func (c *Committer) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return
	}
	c.closed = true
	close(c.wake)
	c.mu.Unlock()
	<-c.done
}

func (c *Committer) loop() {
	defer close(c.done)
	// A closed wake still yields its buffered signal, so writes submitted
	// before Close are committed.
	for range c.wake {
		c.mu.Lock()
		batch := c.pending
		c.pending = nil
		c.mu.Unlock()
		if len(batch) > 0 {
			c.commit(batch)
		}
	}
}

func (c *Committer) commit(batch []request) {
	err := c.db.Update(func(tx *bolt.Tx) error {
		for _, r := range batch {
			if err := r.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.err <- err
		}
		return
	}
	// One write failed and rolled back the others: rerun each alone so
	// that only the faulty one reports its error.
	for _, r := range batch {
		r.err <- c.db.Update(r.fn)
	}
}

// OpenFile opens (creating if needed) the bbolt file at path with opts, gives
// it a committer of its own and builds an adapter over it with build: the
// adapter's Open when it does not share a file. When build fails, the
// committer and the file are closed. Returns the open or build error.
func OpenFile[T any](path string, opts *bolt.Options, build func(*Committer) (T, error)) (T, error) {
	var zero T
	db, err := bolt.Open(path, 0o600, opts)
	if err != nil {
		return zero, err
	}
	c := New(db)
	a, err := build(c)
	if err != nil {
		c.Close()
		_ = db.Close()
		return zero, err
	}
	return a, nil
}
