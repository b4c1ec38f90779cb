// Package outbox is the local stand-in for Slack and SES in `leadflow dev`:
// notifications and nurture emails are recorded, in send order, in a bbolt
// file where the console and tests read them. Sends are deduplicated by key,
// as the pipeline's at-least-once delivery requires.
package outbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/internal/groupcommit"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

var (
	_ pipeline.Notifier = (*Outbox)(nil)
	_ pipeline.Mailer   = (*Outbox)(nil)
)

// Entry kinds.
const (
	KindNotification = "notification"
	KindEmail        = "email"
)

// Entry is one sent notification or email.
type Entry struct {
	Seq  uint64 `json:"seq"`  // send order, from 1
	Kind string `json:"kind"` // KindNotification or KindEmail
	// Notice is the notification kind (pipeline.NotifyOwnerAssigned, …);
	// empty for an email.
	Notice  string    `json:"notice,omitempty"`
	Key     string    `json:"key"`
	LeadID  string    `json:"lead_id"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	At      time.Time `json:"at"`
}

// Filter selects entries; zero fields match everything.
type Filter struct {
	LeadID string
	To     string
	Kind   string    // KindNotification or KindEmail
	Since  time.Time // entries at or after
}

func (f Filter) match(e Entry) bool {
	return (f.LeadID == "" || e.LeadID == f.LeadID) &&
		(f.To == "" || e.To == f.To) &&
		(f.Kind == "" || e.Kind == f.Kind) &&
		!e.At.Before(f.Since)
}

var (
	entriesBucket = []byte("entries") // seq → entry
	keysBucket    = []byte("keys")    // kind/key → seq, for deduplication
	leadsBucket   = []byte("leads")   // lead id, 0, seq → nothing: a lead's entries
)

// leadKey indexes entry seq under leadID; the 0 byte ends the id, so that
// one lead's prefix never matches another lead.
func leadKey(leadID string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(leadID), 0), seq)
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// Outbox records notifications and emails. It is safe for concurrent use.
type Outbox struct {
	commit *groupcommit.Committer
	owned  bool // Close closes the file: Open opened it
}

// Bucket is the top-level bucket that holds the outbox's buckets, so that
// it can share a file with other adapters.
const Bucket = "outbox"

var root = []byte(Bucket)

func bucket(tx *bolt.Tx, name []byte) *bolt.Bucket { return tx.Bucket(root).Bucket(name) }

// Open opens (creating if needed) the outbox stored at path. Returns an
// error if the file cannot be opened (another process holding it makes Open
// fail after a second).
func Open(path string) (*Outbox, error) {
	o, err := groupcommit.OpenFile(path, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType}, New)
	if err != nil {
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}
	o.owned = true
	return o, nil
}

// New keeps the outbox in the file c commits to, beside other adapters'
// data, sharing their commits. Close leaves c and its file open. Returns the
// disk's error.
func New(c *groupcommit.Committer) (*Outbox, error) {
	err := c.DB().Update(func(tx *bolt.Tx) error {
		r, err := tx.CreateBucketIfNotExists(root)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{entriesBucket, keysBucket, leadsBucket} {
			if _, err := r.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create outbox buckets: %w", err)
	}
	return &Outbox{commit: c}, nil
}

// Close closes the outbox file if Open opened it. Returns the error of
// closing it.
func (o *Outbox) Close() error {
	if !o.owned {
		return nil
	}
	o.commit.Close()
	if err := o.commit.DB().Close(); err != nil {
		return fmt.Errorf("close outbox: %w", err)
	}
	return nil
}

// Notify records n unless a notification with its key was recorded (then it
// is a no-op). Returns EINVALID for a notification without key or
// recipient, EUNAVAILABLE if the outbox is closed, or the disk's error.
func (o *Outbox) Notify(ctx context.Context, n pipeline.Notification) error {
	e := Entry{Kind: KindNotification, Notice: n.Kind, Key: n.Key, LeadID: n.LeadID, To: n.To, Subject: n.Subject, Body: n.Body, At: n.At}
	if err := o.add(ctx, e); err != nil {
		return fmt.Errorf("notify %s of lead %s: %w", n.Kind, n.LeadID, err)
	}
	return nil
}

// Send records email m unless an email with its key was recorded (then it
// is a no-op). Returns EINVALID for an email without key or recipient,
// EUNAVAILABLE if the outbox is closed, or the disk's error.
func (o *Outbox) Send(ctx context.Context, m pipeline.Email) error {
	e := Entry{Kind: KindEmail, Key: m.Key, LeadID: m.LeadID, To: m.To, Subject: m.Subject, Body: m.Body, At: m.At}
	if err := o.add(ctx, e); err != nil {
		return fmt.Errorf("send email to lead %s: %w", m.LeadID, err)
	}
	return nil
}

func (o *Outbox) add(ctx context.Context, e Entry) error {
	switch {
	case e.Key == "":
		return lead.FieldError("key", "no deduplication key")
	case e.To == "":
		return lead.FieldError("to", "no recipient")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dedupe := []byte(e.Kind + "/" + e.Key)
	return o.commit.Do(func(tx *bolt.Tx) error {
		keys, entries := bucket(tx, keysBucket), bucket(tx, entriesBucket)
		if keys.Get(dedupe) != nil {
			return nil
		}
		seq, err := entries.NextSequence()
		if err != nil {
			return err
		}
		e.Seq = seq
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		k := seqKey(seq)
		if err := entries.Put(k, v); err != nil {
			return err
		}
		if err := bucket(tx, leadsBucket).Put(leadKey(e.LeadID, seq), nil); err != nil {
			return err
		}
		return keys.Put(dedupe, k)
	})
}

// forLead calls fn with each entry of leadID, in send order.
func forLead(tx *bolt.Tx, leadID string, fn func(Entry) error) error {
	prefix := append([]byte(leadID), 0)
	entries := bucket(tx, entriesBucket)
	c := bucket(tx, leadsBucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		seq := k[len(prefix):]
		v := entries.Get(seq)
		if v == nil {
			continue
		}
		var e Entry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("decode outbox entry %d: %w", binary.BigEndian.Uint64(seq), err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// List returns the entries f selects, in send order. Returns the disk's
// error.
func (o *Outbox) List(ctx context.Context, f Filter) ([]Entry, error) {
	var out []Entry
	collect := func(e Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.match(e) {
			out = append(out, e)
		}
		return nil
	}
	err := o.commit.DB().View(func(tx *bolt.Tx) error {
		if f.LeadID != "" {
			return forLead(tx, f.LeadID, collect)
		}
		return bucket(tx, entriesBucket).ForEach(func(k, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode outbox entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			return collect(e)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return out, nil
}

// Delete erases every entry of leadID and its deduplication keys (erasure
// on request). Deleting a lead without entries is not an error. Returns
// EINVALID for an empty lead id, EUNAVAILABLE if the outbox is closed, or
// the disk's error.
func (o *Outbox) Delete(ctx context.Context, leadID string) error {
	if leadID == "" {
		return lead.FieldError("lead_id", "no lead id")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := o.commit.Do(func(tx *bolt.Tx) error {
		var doomed []Entry
		if err := forLead(tx, leadID, func(e Entry) error {
			doomed = append(doomed, e)
			return nil
		}); err != nil {
			return err
		}
		// A bucket must not change under its cursor: delete afterwards.
		keys, entries, leads := bucket(tx, keysBucket), bucket(tx, entriesBucket), bucket(tx, leadsBucket)
		for _, e := range doomed {
			if err := entries.Delete(seqKey(e.Seq)); err != nil {
				return err
			}
			if err := keys.Delete([]byte(e.Kind + "/" + e.Key)); err != nil {
				return err
			}
			if err := leads.Delete(leadKey(leadID, e.Seq)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete outbox entries of lead %s: %w", leadID, err)
	}
	return nil
}
