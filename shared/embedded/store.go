// Package embedded implements the Store port on a bbolt file: the durable,
// pure-Go store of `leadflow dev`, with no server to install.
//
// Every commit is fsynced. Writes go through a group committer, so
// concurrent handlers share one commit and its fsyncs instead of queueing
// for the disk; the local runtime shares that committer, and the file, with
// its bus, timers and outbox, and has the store publish a lead's events in
// the transaction that writes the lead (WithRelay).
// The owner queue and the inactivity sweep read secondary indexes that every
// write maintains in the same transaction, so neither scans all leads.
package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/internal/groupcommit"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Bucket names. The layout of their keys is in keys.go.
var (
	bucketLeads       = []byte("leads")        // lead id → lead JSON
	bucketEmails      = []byte("emails")       // normalised email → lead id
	bucketActivities  = []byte("activities")   // lead, time, activity id → activity JSON
	bucketActivityIDs = []byte("activity_ids") // lead, activity id → nothing: dedupes by id
	bucketAccounts    = []byte("accounts")     // domain → account JSON
	bucketOnce        = []byte("once")         // key → expiry, value
	bucketCounters    = []byte("counters")     // name → big-endian int64
	bucketByOwner     = []byte("by_owner")     // owner, descending score, lead id → nothing
	bucketByActivity  = []byte("by_activity")  // last activity time, lead id → nothing
)

var allBuckets = [][]byte{bucketLeads, bucketEmails, bucketActivities, bucketActivityIDs, bucketAccounts, bucketOnce, bucketCounters, bucketByOwner, bucketByActivity}

// maxKeyLen bounds ids, emails, domains and keys; DynamoDB's sort-key limit
// is 1024 bytes, so nothing valid there is refused here.
const maxKeyLen = 1024

// Store is the embedded Store. It is safe for concurrent use. Besides the
// codes of the port, its methods return EUNAVAILABLE when the file cannot be
// read or written, after Close, or when ctx is done, and EINVALID for an
// empty or oversized key (id, email, domain, owner, counter or once key).
type Store struct {
	db     *bolt.DB
	commit *groupcommit.Committer
	owned  bool // Close closes the file: Open opened it
	now    func() time.Time
	relay  Relay
}

var _ pipeline.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	clock pipeline.Clock
	relay Relay
}

// WithClock makes the store read the time from c to expire PutOnce records,
// so that an accelerated or manual clock applies to them too.
func WithClock(c pipeline.Clock) Option { return func(o *options) { o.clock = c } }

// Relay publishes a lead's pending events (envelope JSON) in the write
// transaction of the lead: put stores them in tx and may run more than once;
// deliver runs once, after tx is durable. Returns EINVALID for events it
// cannot publish. localbus.Bus.Stage is one.
type Relay func(pending []json.RawMessage) (put func(*bolt.Tx) error, deliver func(), err error)

// WithRelay makes CreateLead and UpdateLead publish the lead's pending
// events through r in the lead's own transaction (a transactional outbox:
// the state change and its events are durable together, in one commit), and
// store the lead without them. r must write to the file the store commits to.
func WithRelay(r Relay) Option { return func(o *options) { o.relay = r } }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Open opens or creates the store file at path. Returns EUNAVAILABLE if the
// file cannot be opened or another Store holds it for 2 s.
func Open(path string, opts ...Option) (*Store, error) {
	// Without a timeout, a second process on the same file would block
	// forever on bbolt's file lock.
	// A commit costs two fsyncs: the committer commits a lone write at once
	// and gathers everything arriving meanwhile into the next commit, so a
	// burst of handlers shares them (bbolt's Batch window would delay a lone
	// write and split a burst into small commits).
	s, err := groupcommit.OpenFile(path, &bolt.Options{Timeout: 2 * time.Second},
		func(c *groupcommit.Committer) (*Store, error) { return New(c, opts...) })
	var le *lead.Error
	switch {
	case errors.As(err, &le):
		return nil, err // New's own error
	case err != nil:
		return nil, &lead.Error{Code: lead.EUNAVAILABLE, Message: "open store file", Err: err}
	}
	s.owned = true
	return s, nil
}

// New keeps the store in the file c commits to, beside other adapters'
// data, sharing their commits. Close leaves c and its file open. Returns
// EUNAVAILABLE if the file cannot be written.
func New(c *groupcommit.Committer, opts ...Option) (*Store, error) {
	o := options{clock: systemClock{}}
	for _, opt := range opts {
		opt(&o)
	}
	err := c.DB().Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, &lead.Error{Code: lead.EUNAVAILABLE, Message: "initialise store file", Err: err}
	}
	return &Store{db: c.DB(), commit: c, now: o.clock.Now, relay: o.relay}, nil
}

// Close closes the file, if Open opened it, once running transactions end.
// Calls after Close (for a store from New, after c's Close) return
// EUNAVAILABLE.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	s.commit.Close()
	if err := s.db.Close(); err != nil {
		return &lead.Error{Code: lead.EUNAVAILABLE, Message: "close store file", Err: err}
	}
	return nil
}

// update runs fn in a write transaction shared with concurrent writers, and
// returns once it is durable. bbolt may run fn more than once, so fn derives
// everything from tx and sets everything it reports on every run.
//
// fn reports a domain outcome (a conflict, a missing lead) by returning a
// *lead.Error before it has written anything: that is the call's result, and
// the shared transaction commits the other writers' work. Were it returned to
// Batch, bbolt would roll the whole batch back, rerun the others and then
// rerun fn alone, only to get the same answer.
func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return canceled(err)
	}
	var outcome error
	err := s.commit.Do(func(tx *bolt.Tx) error {
		outcome = nil
		err := fn(tx)
		if isDomain(err) {
			outcome = err
			return nil
		}
		return err
	})
	if err != nil {
		return storageError(err)
	}
	return outcome
}

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return canceled(err)
	}
	if err := s.db.View(fn); err != nil {
		if isDomain(err) {
			return err
		}
		return storageError(err)
	}
	return nil
}

func isDomain(err error) bool {
	var le *lead.Error
	return errors.As(err, &le)
}

func storageError(err error) error {
	return &lead.Error{Code: lead.EUNAVAILABLE, Message: "store unavailable", Err: err}
}

func canceled(err error) error {
	return &lead.Error{Code: lead.EUNAVAILABLE, Message: "request canceled", Err: err}
}

// encode marshals a value for storage. Returns EINVALID for a value JSON
// cannot hold (a NaN score, a year past 9999).
func encode(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, &lead.Error{Code: lead.EINVALID, Message: "value cannot be stored", Err: err}
	}
	return data, nil
}

// decode unmarshals a stored value. Returns EINTERNAL for a corrupt one.
func decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return &lead.Error{Code: lead.EINTERNAL, Message: "corrupt stored value", Err: err}
	}
	return nil
}

// checkKey returns EINVALID unless v can serve as a key.
func checkKey(field, v string) error {
	switch {
	case v == "":
		return lead.FieldError(field, "is required")
	case len(v) > maxKeyLen:
		return lead.FieldError(field, "is longer than %d bytes", maxKeyLen)
	}
	return nil
}
