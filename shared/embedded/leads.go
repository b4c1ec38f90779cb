package embedded

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/lead"
)

// CreateLead stores a new lead at version 1 and claims its email; with a
// relay, it publishes the lead's pending events in the same transaction and
// clears them (on l too). Returns EINVALID if the ID or email is missing,
// Version is not 0 or a pending event cannot be published, ECONFLICT if the
// ID or the email is taken (nothing is written or published then).
func (s *Store) CreateLead(ctx context.Context, l *lead.Lead) error {
	if err := checkLead(l); err != nil {
		return fmt.Errorf("create lead: %w", err)
	}
	if l.Version != 0 {
		return fmt.Errorf("create lead %s: %w", l.ID, lead.FieldError("version", "must be 0 on create, is %d", l.Version))
	}
	stored := *l
	stored.Version = 1
	publish, deliver, err := s.stagePending(&stored)
	if err != nil {
		return fmt.Errorf("create lead %s: %w", l.ID, err)
	}
	data, err := encode(&stored)
	if err != nil {
		return fmt.Errorf("create lead %s: %w", l.ID, err)
	}
	id := []byte(l.ID)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		leads, emails := tx.Bucket(bucketLeads), tx.Bucket(bucketEmails)
		if leads.Get(id) != nil {
			return lead.Errorf(lead.ECONFLICT, "lead id is taken")
		}
		if emails.Get([]byte(l.Email)) != nil {
			return lead.Errorf(lead.ECONFLICT, "email is taken by another lead")
		}
		if err := leads.Put(id, data); err != nil {
			return err
		}
		if err := emails.Put([]byte(l.Email), id); err != nil {
			return err
		}
		if err := publish(tx); err != nil {
			return err
		}
		return reindex(tx, nil, &stored)
	})
	if err != nil {
		return fmt.Errorf("create lead %s: %w", l.ID, err)
	}
	deliver()
	l.Version, l.Pending = 1, stored.Pending
	return nil
}

// stagePending takes the pending events off a lead about to be written and
// returns how to publish them in the write's transaction and, once it is
// durable, to deliver them; both do nothing without a relay or events.
func (s *Store) stagePending(l *lead.Lead) (func(*bolt.Tx) error, func(), error) {
	if s.relay == nil || len(l.Pending) == 0 {
		return func(*bolt.Tx) error { return nil }, func() {}, nil
	}
	put, deliver, err := s.relay(l.Pending)
	if err != nil {
		return nil, nil, fmt.Errorf("publish pending events: %w", err)
	}
	l.Pending = nil
	return put, deliver, nil
}

// GetLead returns the lead with id. Returns ENOTFOUND if there is none.
func (s *Store) GetLead(ctx context.Context, id string) (*lead.Lead, error) {
	var l *lead.Lead
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		l, err = getLead(tx, []byte(id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get lead %s: %w", id, err)
	}
	return l, nil
}

// LeadByEmail returns the lead holding email. Returns ENOTFOUND if there is
// none.
func (s *Store) LeadByEmail(ctx context.Context, email string) (*lead.Lead, error) {
	var l *lead.Lead
	err := s.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketEmails).Get([]byte(email))
		if id == nil {
			return lead.Errorf(lead.ENOTFOUND, "no lead has this email")
		}
		var err error
		l, err = getLead(tx, id)
		return err
	})
	if err != nil {
		// The email is PII: the error names no lead and no address.
		return nil, fmt.Errorf("lead by email: %w", err)
	}
	return l, nil
}

// UpdateLead replaces the lead if the stored Version equals l.Version, then
// sets l.Version to the next version; with a relay, it publishes the lead's
// pending events in the same transaction and clears them (on l too).
// Returns ENOTFOUND if the lead does not exist, ECONFLICT if the versions
// differ (nothing is written or published then) and EINVALID if l changes
// the email or a pending event cannot be published.
func (s *Store) UpdateLead(ctx context.Context, l *lead.Lead) error {
	if err := checkLead(l); err != nil {
		return fmt.Errorf("update lead: %w", err)
	}
	next := *l
	next.Version = l.Version + 1
	publish, deliver, err := s.stagePending(&next)
	if err != nil {
		return fmt.Errorf("update lead %s: %w", l.ID, err)
	}
	data, err := encode(&next)
	if err != nil {
		return fmt.Errorf("update lead %s: %w", l.ID, err)
	}
	id := []byte(l.ID)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		prev, err := getIndexed(tx, id)
		if err != nil {
			return err
		}
		if prev.Version != l.Version {
			return lead.Errorf(lead.ECONFLICT, "lead is at version %d, not %d", prev.Version, l.Version)
		}
		if prev.Email != l.Email {
			return lead.FieldError("email", "cannot change")
		}
		if err := tx.Bucket(bucketLeads).Put(id, data); err != nil {
			return err
		}
		if err := publish(tx); err != nil {
			return err
		}
		return reindex(tx, prev, &next)
	})
	if err != nil {
		return fmt.Errorf("update lead %s: %w", l.ID, err)
	}
	deliver()
	l.Version, l.Pending = next.Version, next.Pending
	return nil
}

// DeleteLead erases the lead, its email claim, its activities, its index
// entries and the PutOnce records whose value is its id (idempotency keys).
// Returns ENOTFOUND if there is no such lead.
func (s *Store) DeleteLead(ctx context.Context, id string) error {
	key := []byte(id)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		prev, err := getLead(tx, key)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketLeads).Delete(key); err != nil {
			return err
		}
		emails := tx.Bucket(bucketEmails)
		if bytes.Equal(emails.Get([]byte(prev.Email)), key) {
			if err := emails.Delete([]byte(prev.Email)); err != nil {
				return err
			}
		}
		if err := reindex(tx, prev, nil); err != nil {
			return err
		}
		prefix := leadPrefix(id)
		if err := deletePrefix(tx.Bucket(bucketActivities), prefix); err != nil {
			return err
		}
		if err := deletePrefix(tx.Bucket(bucketActivityIDs), prefix); err != nil {
			return err
		}
		return deleteOnceOf(tx.Bucket(bucketOnce), key)
	})
	if err != nil {
		return fmt.Errorf("delete lead %s: %w", id, err)
	}
	return nil
}

// ScanLeads calls fn for every lead in id order until fn returns an error,
// which it returns. Leads are read in pages and fn runs outside any
// transaction, so fn may write to the store (bbolt can deadlock when a
// goroutine holding a read transaction starts a write).
func (s *Store) ScanLeads(ctx context.Context, fn func(*lead.Lead) error) error {
	const pageSize = 256
	var after []byte
	for {
		var page []*lead.Lead
		err := s.view(ctx, func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketLeads).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(page) < pageSize; k, v = c.Next() {
				var l lead.Lead
				if err := decode(v, &l); err != nil {
					return fmt.Errorf("lead %s: %w", k, err)
				}
				page = append(page, &l)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("scan leads: %w", err)
		}
		for _, l := range page {
			if err := fn(l); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = []byte(page[len(page)-1].ID)
	}
}

// checkLead returns EINVALID unless l has a usable ID and email.
func checkLead(l *lead.Lead) error {
	if l == nil {
		return lead.Errorf(lead.EINVALID, "no lead")
	}
	if err := checkKey("id", l.ID); err != nil {
		return err
	}
	return checkKey("email", l.Email)
}

// getLead reads a lead in tx. Returns ENOTFOUND if there is none.
func getLead(tx *bolt.Tx, id []byte) (*lead.Lead, error) {
	data := tx.Bucket(bucketLeads).Get(id)
	if data == nil {
		return nil, lead.Errorf(lead.ENOTFOUND, "no such lead")
	}
	var l lead.Lead
	if err := decode(data, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// indexed is the part of a stored lead that UpdateLead checks and
// re-indexes. Decoding only it skips the allocations of the history, score
// reasons and routing explanation, in the commit every writer shares.
type indexed struct {
	ID    string     `json:"id"`
	Email string     `json:"email"`
	Stage lead.Stage `json:"stage"`
	Owner string     `json:"owner"`
	Score struct {
		Total float64 `json:"total"`
	} `json:"score"`
	LastActivityAt time.Time `json:"last_activity_at"`
	Version        int64     `json:"version"`
}

// getIndexed reads the indexed part of a lead in tx, as a lead with only
// those fields set. Returns ENOTFOUND if there is none.
func getIndexed(tx *bolt.Tx, id []byte) (*lead.Lead, error) {
	data := tx.Bucket(bucketLeads).Get(id)
	if data == nil {
		return nil, lead.Errorf(lead.ENOTFOUND, "no such lead")
	}
	var x indexed
	if err := decode(data, &x); err != nil {
		return nil, err
	}
	return &lead.Lead{ID: x.ID, Email: x.Email, Stage: x.Stage, Owner: x.Owner, Score: lead.Score{Total: x.Score.Total}, LastActivityAt: x.LastActivityAt, Version: x.Version}, nil
}

// reindex moves a lead's index entries from prev to next; nil stands for
// no lead.
func reindex(tx *bolt.Tx, prev, next *lead.Lead) error {
	indexes := []struct {
		bucket *bolt.Bucket
		key    func(*lead.Lead) []byte
	}{
		{tx.Bucket(bucketByOwner), ownerKey},
		{tx.Bucket(bucketByActivity), activityTimeKey},
	}
	for _, ix := range indexes {
		var old, cur []byte
		if prev != nil {
			old = ix.key(prev)
		}
		if next != nil {
			cur = ix.key(next)
		}
		if bytes.Equal(old, cur) {
			continue
		}
		if old != nil {
			if err := ix.bucket.Delete(old); err != nil {
				return err
			}
		}
		if cur != nil {
			if err := ix.bucket.Put(cur, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteOnceOf deletes the PutOnce records holding value. Their keys are
// hashes the lead does not know, so it reads them all: erasure is rare.
func deleteOnceOf(b *bolt.Bucket, value []byte) error {
	var doomed [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if len(v) >= 8 && bytes.Equal(v[8:], value) {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A bucket must not change under ForEach: delete afterwards.
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// deletePrefix deletes every key of b that starts with prefix. It seeks
// afresh after each delete: a bbolt cursor skips an item when the item under
// it is deleted during iteration.
func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
