package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/lead"
)

// present is the value of keys whose existence is the information.
var present = []byte{1}

// AddActivity stores a lead's activity unless one with its ID is stored;
// it reports whether it stored it. Returns EINVALID without a lead ID or ID.
func (s *Store) AddActivity(ctx context.Context, a lead.Activity) (bool, error) {
	if err := checkKey("lead_id", a.LeadID); err != nil {
		return false, fmt.Errorf("add activity: %w", err)
	}
	if err := checkKey("id", a.ID); err != nil {
		return false, fmt.Errorf("add activity of lead %s: %w", a.LeadID, err)
	}
	data, err := encode(a)
	if err != nil {
		return false, fmt.Errorf("add activity %s of lead %s: %w", a.ID, a.LeadID, err)
	}
	idKey := activityIDKey(a.LeadID, a.ID)
	var created bool
	err = s.update(ctx, func(tx *bolt.Tx) error {
		created = false
		ids := tx.Bucket(bucketActivityIDs)
		if ids.Get(idKey) != nil {
			return nil
		}
		if err := tx.Bucket(bucketActivities).Put(activityKey(a), data); err != nil {
			return err
		}
		created = true
		return ids.Put(idKey, present)
	})
	if err != nil {
		return false, fmt.Errorf("add activity %s of lead %s: %w", a.ID, a.LeadID, err)
	}
	return created, nil
}

// Activities returns the lead's activities, oldest first, ties by ID; none
// for an unknown lead.
func (s *Store) Activities(ctx context.Context, leadID string) ([]lead.Activity, error) {
	var out []lead.Activity
	prefix := leadPrefix(leadID)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketActivities).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var a lead.Activity
			if err := decode(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("activities of lead %s: %w", leadID, err)
	}
	return out, nil
}

// GetAccount returns the account of domain. Returns ENOTFOUND if there is
// none.
func (s *Store) GetAccount(ctx context.Context, domain string) (*lead.Account, error) {
	var a *lead.Account
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		a, err = getAccount(tx, domain)
		if err == nil && a == nil {
			err = lead.Errorf(lead.ENOTFOUND, "no such account")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get account %s: %w", domain, err)
	}
	return a, nil
}

// PutAccount creates or replaces an account, keeping an owner already
// claimed. Returns EINVALID without a domain.
func (s *Store) PutAccount(ctx context.Context, a *lead.Account) error {
	if a == nil {
		return lead.Errorf(lead.EINVALID, "put account: no account")
	}
	if err := checkKey("domain", a.Domain); err != nil {
		return fmt.Errorf("put account: %w", err)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		prev, err := getAccount(tx, a.Domain)
		if err != nil {
			return err
		}
		next := *a
		if prev != nil && prev.Owner != "" {
			next.Owner = prev.Owner
		}
		return putAccount(tx, &next)
	})
	if err != nil {
		return fmt.Errorf("put account %s: %w", a.Domain, err)
	}
	return nil
}

// ClaimAccountOwner sets the account's owner unless it has one, creating the
// account if needed, and returns the owner holding it. Returns EINVALID
// without a domain or owner.
func (s *Store) ClaimAccountOwner(ctx context.Context, domain, owner string) (string, error) {
	if err := checkKey("domain", domain); err != nil {
		return "", fmt.Errorf("claim account: %w", err)
	}
	if err := checkKey("owner", owner); err != nil {
		return "", fmt.Errorf("claim account %s: %w", domain, err)
	}
	var holder string
	err := s.update(ctx, func(tx *bolt.Tx) error {
		a, err := getAccount(tx, domain)
		if err != nil {
			return err
		}
		if a == nil {
			a = &lead.Account{Domain: domain}
		}
		if a.Owner != "" {
			holder = a.Owner
			return nil
		}
		a.Owner = owner
		holder = owner
		return putAccount(tx, a)
	})
	if err != nil {
		return "", fmt.Errorf("claim account %s: %w", domain, err)
	}
	return holder, nil
}

// getAccount reads an account in tx; nil if there is none.
func getAccount(tx *bolt.Tx, domain string) (*lead.Account, error) {
	data := tx.Bucket(bucketAccounts).Get([]byte(domain))
	if data == nil {
		return nil, nil
	}
	var a lead.Account
	if err := decode(data, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func putAccount(tx *bolt.Tx, a *lead.Account) error {
	data, err := encode(a)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketAccounts).Put([]byte(a.Domain), data)
}

// PutOnce records key with value unless an unexpired record holds key, and
// returns the value held and whether this call stored it. A positive ttl
// makes the record expire after ttl by the store's clock; an expired record
// counts as absent. Returns EINVALID without a key.
func (s *Store) PutOnce(ctx context.Context, key, value string, ttl time.Duration) (string, bool, error) {
	if err := checkKey("key", key); err != nil {
		return "", false, fmt.Errorf("put once: %w", err)
	}
	k := []byte(key)
	var stored string
	var created bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOnce)
		now := s.now()
		if v, ok := onceLive(b.Get(k), now); ok {
			stored, created = v, false
			return nil
		}
		var expires int64
		if ttl > 0 {
			expires = now.Add(ttl).UnixMicro()
		}
		stored, created = value, true
		return b.Put(k, onceValue(value, expires))
	})
	if err != nil {
		// Keys may be built from client input: they stay out of errors.
		return "", false, fmt.Errorf("put once: %w", err)
	}
	return stored, created, nil
}

// GetOnce returns the live value PutOnce stored under key. Returns EINVALID
// without a key.
func (s *Store) GetOnce(ctx context.Context, key string) (string, bool, error) {
	if err := checkKey("key", key); err != nil {
		return "", false, fmt.Errorf("get once: %w", err)
	}
	var value string
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		value, ok = onceLive(tx.Bucket(bucketOnce).Get([]byte(key)), s.now())
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("get once: %w", err)
	}
	return value, ok, nil
}

// Increment adds one to a counter and returns the new value, 1 the first
// time. Returns EINVALID without a name.
func (s *Store) Increment(ctx context.Context, counter string) (int64, error) {
	if err := checkKey("counter", counter); err != nil {
		return 0, fmt.Errorf("increment: %w", err)
	}
	k := []byte(counter)
	var n int64
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCounters)
		n = 1
		if v := b.Get(k); len(v) == 8 {
			n = int64(binary.BigEndian.Uint64(v)) + 1
		}
		return b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(n)))
	})
	if err != nil {
		return 0, fmt.Errorf("increment %s: %w", counter, err)
	}
	return n, nil
}

// AddCapped adds delta to a counter unless limit is positive and the total
// would then exceed it, and returns the total after the call. Returns
// EINVALID without a name or with a delta that is not positive.
func (s *Store) AddCapped(ctx context.Context, counter string, delta, limit int64) (int64, bool, error) {
	if err := checkKey("counter", counter); err != nil {
		return 0, false, fmt.Errorf("add capped: %w", err)
	}
	if delta <= 0 {
		return 0, false, lead.Errorf(lead.EINVALID, "add capped %s: delta must be positive, got %d", counter, delta)
	}
	k := []byte(counter)
	var total int64
	var added bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCounters)
		total, added = 0, false
		if v := b.Get(k); len(v) == 8 {
			total = int64(binary.BigEndian.Uint64(v))
		}
		if limit > 0 && total+delta > limit {
			return nil
		}
		total, added = total+delta, true
		return b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(total)))
	})
	if err != nil {
		return 0, false, fmt.Errorf("add capped %s: %w", counter, err)
	}
	return total, added, nil
}
