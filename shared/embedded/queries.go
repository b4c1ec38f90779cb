package embedded

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/lead"
)

// OwnerQueue returns the owner's leads in stage sql or sal, highest score
// first, at most limit (0 means no limit). Returns EINVALID for a negative
// limit.
// OpenLeads counts the owner's index entries; no lead is decoded.
func (s *Store) OpenLeads(ctx context.Context, owner string) (int, error) {
	prefix := ownerPrefix(owner)
	n := 0
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketByOwner).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("open leads of %s: %w", owner, err)
	}
	return n, nil
}

// OwnerQueue lists the owner's open leads from the owner index.
func (s *Store) OwnerQueue(ctx context.Context, owner string, limit int) ([]*lead.Lead, error) {
	if limit < 0 {
		return nil, fmt.Errorf("owner queue %s: %w", owner, lead.FieldError("limit", "is negative"))
	}
	prefix := ownerPrefix(owner)
	var out []*lead.Lead
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketByOwner).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if limit > 0 && len(out) == limit {
				break
			}
			l, err := getLead(tx, k[len(prefix)+8:])
			if err != nil {
				return fmt.Errorf("indexed lead %s: %w", k[len(prefix)+8:], err)
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("owner queue %s: %w", owner, err)
	}
	return out, nil
}

// InactiveSince pages through the leads whose LastActivityAt is before t,
// oldest first (ties by ID), at most limit per page (0 means no limit). The
// returned cursor is "" exactly when no lead is left. Returns EINVALID for a
// negative limit or a cursor it did not issue.
func (s *Store) InactiveSince(ctx context.Context, t time.Time, cursor string, limit int) ([]*lead.Lead, string, error) {
	if limit < 0 {
		return nil, "", fmt.Errorf("inactive since %s: %w", t, lead.FieldError("limit", "is negative"))
	}
	after, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || (cursor != "" && len(after) <= timeLen) {
		return nil, "", fmt.Errorf("inactive since %s: %w", t, lead.FieldError("cursor", "is not one this store issued"))
	}
	end := appendTime(nil, t)
	var out []*lead.Lead
	var next string
	err = s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketByActivity).Cursor()
		k, _ := c.First()
		if len(after) > 0 {
			k, _ = c.Seek(after)
			if bytes.Equal(k, after) {
				k, _ = c.Next()
			}
		}
		for ; k != nil && bytes.Compare(k[:timeLen], end) < 0; k, _ = c.Next() {
			if limit > 0 && len(out) == limit {
				// One more lead is due: resume after the last one returned.
				next = base64.RawURLEncoding.EncodeToString(activityTimeKey(out[len(out)-1]))
				return nil
			}
			l, err := getLead(tx, k[timeLen:])
			if err != nil {
				return fmt.Errorf("indexed lead %s: %w", k[timeLen:], err)
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("inactive since %s: %w", t, err)
	}
	return out, next, nil
}
